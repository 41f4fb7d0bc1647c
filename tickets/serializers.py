"""DRF serializers for tickets: input validation of shapes only; the rules live in services."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.models import Customer, OrgUnit
from accounts.personal_data import PersonalDataField, masked_data

from . import hooks
from .models import (
    Channel,
    Escalation,
    Milestone,
    MilestoneStandard,
    Priority,
    ServiceType,
    SlaState,
    Status,
    Ticket,
    TicketEvent,
)


class MilestoneSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="local_name",
        read_only=True,
        help_text=gettext_lazy("In the language of the request (Accept-Language)"),
    )

    class Meta:
        model = Milestone
        fields = ["code", "name", "due_at", "met_at", "state", "is_provisional", "is_override"]


class TicketEscalationSerializer(serializers.ModelSerializer):
    """A step of the ticket's escalation history (who was told stays on the timeline)."""

    milestone = serializers.CharField(source="milestone.code", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Escalation
        fields = ["level", "level_display", "at", "due_at", "milestone"]
        read_only_fields = fields
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as the API returns it; contact_phone masked unless the context says reveal."""

    service_type = serializers.CharField(source="service_type.code")
    customer = serializers.CharField(source="customer.account_no", default=None, allow_null=True)
    org_unit = serializers.CharField(source="org_unit.code")
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True)
    contact_phone = PersonalDataField(personal_field="contact_phone", read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    escalations = TicketEscalationSerializer(many=True, read_only=True)
    sla_state = serializers.ChoiceField(
        source="sla_state_now",
        choices=SlaState.choices,
        read_only=True,
        help_text=gettext_lazy("On time, at risk or breached by the clock when read"),
    )

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "status",
            "priority",
            "service_type",
            "customer",
            "segment",
            "org_unit",
            "assignee",
            "channel",
            "description",
            "contact_name",
            "contact_phone",
            "contact_address",
            "hotline_order_no",
            "hotline_due_at",
            "is_safety_or_supply",
            "received_at",
            "created_at",
            "resolved_at",
            "closed_at",
            "paused_at",
            "pause_reason",
            "escalation_level",
            "sla_state",
            "next_due_at",
            "milestones",
            "escalations",
            "needs_routing",
        ]
        read_only_fields = fields

    def to_representation(self, ticket):
        data = super().to_representation(ticket)
        extra = hooks.extra_data_for(ticket)
        if extra:
            data["extra"] = extra
        return data


class TicketCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("Account number")
    )
    service_type = serializers.CharField(help_text=gettext_lazy("Service type code, e.g. RPR-RES"))
    channel = serializers.ChoiceField(choices=Channel.choices)
    description = serializers.CharField()
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20, write_only=True)
    contact_address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    org_unit = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("Org unit code")
    )
    hotline_order_no = serializers.CharField(required=False, allow_blank=True, max_length=40)
    hotline_due_at = serializers.DateTimeField(required=False, allow_null=True)
    is_safety_or_supply = serializers.BooleanField(required=False, default=False)

    def validate_customer(self, value):
        if not value:
            return None
        # Only a customer the caller may see, as on the intake page (the view passes the request).
        customer = (
            Customer.objects.visible_to(self.context["request"].user)
            .select_related("category", "outlet")
            .filter(account_no=value)
            .first()
        )
        if customer is None:
            raise serializers.ValidationError(_("No customer with account number %(no)s.") % {"no": value})
        return customer

    def validate_service_type(self, value):
        service_type = (
            ServiceType.objects.select_related("calendar", "escalation_policy")
            .prefetch_related("standards")
            .filter(code=value, is_active=True)
            .first()
        )
        if service_type is None:
            raise serializers.ValidationError(_("No service type %(code)s.") % {"code": value})
        return service_type

    def validate_org_unit(self, value):
        return _org_unit(value)


def _org_unit(value):
    if not value:
        return None
    unit = OrgUnit.objects.filter(code=value, is_active=True).first()
    if unit is None:
        raise serializers.ValidationError(_("No organisation unit %(code)s.") % {"code": value})
    return unit


class TicketUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20, write_only=True)
    contact_address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    received_at = serializers.DateTimeField(required=False)
    org_unit = serializers.CharField(required=False)
    hotline_order_no = serializers.CharField(required=False, allow_blank=True, max_length=40)
    hotline_due_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_org_unit(self, value):
        unit = _org_unit(value)
        if unit is None:
            raise serializers.ValidationError(_("Choose the responsible unit."))
        return unit


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(help_text=gettext_lazy("Username"))


class TransferSerializer(serializers.Serializer):
    org_unit = serializers.CharField(
        help_text=gettext_lazy("Code of the receiving unit (an outlet or the call centre)")
    )
    reason = serializers.CharField(allow_blank=True, max_length=200)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    is_public = serializers.BooleanField(required=False, default=False)


class AttachmentSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    is_public = serializers.BooleanField()


class EventSerializer(serializers.ModelSerializer):
    """A timeline line; phones and ID numbers in its data masked unless the context says reveal."""

    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    title = serializers.SerializerMethodField(help_text="What happened, in the request's language.")
    summary = serializers.SerializerMethodField(
        help_text="The change with names (people, units, milestones), in the request's language."
    )

    class Meta:
        model = TicketEvent
        fields = ["kind", "at", "actor", "is_public", "title", "summary", "message", "data"]

    def _row(self, event):
        """The timeline's rendering of the event, when the view gave one (context "rows", by id)."""
        return self.context.get("rows", {}).get(event.pk)

    def get_title(self, event) -> str:
        row = self._row(event)
        return row.title if row is not None else event.get_kind_display()

    def get_summary(self, event) -> str:
        row = self._row(event)
        return row.summary if row is not None else ""

    def to_representation(self, event):
        data = super().to_representation(event)
        if not self.context.get("reveal"):
            data["data"] = masked_data(data["data"])
        return data


class StandardSerializer(serializers.ModelSerializer):
    class Meta:
        model = MilestoneStandard
        fields = ["code", "name", "name_en", "amount", "unit", "starts_after", "segments", "condition"]


class ServiceTypeSerializer(serializers.ModelSerializer):
    calendar = serializers.CharField(source="calendar.code")
    standards = StandardSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name",
            "name_en",
            "category",
            "segments",
            "is_emergency",
            "calendar",
            "description",
            "standards",
        ]
