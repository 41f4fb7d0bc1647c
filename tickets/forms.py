"""Forms of the staff ticket pages. They read and check input; the services make the changes."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import takes_calls
from accounts.selectors import customer_for

from . import ui_selectors
from .models import Channel, Escalation, Priority, ServiceType, SlaState, Status
from .selectors import DUE_WINDOWS, OUTCOMES
from .templatetags.tickets_ui import local_name

DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A date and time in the site's time zone. A typed ISO 8601 offset is converted (PostgreSQL refuses
    offsets beyond +-15:59, which Python accepts)."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            try:
                return timezone.localtime(result)
            except OverflowError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return result


def default_channel(user) -> str:
    """A new case starts on the channel its creator serves: the hotline or the service hall."""
    if takes_calls(user):
        return Channel.HOTLINE
    return Channel.SERVICE_HALL


def grouped_service_type_choices(types: list[ServiceType]) -> list:
    groups: dict[str, list] = {}
    for service_type in types:
        groups.setdefault(service_type.get_category_display(), []).append(
            (service_type.code, f"{local_name(service_type)} ({service_type.code})")
        )
    return [("", _("Choose the service…")), *groups.items()]


class IntakeForm(forms.Form):
    """Front desk and call centre intake: one form for a walk-in, a caller or a known customer."""

    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    service_type = forms.ChoiceField(label=_("Service"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(
        label=_("What the customer asks for"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    received_at = LocalDateTimeField(
        label=_("Received at"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput,
        help_text=_("Leave empty for now. Earlier for a paper form or a 12345 order; never in the future."),
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    contact_address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hotline_order_no = forms.CharField(label=_("12345 order number"), max_length=40, required=False)
    hotline_due_at = LocalDateTimeField(
        label=_("12345 reply deadline"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput,
    )
    is_safety_or_supply = forms.BooleanField(label=_("Gas supply or safety matter"), required=False)

    def __init__(self, *args, user, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer_obj = customer
        segment = customer.segment if customer is not None else None
        self.service_types = {t.code: t for t in ui_selectors.intake_service_types(segment)}
        self.fields["service_type"].choices = grouped_service_type_choices(list(self.service_types.values()))
        self.fields["channel"].initial = default_channel(user)
        if customer is not None:
            self.fields["customer"].initial = customer.account_no

    @property
    def is_agent(self) -> bool:
        """Agents take 12345 orders all day: their form always shows the order fields."""
        return default_channel(self.user) == Channel.HOTLINE

    def clean_customer(self):
        account_no = self.cleaned_data["customer"].strip()
        if not account_no:
            return None
        if self.customer_obj is not None and self.customer_obj.account_no == account_no:
            return self.customer_obj
        customer = customer_for(self.user, account_no)
        if customer is None:
            raise ValidationError(_("No customer account %(account_no)s."), params={"account_no": account_no})
        return customer

    def clean_service_type(self):
        code = self.cleaned_data["service_type"]
        service_type = self.service_types.get(code)
        if service_type is None:
            raise ValidationError(_("Choose a service from the list."))
        return service_type

    def service_kwargs(self) -> dict:
        """The cleaned form as create_ticket's keyword arguments."""
        data = self.cleaned_data
        is_hotline = data["channel"] == Channel.CITY_HOTLINE
        return {
            "service_type": data["service_type"],
            "channel": data["channel"],
            "description": data["description"],
            "customer": data["customer"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "contact_address": data["contact_address"],
            "received_at": data["received_at"],
            "priority": data["priority"],
            "hotline_order_no": data["hotline_order_no"] if is_hotline else "",
            "hotline_due_at": data["hotline_due_at"] if is_hotline else None,
            "is_safety_or_supply": data["is_safety_or_supply"],
        }


class PreviewForm(forms.Form):
    """What the live preview of the promised dates needs: a service, a customer, a receipt time."""

    service_type = forms.ModelChoiceField(
        queryset=ServiceType.objects.filter(is_active=True), to_field_name="code"
    )
    customer = forms.CharField(required=False)
    received_at = LocalDateTimeField(required=False, input_formats=DATETIME_LOCAL_FORMATS)
    is_safety_or_supply = forms.BooleanField(required=False)
    hotline_due_at = LocalDateTimeField(required=False, input_formats=DATETIME_LOCAL_FORMATS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_customer(self):
        account_no = self.cleaned_data["customer"].strip()
        if not account_no:
            return None
        customer = customer_for(self.user, account_no)
        if customer is None:
            raise ValidationError(_("No customer account %(account_no)s."), params={"account_no": account_no})
        return customer


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Empty status means every open status."""

    SLA_CHOICES = [
        ("", _("Any")),
        (SlaState.ON_TIME, _("On time")),
        (SlaState.AT_RISK, _("At risk")),
        (SlaState.BREACHED, _("Breached")),
    ]

    status = forms.ChoiceField(label=_("Status"), required=False)
    service_type = forms.ChoiceField(label=_("Service"), required=False)
    org_unit = forms.ChoiceField(label=_("Unit"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    due_before = forms.DateField(
        label=_("Due by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=SLA_CHOICES)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any")), *Priority.choices]
    )
    # The dashboards' drill-down: the cases behind a figure (hidden unless a link set them).
    handler = forms.CharField(required=False, widget=forms.HiddenInput)
    due_from = forms.DateField(required=False, widget=forms.HiddenInput)
    due_to = forms.DateField(required=False, widget=forms.HiddenInput)
    milestone = forms.CharField(required=False, max_length=30, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(required=False, choices=[(o, o) for o in OUTCOMES], widget=forms.HiddenInput)
    due_window = forms.ChoiceField(
        required=False, choices=[(w, w) for w in DUE_WINDOWS], widget=forms.HiddenInput
    )
    escalated_level = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=Escalation.Level.choices,
        widget=forms.HiddenInput,
    )
    escalated_on = forms.DateField(required=False, widget=forms.HiddenInput)
    needs_routing = forms.BooleanField(label=_("Needs routing only"), required=False)
    customer = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Open")), *Status.choices]
        self.fields["service_type"].choices = [
            ("", _("Any")),
            *[(t.code, f"{t.code} {local_name(t)}") for t in ui_selectors.intake_service_types()],
        ]
        self.fields["org_unit"].choices = [
            ("", _("Any")),
            *[(u.code, u.name) for u in ui_selectors.visible_org_units(user)],
        ]

    def selector_filters(self) -> dict:
        """The cleaned filters as selectors.queue_for's keyword arguments."""
        data = self.cleaned_data
        filters = {
            "status": data["status"] or None,
            "service_type": data["service_type"] or None,
            "org_unit": data["org_unit"] or None,
            "channel": data["channel"] or None,
            "sla_state": data["sla"] or None,
            "priority": data["priority"] or None,
            "handler": data["handler"] or None,
            "due_window_name": data["due_window"] or None,
            "needs_routing": True if data["needs_routing"] else None,
            "customer": data["customer"] or None,
        }
        if data["due_from"] or data["due_to"] or data["milestone"] or data["outcome"]:
            filters["period"] = {
                "due_from": data["due_from"],
                "due_to": data["due_to"],
                "milestone": data["milestone"] or None,
                "outcome": data["outcome"] or None,
            }
        if data["escalated_level"] is not None and data["escalated_on"]:
            filters["escalated_level"] = data["escalated_level"]
            filters["escalated_on"] = data["escalated_on"]
        if data["due_before"]:
            # "Due by" a day includes that whole day, Beijing time.
            next_day = data["due_before"] + datetime.timedelta(days=1)
            next_day = datetime.datetime.combine(next_day, datetime.time())
            filters["due_before"] = timezone.make_aware(next_day)
        return filters


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(u.pk): u for u in ui_selectors.assignable_staff(ticket)}
        self.fields["assignee"].choices = [
            ("", _("Choose a colleague…")),
            *[
                (
                    pk,
                    f"{u.get_full_name() or u.get_username()} · {u.staff_profile.get_role_display()}"
                    f" · {u.staff_profile.org_unit.name}",
                )
                for pk, u in self.staff.items()
            ],
        ]
        if ticket.assignee_id:
            self.fields["assignee"].initial = str(ticket.assignee_id)

    def clean_assignee(self):
        return self.staff[self.cleaned_data["assignee"]]


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        max_length=20,
        error_messages={"required": _("Enter the reference from your receipt or SMS.")},
    )
    phone = forms.CharField(
        label=_("Phone number you gave us"),
        max_length=20,
        error_messages={"required": _("Enter the phone number you gave us.")},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )


class TransferForm(forms.Form):
    org_unit = forms.ChoiceField(label=_("Transfer to"))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, ticket, user, **kwargs):
        from . import services

        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in services.transfer_targets(user).exclude(pk=ticket.org_unit_id)}
        self.fields["org_unit"].choices = [
            ("", _("Choose a unit…")),
            *[(code, f"{u.name} · {u.get_kind_display()}") for code, u in self.units.items()],
        ]

    def clean_org_unit(self):
        return self.units[self.cleaned_data["org_unit"]]


REASON_REQUIRED = {Status.WAITING_CUSTOMER, Status.CANCELLED}


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, help_text=_("Required to pause, cancel or reopen.")
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, allowed: list[str], ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["to"].choices = [("", _("Choose…")), *[(s, Status(s).label) for s in allowed]]

    def clean(self):
        data = super().clean()
        to = data.get("to")
        is_reopen = (
            self.ticket is not None
            and not self.ticket.is_open
            and to in {Status.NEW, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}
        )
        if (to in REASON_REQUIRED or is_reopen) and not data.get("reason", "").strip():
            self.add_error("reason", _("Give a reason."))
        return data


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the clock stops"),
        max_length=200,
        error_messages={"required": _("Give a reason for the pause.")},
    )


class MeetMilestoneForm(forms.Form):
    code = forms.ChoiceField(label=_("Milestone"))

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(m.code, local_name(m)) for m in milestones if m.met_at is None]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the customer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("Photo (JPEG, PNG, WebP, GIF) or PDF, up to 20 MB."))
    is_public = forms.BooleanField(label=_("Visible to the customer"), required=False)
