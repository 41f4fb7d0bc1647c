"""The reports API's query parameters and rows (documented in the OpenAPI schema)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .selectors import GROUP_BY, MAX_RANGE_DAYS


class ReportQuerySerializer(serializers.Serializer):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=CODE]: at most 3 years, `to` not before `from`."""

    from_ = serializers.DateField(help_text=_("First day of the period (local date)"))
    to = serializers.DateField(help_text=_("Last day of the period (local date, inclusive)"))
    unit = serializers.CharField(
        required=False, max_length=20, help_text=_("Org unit code: its subtree (404 when outside your scope)")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end of the period is before its start.")})
        if (attrs["to"] - attrs["from"]).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"to": _("A period may be at most 3 years long.")})
        return attrs


class SlaQuerySerializer(ReportQuerySerializer):
    group_by = serializers.ChoiceField(
        choices=GROUP_BY,
        required=False,
        allow_blank=True,
        help_text=_(
            "One of branch, outlet, service_type, milestone, channel, "
            "priority, handler; empty for one total row"
        ),
    )


class DurationSerializer(serializers.Serializer):
    unit = serializers.CharField(
        help_text=_("The milestones' own unit: working_hours, working_days, minutes...")
    )
    met = serializers.IntegerField()
    taken_median = serializers.FloatField(allow_null=True)
    taken_p90 = serializers.FloatField(allow_null=True)
    late_median = serializers.FloatField(allow_null=True, help_text=_("Median lateness of those met late"))


class SlaRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text=_("Code of the group (unit code, service type code...)")
    )
    name = serializers.CharField(allow_null=True)
    counted = serializers.IntegerField()
    met_on_time = serializers.IntegerField()
    met_late = serializers.IntegerField()
    breached_open = serializers.IntegerField()
    pending = serializers.IntegerField()
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    durations = DurationSerializer(many=True)


class SlaReportSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    group_by = serializers.CharField(allow_null=True)
    unit = serializers.CharField(allow_null=True)
    rows = SlaRowSerializer(many=True)
    total = SlaRowSerializer()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class BranchComplaintsSerializer(serializers.Serializer):
    unit = serializers.CharField()
    name = serializers.CharField()
    complaints = serializers.IntegerField()
    customers = serializers.IntegerField()
    per_10k = serializers.FloatField(allow_null=True)


class ComplaintReportSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    repeats = serializers.IntegerField()
    repeat_rate = serializers.FloatField(allow_null=True)
    answered = serializers.IntegerField()
    answered_on_time = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True)
    customers = serializers.IntegerField()
    by_branch = BranchComplaintsSerializer(many=True)


class DisputeCountsSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    name = serializers.CharField(source="unit.name")
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()
    upheld = serializers.IntegerField()
    on_hold = serializers.IntegerField()


class DisputeKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()


class DisputeMonthSerializer(serializers.Serializer):
    month = serializers.DateTimeField(format="%Y-%m")
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()


class AdjustmentStageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class AdjustmentFiguresSerializer(serializers.Serializer):
    proposed = AdjustmentStageSerializer()
    approved = AdjustmentStageSerializer()
    applied = AdjustmentStageSerializer()


class BillingReportSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()
    upheld = serializers.IntegerField()
    upheld_share = serializers.FloatField(allow_null=True)
    median_days_to_close = serializers.FloatField(allow_null=True)
    on_hold = serializers.IntegerField()
    adjustments = AdjustmentFiguresSerializer()
    by_kind = DisputeKindSerializer(many=True)
    by_outlet = DisputeCountsSerializer(many=True)
    by_branch = DisputeCountsSerializer(many=True)
    by_month = DisputeMonthSerializer(many=True)


class ScoreSerializer(serializers.Serializer):
    measure = serializers.CharField()
    label = serializers.CharField()
    actual = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    target_unit = serializers.CharField(allow_null=True, help_text=_("Where the target in force was set"))
    colour = serializers.ChoiceField(choices=["green", "amber", "red", "grey"])


class ScorecardSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    unit = serializers.CharField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text=_("The worst colour of the unit's measures"))
    scores = ScoreSerializer(many=True)


class TargetReportSerializer(serializers.Serializer):
    rule = serializers.CharField()
    units = ScorecardSerializer(many=True)


SATISFACTION_GROUPS = ("outlet", "branch", "service_type", "handler", "month")


class SatisfactionQuerySerializer(ReportQuerySerializer):
    group_by = serializers.ChoiceField(
        choices=SATISFACTION_GROUPS,
        required=False,
        allow_blank=True,
        help_text=_("One of outlet, branch, service_type, handler, month; empty for one total row"),
    )


class SatisfactionRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    closed = serializers.IntegerField(help_text=_("Cases closed in the period"))
    due = serializers.IntegerField(help_text=_("Cases due for a follow-up"))
    with_outcome = serializers.IntegerField()
    answered = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    callback_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    first_fix_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    meets_target = serializers.BooleanField(allow_null=True)


class SatisfactionReportSerializer(serializers.Serializer):
    rows = SatisfactionRowSerializer(many=True)
