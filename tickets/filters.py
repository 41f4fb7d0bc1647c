"""Query parameters of the ticket list: the same filters as the staff queues (tickets.selectors)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Channel, SlaState, Status
from .selectors import MAX_LIMIT, SCOPES


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
