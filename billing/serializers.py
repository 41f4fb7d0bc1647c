"""Billing API shapes: customers' meters, readings and bills with lines, disputes, adjustments, imports."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Channel

from .models import (
    Adjustment,
    AdjustmentLine,
    Bill,
    BillLine,
    Dispute,
    DisputeEvent,
    DisputeKind,
    ImportKind,
    ImportRefusal,
    ImportRun,
    Meter,
    MeterReading,
    MeterReplacement,
)
from .services import InformChannel


class MeterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meter
        fields = ["serial", "meter_type", "fitted_on", "verify_by", "status", "removed_on"]


class ReadingSerializer(serializers.ModelSerializer):
    meter = serializers.CharField(source="meter.serial")
    corrects = serializers.CharField(source="corrects.external_id", allow_null=True, default=None)

    class Meta:
        model = MeterReading
        fields = ["external_id", "meter", "read_on", "value_m3", "source", "corrects"]


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = [
            "position",
            "segment_start",
            "segment_end",
            "cycle",
            "season",
            "tier",
            "volume_m3",
            "price",
            "amount",
        ]


class BillSerializer(serializers.ModelSerializer):
    meter = serializers.CharField(source="meter.serial")
    tariff_plan = serializers.CharField(source="plan.code")
    opening_reading = serializers.DecimalField(
        source="opening_reading.value_m3", max_digits=12, decimal_places=3
    )
    closing_reading = serializers.DecimalField(
        source="closing_reading.value_m3", max_digits=12, decimal_places=3
    )
    lines = BillLineSerializer(many=True)
    on_hold = serializers.BooleanField(help_text="An open dispute: no late-fee days, no collection notice.")
    held_by = serializers.ListField(
        child=serializers.CharField(), help_text="References of the open disputes."
    )

    class Meta:
        model = Bill
        fields = [
            "external_id",
            "meter",
            "tariff_plan",
            "period_start",
            "period_end",
            "opening_reading",
            "closing_reading",
            "volume_m3",
            "is_estimated",
            "amount",
            "due_on",
            "amount_paid",
            "late_fee",
            "status",
            "on_hold",
            "held_by",
            "lines",
        ]


class DisputeSummarySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference")
    bills = serializers.SlugRelatedField(slug_field="external_id", many=True, read_only=True)
    is_open = serializers.BooleanField()

    class Meta:
        model = Dispute
        fields = ["reference", "kind", "step", "is_open", "opened_at", "closed_at", "bills"]


class CustomerBillingSerializer(serializers.Serializer):
    account_no = serializers.CharField()
    meters = MeterSerializer(many=True)
    readings = ReadingSerializer(many=True)
    bills = BillSerializer(many=True)
    disputes = DisputeSummarySerializer(many=True)


class DisputeEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = DisputeEvent
        fields = ["step", "actor", "at", "data"]


class AdjustmentLineSerializer(serializers.ModelSerializer):
    bill = serializers.CharField(source="bill.external_id")
    difference = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = AdjustmentLine
        fields = [
            "bill",
            "old_volume_m3",
            "new_volume_m3",
            "old_amount",
            "new_amount",
            "difference",
            "new_lines",
        ]


class AdjustmentSerializer(serializers.ModelSerializer):
    dispute = serializers.CharField(source="dispute.ticket.reference")
    account_no = serializers.CharField(source="dispute.customer.account_no")
    proposed_by = serializers.CharField(source="proposed_by.username")
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)
    applied_by = serializers.CharField(source="applied_by.username", allow_null=True, default=None)
    lines = AdjustmentLineSerializer(many=True)

    class Meta:
        model = Adjustment
        fields = [
            "external_id",
            "dispute",
            "account_no",
            "amount",
            "status",
            "needs_second_person",
            "reason",
            "proposed_by",
            "proposed_at",
            "approved_by",
            "approved_at",
            "applied_by",
            "applied_at",
            "exported_at",
            "lines",
        ]


class MeterReplacementSerializer(serializers.ModelSerializer):
    old_meter = serializers.CharField(source="old_meter.serial")
    new_meter = serializers.CharField(source="new_meter.serial", allow_null=True, default=None)

    class Meta:
        model = MeterReplacement
        fields = ["old_meter", "new_meter", "is_free_of_charge", "ordered_at", "replaced_on"]


class DisputeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference")
    account_no = serializers.CharField(source="customer.account_no")
    ticket_status = serializers.CharField(source="ticket.status")
    check_ticket = serializers.CharField(source="check_ticket.reference", allow_null=True, default=None)
    disputed_reading = ReadingSerializer(allow_null=True)
    corrected_reading = ReadingSerializer(allow_null=True)
    bills = serializers.SlugRelatedField(slug_field="external_id", many=True, read_only=True)
    is_open = serializers.BooleanField()
    events = DisputeEventSerializer(many=True)
    adjustments = AdjustmentSerializer(many=True)
    meter_replacement = MeterReplacementSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "reference",
            "account_no",
            "kind",
            "step",
            "is_open",
            "ticket_status",
            "bills",
            "disputed_reading",
            "corrected_reading",
            "check_ticket",
            "finding",
            "meter_error_pct",
            "test_fee_waived",
            "meter_replacement",
            "opened_at",
            "closed_at",
            "events",
            "adjustments",
        ]


class DisputeCreateSerializer(serializers.Serializer):
    account_no = serializers.CharField(max_length=12)
    kind = serializers.ChoiceField(choices=DisputeKind.choices)
    bills = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        help_text="The disputed bills' external ids.",
    )
    description = serializers.CharField(max_length=2000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.SERVICE_HALL, required=False)


class RereadSerializer(serializers.Serializer):
    read_on = serializers.DateField()
    value_m3 = serializers.CharField(max_length=20, help_text="m³, at most 3 decimals")


class MeterTestSerializer(serializers.Serializer):
    error_pct = serializers.CharField(max_length=10, help_text="The meter's error in percent (+ runs fast).")


class MeterReplacementInputSerializer(serializers.Serializer):
    new_serial = serializers.CharField(max_length=40)
    replaced_on = serializers.DateField()


class FindingSerializer(serializers.Serializer):
    finding = serializers.CharField(max_length=2000)


class ProposeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class InformSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=InformChannel.choices)


class AdjustmentRefSerializer(serializers.Serializer):
    adjustment = serializers.CharField(
        max_length=40, required=False, help_text="External id; the dispute's waiting adjustment when omitted."
    )


class WithdrawSerializer(AdjustmentRefSerializer):
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class RebillLineSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    cycle = serializers.IntegerField()
    season = serializers.CharField()
    tier = serializers.IntegerField()
    volume_m3 = serializers.DecimalField(max_digits=12, decimal_places=3)
    price = serializers.DecimalField(max_digits=8, decimal_places=4)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RebillSideSerializer(serializers.Serializer):
    volume_m3 = serializers.DecimalField(max_digits=12, decimal_places=3)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    lines = RebillLineSerializer(many=True)


class RebillBillSerializer(serializers.Serializer):
    bill = serializers.CharField()
    from_ = serializers.DateField()
    to = serializers.DateField()
    old = RebillSideSerializer()
    new = RebillSideSerializer()
    difference = serializers.DecimalField(max_digits=12, decimal_places=2)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RebillSerializer(serializers.Serializer):
    bills = RebillBillSerializer(many=True)
    total_difference = serializers.DecimalField(max_digits=12, decimal_places=2)


class ImportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(
        help_text=_(
            "UTF-8 CSV with a header row. meters: external_id, account_no, serial, meter_type, fitted_on, "
            "verify_by; readings: external_id, meter_serial, read_on, value_m3, source; bills: external_id, "
            "account_no, opening_reading_id, closing_reading_id, amount, due_on, paid."
        )
    )


class ImportRefusalSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(source="message")

    class Meta:
        model = ImportRefusal
        fields = ["row_number", "external_id", "code", "reason"]


class ImportRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField()
    refusals = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file_name",
            "status",
            "total_rows",
            "done_rows",
            "percent",
            "created",
            "updated",
            "unchanged",
            "refused",
            "failure",
            "created_at",
            "finished_at",
            "refusals",
        ]

    @extend_schema_field(ImportRefusalSerializer(many=True))
    def get_refusals(self, run):
        """The first 1,000 refused rows with their reasons (the import page lists them all)."""
        return ImportRefusalSerializer(run.refusals.all()[:1000], many=True).data
