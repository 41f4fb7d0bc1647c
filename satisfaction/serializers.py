"""Read-only representations of surveys, recoveries and figures (codes, not database ids)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.masking import mask_phone

from .models import CallbackAttempt, ImprovementAction, ImprovementCheck, Recovery, Survey


class CallbackAttemptSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CallbackAttempt
        fields = ["at", "outcome", "counts_as_try", "note", "by"]


class AnswerSerializer(serializers.Serializer):
    answered_at = serializers.DateTimeField(source="outcome_at")
    overall = serializers.IntegerField()
    is_solved = serializers.BooleanField(allow_null=True)
    scores = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Score 1-5 per question code; null = not applicable.",
    )
    comment = serializers.CharField(allow_blank=True)


class SurveySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference", help_text="The followed-up case.")
    service_type = serializers.CharField(source="service_type.code")
    org_unit = serializers.CharField(source="org_unit.code")
    handler = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    phone = serializers.SerializerMethodField()
    callback_ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    attempts = CallbackAttemptSerializer(many=True, read_only=True)
    answer = serializers.SerializerMethodField()
    recovery = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "reference",
            "service_type",
            "org_unit",
            "handler",
            "case_closed_at",
            "state",
            "method",
            "exclusion",
            "phone",
            "sms_expires_at",
            "callback_ticket",
            "outcome_at",
            "attempts",
            "answer",
            "recovery",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, survey) -> str:
        return mask_phone(survey.phone)

    @extend_schema_field(AnswerSerializer(allow_null=True))
    def get_answer(self, survey):
        if survey.state != Survey.State.ANSWERED:
            return None
        return AnswerSerializer(survey).data

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Reference of the recovery ticket.")
    )
    def get_recovery(self, survey):
        recovery = getattr(survey, "recovery", None)
        return recovery.ticket.reference if recovery else None


class RecoverySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference", help_text="The recovery ticket.")
    original = serializers.CharField(source="original.reference", help_text="The case that was followed up.")
    status = serializers.CharField(source="ticket.status")
    sla_state = serializers.CharField(source="ticket.sla_state")
    assignee = serializers.SlugRelatedField(
        source="ticket.assignee", slug_field="username", read_only=True, allow_null=True
    )
    overall = serializers.IntegerField(source="survey.overall")
    is_solved = serializers.BooleanField(source="survey.is_solved", allow_null=True)

    class Meta:
        model = Recovery
        fields = [
            "reference",
            "original",
            "reasons",
            "is_repeat",
            "opened_at",
            "closed_at",
            "status",
            "sla_state",
            "assignee",
            "overall",
            "is_solved",
            "action_taken",
            "is_customer_satisfied",
        ]


class ScoresSerializer(serializers.Serializer):
    tangibles = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    reliability = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    responsiveness = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    assurance = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    empathy = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)


class FigureRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The group's code (unit, service type, username) or YYYY-MM.")
    label = serializers.CharField()
    closed = serializers.IntegerField()
    due = serializers.IntegerField()
    with_outcome = serializers.IntegerField()
    answered = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    solved = serializers.IntegerField()
    callback_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    valid_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    satisfaction_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    first_fix_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    meets_target = serializers.BooleanField(allow_null=True)
    scores = ScoresSerializer()


class FiguresSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text="Satisfaction-rate target, percent.")
    total = FigureRowSerializer()
    rows = FigureRowSerializer(many=True)


class ImprovementCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImprovementCheck
        fields = [
            "plan",
            "done_at",
            "before_from",
            "before_value",
            "after_to",
            "after_value",
            "is_effective",
            "checked_at",
            "note",
        ]


class ImprovementSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference", help_text="The action's ticket.")
    org_unit = serializers.CharField(source="org_unit.code")
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    checks = ImprovementCheckSerializer(many=True, read_only=True)

    class Meta:
        model = ImprovementAction
        fields = [
            "reference",
            "problem",
            "source",
            "source_detail",
            "org_unit",
            "owner",
            "plan",
            "due_date",
            "measure",
            "measure_subject",
            "target",
            "status",
            "opened_at",
            "done_at",
            "closed_at",
            "checks",
        ]
