"""Read-only API: /api/v1/surveys/ (state per case, calls, answers), /api/v1/recoveries/,
/api/v1/improvements/ and the figures at /api/v1/surveys/figures/. Rows the caller may see only."""

import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import OrgUnit
from accounts.roles import is_service_staff

from . import selectors
from .models import ImprovementAction, Recovery, Survey
from .rules import SATISFACTION_TARGET
from .serializers import FiguresSerializer, ImprovementSerializer, RecoverySerializer, SurveySerializer


class IsServiceStaff(permissions.BasePermission):
    """Service staff (every role but field technicians) and superusers."""

    message = _("Follow-ups are handled by service staff.")

    def has_permission(self, request, view):
        return is_service_staff(request.user)


class SurveyFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Survey.State.choices)
    method = django_filters.ChoiceFilter(choices=Survey.Method.choices)
    service_type = django_filters.CharFilter(field_name="service_type__code")
    unit = django_filters.CharFilter(method="filter_unit", help_text="Org unit code: its whole subtree.")
    closed_from = django_filters.DateFilter(
        method="filter_from", help_text="Local date of the case's closure."
    )
    closed_to = django_filters.DateFilter(method="filter_to", help_text="Local date, inclusive.")

    class Meta:
        model = Survey
        fields = []

    def filter_unit(self, qs, name, value):
        unit = OrgUnit.objects.filter(code=value).first()
        return qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()

    def filter_from(self, qs, name, value):
        return qs.filter(case_closed_at__gte=selectors.local_midnight(value))

    def filter_to(self, qs, name, value):
        return qs.filter(case_closed_at__lt=selectors.local_midnight(value + dt.timedelta(days=1)))


GROUP_CHOICES = sorted(selectors.GROUPS)


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The follow-up of each closed case the caller may see (addressed by the case's reference)."""

    serializer_class = SurveySerializer
    permission_classes = [IsServiceStaff]
    filterset_class = SurveyFilter
    lookup_field = "ticket__reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"

    def get_queryset(self):
        return (
            Survey.objects.visible_to(self.request.user)
            .exclude(state=Survey.State.WITHDRAWN)
            .select_related(
                "ticket", "service_type", "org_unit", "handler", "callback_ticket", "recovery__ticket"
            )
            .prefetch_related("attempts__by")
            .order_by("-case_closed_at", "-id")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unit", str, description="Org unit code (its subtree); default: all the caller sees."
            ),
            OpenApiParameter(
                "start", dt.date, description="First local date of closure (default: 90 days ago)."
            ),
            OpenApiParameter(
                "end", dt.date, description="Last local date of closure, inclusive (default: today)."
            ),
            OpenApiParameter(
                "group_by", str, enum=GROUP_CHOICES, description="Rows per group (default: none)."
            ),
        ],
        responses=FiguresSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def figures(self, request):
        """The rates and dimension scores of satisfaction.md for a unit's subtree and a period."""
        params = request.query_params
        errors = {}
        scope = None
        if params.get("unit"):
            scope = OrgUnit.objects.visible_to(request.user).filter(code=params["unit"][:20]).first()
            if scope is None:
                errors["unit"] = [_("Unknown unit, or outside what you may see.")]
        dates = {}
        today = timezone.localdate()
        for name, default in (("start", today - dt.timedelta(days=90)), ("end", today)):
            try:
                dates[name] = dt.date.fromisoformat(params[name]) if params.get(name) else default
            except ValueError:
                errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        group_by = params.get("group_by") or None
        if group_by is not None and group_by not in selectors.GROUPS:
            errors["group_by"] = [_("Choose one of %(groups)s.") % {"groups": ", ".join(GROUP_CHOICES)}]
        if not errors and dates["start"] > dates["end"]:
            errors["end"] = [_("The end date is before the start date.")]
        if errors:
            raise ValidationError(errors)
        common = {"user": request.user, "scope": scope, **dates}
        total, rows = selectors.figures_and_total(**common, group_by=group_by)
        data = {"target": SATISFACTION_TARGET, "total": total, "rows": rows}
        return Response(FiguresSerializer(data).data)


class RecoveryFilter(django_filters.FilterSet):
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")
    is_repeat = django_filters.BooleanFilter()

    class Meta:
        model = Recovery
        fields = []


class RecoveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service recoveries the caller may see (addressed by the recovery ticket's reference)."""

    serializer_class = RecoverySerializer
    permission_classes = [IsServiceStaff]
    filterset_class = RecoveryFilter
    lookup_field = "ticket__reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"

    def get_queryset(self):
        return (
            Recovery.objects.visible_to(self.request.user)
            .select_related("ticket__assignee", "original", "survey")
            .order_by("-opened_at", "-id")
        )


class ImprovementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImprovementAction.Status.choices)
    unit = django_filters.CharFilter(method="filter_unit", help_text="Org unit code: its whole subtree.")

    class Meta:
        model = ImprovementAction
        fields = []

    def filter_unit(self, qs, name, value):
        unit = OrgUnit.objects.filter(code=value).first()
        return qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()


class ImprovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Improvement actions (PDCA) the caller may see, with each check's before and after."""

    serializer_class = ImprovementSerializer
    permission_classes = [IsServiceStaff]
    filterset_class = ImprovementFilter
    lookup_field = "ticket__reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"

    def get_queryset(self):
        return (
            ImprovementAction.objects.visible_to(self.request.user)
            .select_related("ticket", "org_unit", "owner")
            .prefetch_related("checks")
            .order_by("-opened_at", "-id")
        )
