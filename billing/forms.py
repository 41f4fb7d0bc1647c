"""The staff forms of billing disputes: shape only; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Bill, DisputeKind, ImportKind
from .services import InformChannel


class DisputeForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the customer disputes"), choices=DisputeKind.choices)
    bills = forms.ModelMultipleChoiceField(
        label=_("Disputed bills"), queryset=Bill.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("What the customer says"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        recent = (
            Bill.objects.filter(customer=customer).order_by("-period_start").values_list("pk", flat=True)[:24]
        )
        self.fields["bills"].queryset = Bill.objects.filter(pk__in=list(recent)).order_by("-period_start")
        self.fields["bills"].label_from_instance = lambda b: (
            _("%(start)s to %(end)s · %(volume)s m³ · ¥%(amount)s")
            % {
                "start": b.period_start.isoformat(),
                "end": b.period_end.isoformat(),
                "volume": b.volume_m3,
                "amount": b.amount,
            }
        )


class RereadForm(forms.Form):
    read_on = forms.DateField(label=_("Re-read on"), widget=forms.DateInput(attrs={"type": "date"}))
    value_m3 = forms.CharField(label=_("Reading (m³)"), max_length=20)


class MeterTestForm(forms.Form):
    error_pct = forms.CharField(
        label=_("Meter error (%)"), max_length=10, help_text=_("+ when the meter runs fast")
    )


class MeterReplacementForm(forms.Form):
    new_serial = forms.CharField(label=_("New meter's serial"), max_length=40)
    replaced_on = forms.DateField(label=_("Replaced on"), widget=forms.DateInput(attrs={"type": "date"}))


class FindingForm(forms.Form):
    finding = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ProposeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class InformForm(forms.Form):
    channel = forms.ChoiceField(label=_("Tell the customer by"), choices=InformChannel.choices)


class EmptyForm(forms.Form):
    pass


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
    )
    file = forms.FileField(label=_("CSV file"))
