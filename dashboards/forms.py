"""The dashboard's period and scope controls, and the target form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from tickets.models import ServiceType

from . import selectors
from .models import Measure

COMPARISONS = [
    ("branch", _("Branch")),
    ("outlet", _("Outlet")),
    ("service_type", _("Service type")),
    ("milestone", _("Milestone")),
    ("channel", _("Channel")),
    ("priority", _("Priority")),
    ("handler", _("Handler")),
]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Reporting period"),
        required=False,
        initial="month",
        choices=[("week", _("This week")), ("month", _("This month")), ("range", _("Chosen range"))],
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    by = forms.ChoiceField(label=_("Compare by"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("period"):
            # A query without a period (a comparison or a unit chosen) shows this month: say so.
            self.data = self.data.copy()
            self.data["period"] = "month"
        self.user = user
        self.fields["by"].choices = [("", _("Default for my role")), *COMPARISONS]
        units = OrgUnit.objects.visible_to(user).filter(is_active=True).order_by("path")
        self.fields["unit"].choices = [("", _("My scope")), *[(u.code, u.name) for u in units]]

    def clean(self):
        data = super().clean()
        if data.get("period") == "range":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Give the first day of the range."))
            if not end:
                self.add_error("end", _("Give the last day of the range."))
            if start and end:
                try:
                    selectors.check_range(start, end)
                except ValidationError as error:
                    self.add_error("end", error.message_dict["to"])
        return data


class TargetForm(forms.Form):
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    org_unit = forms.ChoiceField(label=_("Unit"))
    service_type = forms.ChoiceField(label=_("Service type"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("Target"), max_digits=7, decimal_places=2, min_value=0)
    amber_margin = forms.DecimalField(
        label=_("Amber margin"), max_digits=7, decimal_places=2, min_value=0, initial=5
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = OrgUnit.objects.visible_to(user).filter(is_active=True).order_by("path")
        self.units = {u.code: u for u in units}
        self.fields["org_unit"].choices = [(u.code, u.name) for u in units]
        self.types = {
            t.code: t for t in ServiceType.objects.filter(is_active=True).order_by("sort_order", "code")
        }
        self.fields["service_type"].choices = [
            ("", _("Every service type")),
            *[(c, f"{c} {t.name}") for c, t in self.types.items()],
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "measure": data["measure"],
            "org_unit": self.units[data["org_unit"]],
            "service_type": self.types.get(data["service_type"]) if data["service_type"] else None,
            "valid_from": data["valid_from"],
            "value": data["value"],
            "amber_margin": data["amber_margin"],
        }

    def apply_errors(self, error: ValidationError) -> None:
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
