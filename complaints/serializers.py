"""DRF serializers for the complaint API: read shapes and the inputs of create and each step."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Customer, OrgUnit
from accounts.personal_data import PersonalDataField

from .models import Complaint, ComplaintCategory, Remedy, RootCause, Severity, Source
from .selectors import is_readable_by, repeat_chain_for


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint as the API returns it; the complainant's phone masked unless the context says reveal."""

    reference = serializers.CharField(source="ticket.reference", read_only=True)
    complainant_phone = PersonalDataField(personal_field="complainant_phone", read_only=True)
    status = serializers.CharField(source="ticket.status", read_only=True)
    stage = serializers.CharField(read_only=True)
    priority = serializers.CharField(source="ticket.priority", read_only=True)
    sla_state = serializers.CharField(source="ticket.sla_state_now", read_only=True)
    next_due_at = serializers.DateTimeField(source="ticket.next_due_at", read_only=True, allow_null=True)
    org_unit = serializers.CharField(source="ticket.org_unit.code", read_only=True)
    service_type = serializers.SerializerMethodField()
    description = serializers.CharField(source="ticket.description", read_only=True)
    hotline_order_no = serializers.CharField(source="ticket.hotline_order_no", read_only=True)
    hotline_due_at = serializers.DateTimeField(
        source="ticket.hotline_due_at", read_only=True, allow_null=True
    )
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sub_category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    account_no = serializers.CharField(
        source="customer.account_no", read_only=True, default=None, allow_null=True
    )
    department_at_fault = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    repeat_of = serializers.SerializerMethodField(
        help_text=_("The first complaint of the repeat chain, when the caller may read it.")
    )
    # Blank until given: documented as such (the schema's email format and enums would refuse "").
    complainant_email = serializers.CharField(read_only=True)
    root_cause = serializers.ChoiceField(choices=RootCause.choices, read_only=True, allow_blank=True)
    remedy = serializers.ChoiceField(choices=Remedy.choices, read_only=True, allow_blank=True)
    related_tickets = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "status",
            "stage",
            "priority",
            "sla_state",
            "next_due_at",
            "org_unit",
            "service_type",
            "category",
            "sub_category",
            "severity",
            "source",
            "hotline_order_no",
            "hotline_due_at",
            "complainant_name",
            "complainant_phone",
            "complainant_email",
            "complainant_address",
            "account_no",
            "account_no_given",
            "description",
            "requested_remedy",
            "received_at",
            "consent_at",
            "acknowledged_at",
            "contacted_at",
            "investigated_at",
            "findings",
            "is_substantiated",
            "root_cause",
            "department_at_fault",
            "response_text",
            "remedy",
            "remedy_amount",
            "responded_at",
            "closed_at",
            "customer_accepted",
            "reopen_count",
            "appeal_reason",
            "is_repeat",
            "repeat_of",
            "related_tickets",
        ]
        read_only_fields = fields

    def get_repeat_of(self, obj) -> str | None:
        first = obj.repeat_of
        if first is None:
            return None
        request = self.context.get("request")
        return first.ticket.reference if request and is_readable_by(request.user, first) else None

    def get_service_type(self, obj) -> str:
        return obj.ticket.service_type.code


class ComplaintDetailSerializer(ComplaintSerializer):
    """One complaint: also how many complaints of its repeat chain are in units the caller cannot see."""

    repeats_elsewhere = serializers.SerializerMethodField(
        help_text=_("Complaints of the same repeat chain in other units (not shown).")
    )

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "repeats_elsewhere"]
        read_only_fields = fields

    def get_repeats_elsewhere(self, obj) -> int:
        if not (obj.is_repeat or obj.repeats.exists()):
            return 0
        request = self.context.get("request")
        return repeat_chain_for(request.user, obj).elsewhere if request else 0


class CategoryField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(
            slug_field="code", queryset=ComplaintCategory.objects.filter(is_active=True), **kwargs
        )


class ComplaintCreateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    category = CategoryField()
    sub_category = CategoryField(required=False, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    description = serializers.CharField(max_length=4000)
    complainant_name = serializers.CharField(max_length=100)
    complainant_phone = serializers.CharField(max_length=20, write_only=True)
    complainant_email = serializers.EmailField(required=False, allow_blank=True, default="")
    complainant_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    account_no = serializers.SlugRelatedField(
        slug_field="account_no",
        queryset=Customer.objects.all(),
        required=False,
        allow_null=True,
        source="customer",
    )
    requested_remedy = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("The complainant agreed to the processing of personal data."),
    )
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    hotline_order_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    hotline_due_at = serializers.DateTimeField(required=False, allow_null=True)


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ContactSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class InvestigateSerializer(serializers.Serializer):
    findings = serializers.CharField(max_length=4000)
    is_substantiated = serializers.BooleanField()
    root_cause = serializers.ChoiceField(choices=RootCause.choices)
    department_at_fault = serializers.SlugRelatedField(
        slug_field="code", queryset=OrgUnit.objects.all(), required=False, allow_null=True
    )


class RespondSerializer(serializers.Serializer):
    response_text = serializers.CharField(max_length=4000, trim_whitespace=False)
    remedy = serializers.ChoiceField(choices=Remedy.choices)
    remedy_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0
    )


class CloseSerializer(serializers.Serializer):
    customer_accepted = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class LinkSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=20, help_text=_("Reference of the related ticket."))
