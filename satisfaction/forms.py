"""Forms of the satisfaction pages: the questionnaire (public and callback), the call, the recovery."""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit

from .models import OVERALL_CODE, SERVQUAL, CallbackAttempt, ImprovementAction, Measure
from .selectors import GROUPS

NOT_APPLICABLE = "na"
SCALE = [
    ("5", _("5 Very satisfied")),
    ("4", _("4 Satisfied")),
    ("3", _("3 Neutral")),
    ("2", _("2 Dissatisfied")),
    ("1", _("1 Very dissatisfied")),
]


class QuestionnaireForm(forms.Form):
    """The items of the questionnaire, each 1-5 or not applicable; overall; solved; comments.

    Range checks are the service's (answer_survey); the form only carries the choices.
    """

    def __init__(self, *args, questions=(), case_reference="", **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = [q for q in questions if q.code != OVERALL_CODE]
        overall = next((q for q in questions if q.code == OVERALL_CODE), None)
        for q in self.questions:
            self.fields[f"q_{q.code}"] = forms.ChoiceField(
                label=q.local_text,
                required=False,
                widget=forms.RadioSelect,
                choices=[*SCALE, (NOT_APPLICABLE, _("Not applicable"))],
            )
        self.fields["overall"] = forms.ChoiceField(
            label=overall.local_text if overall else _("Overall satisfaction"),
            required=False,
            widget=forms.RadioSelect,
            choices=SCALE,
        )
        self.fields["solved"] = forms.ChoiceField(
            label=_("Was your problem solved?"),
            required=False,
            widget=forms.RadioSelect,
            choices=[("yes", _("Yes")), ("no", _("No"))],
        )
        self.fields["comment"] = forms.CharField(
            label=_("Anything else you would like to tell us"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        )
        self.fields["case"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=case_reference
        )

    def item_fields(self):
        return [self[f"q_{q.code}"] for q in self.questions]

    def answer(self) -> dict:
        """What the service takes: scores {code: value or None}, overall, is_solved, comment."""
        data = self.data
        scores = {}
        for q in self.questions:
            value = (data.get(f"q_{q.code}") or "").strip()
            scores[q.code] = None if value in ("", NOT_APPLICABLE) else value
        solved = {"yes": True, "no": False}.get(data.get("solved") or "")
        return {
            "scores": scores,
            "overall": data.get("overall") or None,
            "is_solved": solved,
            "comment": data.get("comment", ""),
        }

    def apply_errors(self, errors: dict) -> None:
        for field, messages in errors.items():
            name = {
                OVERALL_CODE: "overall",
                "solved": "solved",
                "comment": "comment",
                "case": None,
                "scores": None,
            }.get(field, f"q_{field}")
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class CallbackForm(QuestionnaireForm):
    """One call of the callback queue; the questionnaire is filled in when the customer answers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"] = forms.ChoiceField(
            label=_("Outcome of this call"), choices=CallbackAttempt.Outcome.choices
        )
        self.fields["note"] = forms.CharField(label=_("Note"), required=False, max_length=200)
        self.order_fields(["outcome", "note"])


class RecoveryCloseForm(forms.Form):
    action_taken = forms.CharField(
        label=_("What was done for the customer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    now_satisfied = forms.ChoiceField(
        label=_("Is the customer now satisfied?"),
        widget=forms.RadioSelect,
        choices=[("yes", _("Yes, now satisfied")), ("no", _("No, still unhappy"))],
    )


class FiguresForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Everything I see"),
        to_field_name="code",
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(
        label=_("Per"),
        required=False,
        choices=[
            ("outlet", _("Outlet")),
            ("branch", _("Branch")),
            ("service_type", _("Service type")),
            ("handler", _("Handler")),
            ("month", _("Month")),
        ],
    )

    def __init__(self, *args, user, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            OrgUnit.objects.visible_to(user).exclude(kind=OrgUnit.Kind.CALL_CENTRE).order_by("path")
        )
        self.today = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        if data.get("group_by") and data["group_by"] not in GROUPS:
            self.add_error("group_by", _("Choose how to group the figures."))
        return data

    def scope(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or self.today - dt.timedelta(days=90)
        end = data.get("end") or self.today
        return {
            "scope": data.get("unit"),
            "start": start,
            "end": end,
            "group_by": data.get("group_by") or "outlet",
        }


class ImprovementForm(forms.Form):
    """Open an improvement action (PDCA): problem, where it was found, plan, owner, measure, target."""

    problem = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    source = forms.ChoiceField(label=_("Found through"), choices=ImprovementAction.Source.choices)
    root_cause = forms.ChoiceField(label=_("Complaint root cause"), required=False)
    dimension = forms.ChoiceField(
        label=_("Low-scoring dimension"),
        required=False,
        choices=[("", "—"), *[(d.value, d.label) for d in SERVQUAL]],
    )
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), to_field_name="code")
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), to_field_name="username"
    )
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    measure = forms.ChoiceField(label=_("Measure to watch"), choices=Measure.choices)
    measure_subject = forms.CharField(
        label=_("Of"),
        max_length=40,
        help_text=_(
            "Complaint category code (e.g. billing), service type code (e.g. RPR-RES) or dimension "
            "(e.g. reliability)."
        ),
    )
    target = forms.DecimalField(label=_("Target"), max_digits=8, decimal_places=2)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from .improvements import root_cause_choices

        self.fields["root_cause"].choices = [("", "—"), *root_cause_choices()]
        self.fields["org_unit"].queryset = OrgUnit.objects.visible_to(user).order_by("path")
        scope = OrgUnit.objects.visible_to(user).values("pk")
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, staff_profile__org_unit__in=scope)
            .select_related("staff_profile")
            .order_by("staff_profile__org_unit__path", "username")
        )
        self.fields["owner"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} · {u.staff_profile.get_role_display()}"
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        source = data["source"]
        detail = (
            data.get("root_cause") if source == ImprovementAction.Source.ROOT_CAUSE else data.get("dimension")
        )
        return {
            "problem": data["problem"],
            "source": source,
            "source_detail": detail or "",
            "org_unit": data["org_unit"],
            "owner": data["owner"],
            "plan": data["plan"],
            "due_date": data["due_date"],
            "measure": data["measure"],
            "measure_subject": data["measure_subject"].strip(),
            "target": data["target"],
        }


class NewPlanForm(forms.Form):
    plan = forms.CharField(label=_("New plan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
