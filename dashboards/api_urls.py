from django.urls import path

from .api import (
    BillingReportView,
    ComplaintReportView,
    SatisfactionReportView,
    SlaReportView,
    TargetReportView,
)

urlpatterns = [
    path("reports/sla/", SlaReportView.as_view(), name="report-sla"),
    path("reports/complaints/", ComplaintReportView.as_view(), name="report-complaints"),
    path("reports/billing/", BillingReportView.as_view(), name="report-billing"),
    path("reports/targets/", TargetReportView.as_view(), name="report-targets"),
    path("reports/satisfaction/", SatisfactionReportView.as_view(), name="report-satisfaction"),
]
