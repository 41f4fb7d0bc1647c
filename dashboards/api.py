"""Reports API (/api/v1/reports/...): the dashboard's figures for the viewer's scope, read-only.

Bad ranges and an unknown group_by are field errors (400); a unit outside the viewer's scope is 404.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from satisfaction.selectors import satisfaction_figures

from . import reports, selectors
from .scorecards import RULE
from .serializers import (
    BillingReportSerializer,
    ComplaintReportSerializer,
    ReportQuerySerializer,
    SatisfactionQuerySerializer,
    SatisfactionReportSerializer,
    SlaQuerySerializer,
    SlaReportSerializer,
    TargetReportSerializer,
)


def _query(request, serializer_class):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    unit = selectors.visible_unit(request.user, data.get("unit"))
    return data, unit


def _row(code, name, tally) -> dict:
    return {"key": code, "name": name, **tally.as_dict()}


class SlaReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[SlaQuerySerializer],
        responses=SlaReportSerializer,
        summary="On-time figures of the deadlines falling in a period, grouped",
    )
    def get(self, request):
        data, unit = _query(request, SlaQuerySerializer)
        group_by = (data["group_by"],) if data.get("group_by") else ()
        rows = selectors.sla_rows(
            request.user,
            start=data["from"],
            end=data["to"],
            now=timezone.now(),
            group_by=group_by,
            unit=unit,
            with_durations=True,
        )
        whole = selectors.total(rows)
        body = {
            "from": data["from"],
            "to": data["to"],
            "group_by": group_by[0] if group_by else None,
            "unit": unit.code if unit else None,
            "rows": [_row(" / ".join(r.codes), " / ".join(str(n) for n in r.names), r.tally) for r in rows],
            "total": _row(None, None, whole),
        }
        return Response(SlaReportSerializer(body).data)


class ComplaintReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses=ComplaintReportSerializer,
        summary="The complaints app's figures for complaints received in a period",
    )
    def get(self, request):
        if selectors.own_handler(request.user):
            raise PermissionDenied(_("Complaint figures are for supervisors and managers."))
        data, _unit = _query(request, ReportQuerySerializer)
        figures = reports.complaints_panel(request.user, start=data["from"], end=data["to"])
        figures["by_branch"] = [
            {
                "unit": r["unit"].code,
                "name": r["unit"].name,
                "complaints": r["complaints"],
                "customers": r["customers"],
                "per_10k": r["per_10k"],
            }
            for r in figures["by_branch"]
        ]
        return Response(ComplaintReportSerializer(figures).data)


class BillingReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses=BillingReportSerializer,
        summary="The billing app's figures: disputes opened and closed, upheld, on hold, adjustments",
    )
    def get(self, request):
        if selectors.own_handler(request.user):
            raise PermissionDenied(_("Billing figures are for supervisors and managers."))
        data, unit = _query(request, ReportQuerySerializer)
        figures = reports.billing_figures_panel(request.user, unit, start=data["from"], end=data["to"])
        return Response(BillingReportSerializer(figures).data)


class TargetReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses=TargetReportSerializer,
        summary="Scorecards: each outlet's or branch's measures against their targets, ranked",
    )
    def get(self, request):
        data, unit = _query(request, ReportQuerySerializer)
        unit = unit or selectors.home_unit(request.user)
        labels = selectors.Labels()
        cards = reports.scorecard(
            request.user,
            unit,
            start=data["from"],
            end=data["to"],
            now=timezone.now(),
            labels=labels,
            comparison=selectors.default_comparison(request.user, unit),
        )
        body = {
            "rule": str(RULE),
            "units": [
                {
                    "rank": c["rank"],
                    "unit": c["unit"].code,
                    "name": c["unit"].name,
                    "colour": c["worst"],
                    "scores": [
                        {
                            "measure": s.measure,
                            "label": s.label,
                            "actual": s.actual,
                            "target": s.target.value if s.target else None,
                            "target_unit": s.target.org_unit.code if s.target else None,
                            "colour": s.colour,
                        }
                        for s in c["scores"]
                    ],
                }
                for c in cards
            ],
        }
        return Response(TargetReportSerializer(body).data)


class SatisfactionReportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[SatisfactionQuerySerializer],
        responses=SatisfactionReportSerializer,
        summary="The satisfaction app's figures for cases closed in a period, grouped",
    )
    def get(self, request):
        if selectors.own_handler(request.user):
            raise PermissionDenied(_("Satisfaction figures are for supervisors and managers."))
        data, unit = _query(request, SatisfactionQuerySerializer)
        rows = satisfaction_figures(
            user=request.user,
            scope=unit,
            start=data["from"],
            end=data["to"],
            group_by=data.get("group_by") or None,
        )
        return Response(SatisfactionReportSerializer({"rows": rows}).data)
