"""The billing API (/api/v1/billing/): customers' billing, disputes and their steps, adjustments, imports.

Thin: serializers check the shape, services make every change; rule errors become 400s in
gasservice.api.exception_handler. Rows are found through `visible_to(user)`.
"""

import csv
import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Customer
from accounts.roles import may_exchange_with_billing_system
from gasservice.api import CaseStepsMixin

from . import imports, selectors, services
from .models import Adjustment, Bill, Dispute, ImportRun
from .permissions import may_handle_billing
from .serializers import (
    AdjustmentRefSerializer,
    AdjustmentSerializer,
    CustomerBillingSerializer,
    DisputeCreateSerializer,
    DisputeSerializer,
    FindingSerializer,
    ImportCreateSerializer,
    ImportRunSerializer,
    InformSerializer,
    MeterReplacementInputSerializer,
    MeterTestSerializer,
    ProposeSerializer,
    RebillSerializer,
    RereadSerializer,
    WithdrawSerializer,
)


class IsBillingStaff(permissions.BasePermission):
    """Service staff handle billing; field technicians only record re-reads and meter tests."""

    message = _("Billing disputes are handled by service staff.")

    def has_permission(self, request, view):
        return may_handle_billing(request.user, getattr(view, "action", None))


class IsBillingSystem(permissions.BasePermission):
    message = _("Only administrators exchange files with the billing system.")

    def has_permission(self, request, view):
        return may_exchange_with_billing_system(request.user)


def _today():
    return timezone.localdate()


class CustomerBillingViewSet(viewsets.GenericViewSet):
    """A customer's meters, the last 24 months of readings and bills (with lines), holds and disputes."""

    permission_classes = [IsBillingStaff]
    serializer_class = CustomerBillingSerializer
    lookup_field = "account_no"
    lookup_value_regex = "[0-9]{1,12}"

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user).select_related(
            "category__parent", "sub_category"
        )

    def retrieve(self, request, account_no=None):
        customer = self.get_object()
        data = selectors.billing_of(customer, today=_today())
        for bill in data["bills"]:
            bill.on_hold = bool(bill.holds)
            bill.held_by = [d.reference for d in bill.holds]
        payload = {
            "account_no": customer.account_no,
            **{k: data[k] for k in ("meters", "readings", "bills", "disputes")},
        }
        return Response(CustomerBillingSerializer(payload).data)


class DisputeViewSet(
    CaseStepsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Billing disputes the caller may see; each step is a POST action that calls its service."""

    permission_classes = [IsBillingStaff]
    serializer_class = DisputeSerializer
    lookup_field = "ticket__reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"

    def get_queryset(self):
        qs = (
            Dispute.objects.visible_to(self.request.user)
            .select_related(
                "ticket",
                "customer",
                "check_ticket",
                "disputed_reading__meter",
                "corrected_reading__meter",
                "corrected_reading__corrects",
                "disputed_reading__corrects",
                "meter_replacement__old_meter",
                "meter_replacement__new_meter",
            )
            .prefetch_related(
                "bills",
                "events__actor",
                "adjustments__lines__bill",
                "adjustments__proposed_by",
                "adjustments__approved_by",
                "adjustments__applied_by",
                "adjustments__dispute__ticket",
                "adjustments__dispute__customer",
            )
            .order_by("-opened_at", "-ticket_id")
        )
        params = self.request.query_params
        if params.get("account_no"):
            qs = qs.filter(customer__account_no=params["account_no"])
        if params.get("is_open") in ("true", "1"):
            qs = qs.filter(closed_at__isnull=True)
        elif params.get("is_open") in ("false", "0"):
            qs = qs.filter(closed_at__isnull=False)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("account_no", str, description="Only this customer's disputes."),
            OpenApiParameter("is_open", bool, description="Open (true) or closed (false) disputes."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _result(self, dispute, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=dispute.pk)
        return Response(DisputeSerializer(fresh).data, status=code)

    @extend_schema(
        request=DisputeCreateSerializer,
        responses={201: DisputeSerializer},
        summary="Register a billing dispute (a BIL-DISP ticket); the disputed bills go on hold",
    )
    def create(self, request):
        data = self._input(DisputeCreateSerializer)
        customer = Customer.objects.visible_to(request.user).filter(account_no=data["account_no"]).first()
        if customer is None:
            raise DRFValidationError(
                {"account_no": [_("No customer with this account number is visible to you.")]}
            )
        bills = list(Bill.objects.filter(customer=customer, external_id__in=data["bills"]))
        missing = sorted(set(data["bills"]) - {b.external_id for b in bills})
        if missing:
            raise DRFValidationError(
                {"bills": [_("Not a bill of this customer: %(ids)s") % {"ids": ", ".join(missing)}]}
            )
        dispute = services.register_dispute(
            customer=customer,
            kind=data["kind"],
            bills=bills,
            description=data["description"],
            channel=data.get("channel") or "service_hall",
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(dispute, status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses=DisputeSerializer, summary="Order the re-read or meter test (a child ticket)"
    )
    @action(detail=True, methods=["post"], url_path="order-check")
    def order_check(self, request, reference=None):
        return self._result(
            services.order_check(dispute=self.get_object(), actor=request.user, now=timezone.now())
        )

    @extend_schema(request=RereadSerializer, responses=DisputeSerializer, summary="Record the re-read")
    @action(detail=True, methods=["post"])
    def reread(self, request, reference=None):
        data = self._input(RereadSerializer)
        dispute = services.record_reread(
            dispute=self.get_object(),
            read_on=data["read_on"],
            value_m3=data["value_m3"],
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(dispute)

    @extend_schema(
        request=MeterTestSerializer, responses=DisputeSerializer, summary="Record the meter test result"
    )
    @action(detail=True, methods=["post"], url_path="meter-test")
    def meter_test(self, request, reference=None):
        data = self._input(MeterTestSerializer)
        dispute = services.record_meter_test(
            dispute=self.get_object(), error_pct=data["error_pct"], actor=request.user, now=timezone.now()
        )
        return self._result(dispute)

    @extend_schema(
        request=MeterReplacementInputSerializer,
        responses=DisputeSerializer,
        summary="Record the free replacement of a meter that failed its test (the old one is removed)",
    )
    @action(detail=True, methods=["post"], url_path="replace-meter")
    def replace_meter(self, request, reference=None):
        data = self._input(MeterReplacementInputSerializer)
        dispute = self.get_object()
        services.record_meter_replacement(
            dispute=dispute,
            new_serial=data["new_serial"],
            replaced_on=data["replaced_on"],
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(self.get_object())

    @extend_schema(request=FindingSerializer, responses=DisputeSerializer, summary="Record the finding")
    @action(detail=True, methods=["post"])
    def finding(self, request, reference=None):
        data = self._input(FindingSerializer)
        dispute = services.record_finding(
            dispute=self.get_object(), finding=data["finding"], actor=request.user, now=timezone.now()
        )
        return self._result(dispute)

    @extend_schema(
        request=None,
        responses=RebillSerializer,
        summary="Re-bill: old against new, bill by bill and line by line, and the total (changes nothing)",
    )
    @action(detail=True, methods=["post"])
    def rebill(self, request, reference=None):
        return Response(services.rebill_as_json(services.rebill_dispute(self.get_object())))

    @extend_schema(request=ProposeSerializer, responses=DisputeSerializer, summary="Propose the adjustment")
    @action(detail=True, methods=["post"])
    def propose(self, request, reference=None):
        data = self._input(ProposeSerializer)
        dispute = self.get_object()
        services.propose_adjustment(
            dispute=dispute, reason=data["reason"], actor=request.user, now=timezone.now()
        )
        return self._result(dispute)

    def _adjustment(self, dispute, external_id):
        qs = dispute.adjustments.all()
        if external_id:
            adjustment = qs.filter(external_id=external_id).first()
        else:
            adjustment = qs.exclude(status=Adjustment.Status.WITHDRAWN).order_by("-proposed_at").first()
        if adjustment is None:
            raise DRFValidationError({"adjustment": [_("This dispute has no such adjustment.")]})
        return adjustment

    @extend_schema(
        request=AdjustmentRefSerializer,
        responses=DisputeSerializer,
        summary="Approve the adjustment (four eyes: never the proposer)",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, reference=None):
        data = self._input(AdjustmentRefSerializer)
        dispute = self.get_object()
        services.approve_adjustment(
            adjustment=self._adjustment(dispute, data.get("adjustment")),
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(dispute)

    @extend_schema(
        request=AdjustmentRefSerializer,
        responses=DisputeSerializer,
        summary="Apply the approved adjustment (once)",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, reference=None):
        data = self._input(AdjustmentRefSerializer)
        dispute = self.get_object()
        services.apply_adjustment(
            adjustment=self._adjustment(dispute, data.get("adjustment")),
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(dispute)

    @extend_schema(
        request=WithdrawSerializer,
        responses=DisputeSerializer,
        summary="Withdraw the proposed or approved adjustment (it will not be posted)",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference=None):
        data = self._input(WithdrawSerializer)
        dispute = self.get_object()
        services.withdraw_adjustment(
            adjustment=self._adjustment(dispute, data.get("adjustment")),
            reason=data["reason"],
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(dispute)

    @extend_schema(
        request=InformSerializer,
        responses=DisputeSerializer,
        summary="Inform the customer (SMS or letter, old and new amounts); closes the dispute",
    )
    @action(detail=True, methods=["post"])
    def inform(self, request, reference=None):
        data = self._input(InformSerializer)
        dispute = services.inform_customer(
            dispute=self.get_object(), channel=data["channel"], actor=request.user, now=timezone.now()
        )
        return self._result(dispute)


def csv_cell(value) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is quoted; numbers stay."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+@\t\r":
        return f"'{text}"
    if text.startswith("-") and not _is_number(text):
        return f"'{text}"
    return text


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


class AdjustmentCsvRenderer(renderers.BaseRenderer):
    """One row per adjusted bill; (external_id, bill) is the posting key."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    columns = [
        "external_id",
        "account_no",
        "dispute",
        "bill",
        "old_amount",
        "new_amount",
        "difference",
        "amount",
        "approved_by",
        "approved_at",
    ]

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, list):
            return "\n".join(f"{key}: {value}" for key, value in (data or {}).items()).encode()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.columns)
        for adjustment in data:
            for line in adjustment["lines"]:
                row = {**adjustment, **line}
                writer.writerow([csv_cell(row.get(column)) for column in self.columns])
        return buffer.getvalue().encode()


class AdjustmentViewSet(viewsets.GenericViewSet):
    """The billing system's feed: adjustments to post, marked exported when fetched."""

    permission_classes = [IsBillingSystem]
    serializer_class = AdjustmentSerializer
    renderer_classes = [renderers.JSONRenderer, AdjustmentCsvRenderer]
    pagination_class = None

    def get_queryset(self):
        return (
            Adjustment.objects.visible_to(self.request.user)
            .select_related(
                "dispute__ticket", "dispute__customer", "proposed_by", "approved_by", "applied_by"
            )
            .prefetch_related("lines__bill")
            .order_by("approved_at", "pk")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=list(Adjustment.Status.values), description="Default: approved."
            ),
            OpenApiParameter("exported", bool, description="false: only those not exported yet."),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses=AdjustmentSerializer(many=True),
        summary="Adjustments to post (JSON or CSV); the ones returned are marked exported",
    )
    def list(self, request):
        wanted = request.query_params.get("status") or Adjustment.Status.APPROVED
        if wanted not in Adjustment.Status.values:
            raise DRFValidationError({"status": [_("Choose proposed, approved, applied or withdrawn.")]})
        qs = self.get_queryset().filter(status=wanted)
        if request.query_params.get("exported") in ("false", "0"):
            qs = qs.filter(exported_at__isnull=True)
        rows = list(qs)
        now = timezone.now()
        with transaction.atomic():
            Adjustment.objects.filter(pk__in=[a.pk for a in rows if a.exported_at is None]).update(
                exported_at=now
            )
        for adjustment in rows:
            adjustment.exported_at = adjustment.exported_at or now
        return Response(AdjustmentSerializer(rows, many=True).data)


class ImportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CSV files from the billing system: small ones at once (201), large ones in the worker (202)."""

    permission_classes = [IsBillingSystem]
    serializer_class = ImportRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return ImportRun.objects.all()

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            201: ImportRunSerializer,
            202: OpenApiResponse(ImportRunSerializer, description="Queued: follow GET /imports/{id}/."),
        },
        summary="Import meters, readings or bills (CSV; columns on this page and in the README)",
        description=(
            "Columns (header row, UTF-8):\n\n"
            "- meters: `external_id, account_no, serial, meter_type, fitted_on, verify_by`\n"
            "- readings: `external_id, meter_serial, read_on, value_m3, source`\n"
            "- bills: `external_id, account_no, opening_reading_id, closing_reading_id, amount, due_on, "
            "paid` (the reading ids are the readings' external_ids; a bill without amount is priced by "
            "the tariff engine)\n\n"
            "Idempotent on external_id. Every refused row is listed with its row number and reason."
        ),
    )
    def create(self, request):
        serializer = ImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run, background = imports.start_import(
            kind=serializer.validated_data["kind"],
            upload=serializer.validated_data["file"],
            actor=request.user,
            now=timezone.now(),
        )
        code = status.HTTP_202_ACCEPTED if background else status.HTTP_201_CREATED
        return Response(ImportRunSerializer(run).data, status=code)
