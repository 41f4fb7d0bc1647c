"""Query parameters of the ticket list: the same filters as the staff queues (tickets.selectors)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import selectors
from .models import Channel, Escalation, Priority, SlaState, Status
from .selectors import DRILL_DOWN_FIELDS, DUE_WINDOWS, MAX_LIMIT, OUTCOMES, SCOPES


class QueueFilterSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=SCOPES, default="all", help_text=_("mine, team or all (visible)"))
    status = serializers.MultipleChoiceField(
        choices=Status.choices, required=False, help_text=_("Default: the open statuses")
    )
    service_type = serializers.CharField(required=False)
    org_unit = serializers.CharField(required=False, help_text=_("Org unit code (its subtree)"))
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    due_before = serializers.DateTimeField(required=False)
    sla_state = serializers.ChoiceField(choices=SlaState.choices, required=False)
    customer = serializers.CharField(required=False, help_text=_("Account number"))
    needs_routing = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Only cases waiting in triage (true) or placed ones (false)"),
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    handler = serializers.CharField(
        required=False, max_length=150, help_text=_("Handler's username; - for unassigned")
    )
    # The dashboards' drill-down: the cases behind a figure, by the dashboards' definitions.
    due_from = serializers.DateField(required=False)
    due_to = serializers.DateField(required=False)
    milestone = serializers.CharField(required=False, max_length=30)
    outcome = serializers.ChoiceField(choices=[(o, o) for o in OUTCOMES], required=False)
    due_window = serializers.ChoiceField(choices=[(w, w) for w in DUE_WINDOWS], required=False)
    escalated_level = serializers.ChoiceField(choices=Escalation.Level.choices, required=False)
    escalated_on = serializers.DateField(required=False)
    cursor = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=50)

    @classmethod
    def from_query(cls, query_params):
        data = {key: query_params.get(key) for key in query_params if key != "status"}
        if "status" in query_params:
            data["status"] = [s for v in query_params.getlist("status") for s in v.split(",") if s]
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def selector_filters(params: dict) -> dict:
        """Validated parameters as selectors.queue_for's keyword arguments (the page's form does the same)."""
        filters = {k: v for k, v in params.items() if k not in DRILL_DOWN_FIELDS}
        return {**filters, **selectors.drill_down(**{k: params.get(k) for k in DRILL_DOWN_FIELDS})}
