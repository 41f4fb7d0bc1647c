"""The complaint API (/api/v1/complaints/): create, list with filters, retrieve by reference, step actions.

Thin: serializers check the shape, services make every change; rule errors become 400s in
gasservice.api.exception_handler.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from accounts.personal_data import reveal_if_asked
from accounts.roles import is_service_staff
from gasservice.api import CaseStepsMixin
from tickets import selectors as ticket_selectors
from tickets.models import OPEN_STATUSES, SlaState, Status
from tickets.selectors import sla_state_q

from . import selectors, services
from .models import Complaint, Severity, Source
from .serializers import (
    AcknowledgeSerializer,
    CloseSerializer,
    ComplaintCreateSerializer,
    ComplaintDetailSerializer,
    ComplaintSerializer,
    ContactSerializer,
    InvestigateSerializer,
    LinkSerializer,
    ReopenSerializer,
    RespondSerializer,
)


class IsComplaintHandler(permissions.BasePermission):
    """Service staff (every role but field technicians) and superusers."""

    message = _("Complaints are handled by service staff.")

    def has_permission(self, request, view):
        return is_service_staff(request.user)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time handed to the database in UTC: PostgreSQL refuses offsets beyond +-15:59."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(_("Enter a date and time between the years 1 and 9999.")) from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(field_name="ticket__status", choices=Status.choices)
    is_open = django_filters.BooleanFilter(method="filter_open")
    category = django_filters.CharFilter(method="filter_category", help_text="Category or sub-category code.")
    source = django_filters.ChoiceFilter(choices=Source.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    is_repeat = django_filters.BooleanFilter()
    breached = django_filters.BooleanFilter(method="filter_breached")
    received_after = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    phone = django_filters.CharFilter(field_name="complainant_phone")
    account_no = django_filters.CharFilter(field_name="customer__account_no")

    class Meta:
        model = Complaint
        fields = []

    def filter_open(self, qs, name, value):
        return (
            qs.filter(ticket__status__in=OPEN_STATUSES)
            if value
            else qs.exclude(ticket__status__in=OPEN_STATUSES)
        )

    def filter_category(self, qs, name, value):
        return qs.filter(Q(category__code=value) | Q(sub_category__code=value))

    def filter_breached(self, qs, name, value):
        return (
            qs.filter(sla_state_q(SlaState.BREACHED, timezone.now(), prefix="ticket__"))
            if value
            else qs.exclude(sla_state_q(SlaState.BREACHED, timezone.now(), prefix="ticket__"))
        )


class ComplaintViewSet(
    CaseStepsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Complaints the caller may see (their org subtree; the call centre and the centre see all)."""

    serializer_class = ComplaintSerializer
    permission_classes = [IsComplaintHandler]
    filterset_class = ComplaintFilter
    lookup_field = "ticket__reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = "[A-Za-z0-9-]+"

    # Reading also covers the complaints the caller filed for another unit ("cases I filed");
    # the steps are for the handling unit's staff.
    def _filed_by_me(self) -> bool:
        return self.action == "list" and self.request.query_params.get("filed_by_me", "").lower() in (
            "1",
            "true",
            "yes",
        )

    def get_queryset(self):
        user = self.request.user
        if self._filed_by_me():
            base = Complaint.objects.readable_by(user).filter(ticket__created_by=user)
        elif self.action in ("retrieve", "chain", "create"):
            base = Complaint.objects.readable_by(user)
        else:
            base = Complaint.objects.visible_to(user)
        return (
            base.select_related(
                "ticket",
                "ticket__org_unit",
                "ticket__service_type",
                "category",
                "sub_category",
                "customer",
                "department_at_fault",
                "repeat_of__ticket__org_unit",
            )
            .prefetch_related("related_tickets")
            .order_by("-received_at", "-ticket_id")
        )

    def get_serializer_context(self):
        """Phones masked; `retrieve` swaps in the full phone after `reveal_if_asked` (checked, logged)."""
        return {**super().get_serializer_context(), "reveal": False}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "filed_by_me",
                bool,
                description="Only the complaints the caller filed, in any unit (read only where another unit "
                "handles them).",
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reveal",
                bool,
                description="The complainant's phone in full (roles that call back; each view is recorded).",
            )
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        complaint = self.get_object()
        reveal = bool(complaint.complainant_phone) and reveal_if_asked(
            request, fields=["complainant_phone"], customer=complaint.customer, subject=complaint.reference
        )
        context = {**self.get_serializer_context(), "reveal": reveal}
        response = Response(ComplaintDetailSerializer(complaint, context=context).data)
        if reveal:
            response["Cache-Control"] = "no-store"
        return response

    def get_serializer_class(self):
        return ComplaintDetailSerializer if self.action == "retrieve" else ComplaintSerializer

    def _result(self, complaint, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=complaint.pk)
        data = ComplaintDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        request=ComplaintCreateSerializer,
        responses={201: ComplaintDetailSerializer},
        summary="File a complaint (staff intake: hall, hotline, 12345, letter, media, regulator)",
    )
    def create(self, request):
        data = self._input(ComplaintCreateSerializer)
        now = timezone.now()
        complaint = services.file_complaint(
            source=data["source"],
            category=data["category"],
            sub_category=data.get("sub_category"),
            severity=data["severity"],
            description=data["description"],
            complainant_name=data["complainant_name"],
            complainant_phone=data["complainant_phone"],
            complainant_email=data["complainant_email"],
            complainant_address=data["complainant_address"],
            customer=data.get("customer"),
            requested_remedy=data["requested_remedy"],
            consent_at=now if data["consent"] else None,
            received_at=data.get("received_at"),
            hotline_order_no=data["hotline_order_no"],
            hotline_due_at=data.get("hotline_due_at"),
            actor=request.user,
            now=now,
        )
        return self._result(complaint, status.HTTP_201_CREATED)

    @extend_schema(request=AcknowledgeSerializer, responses=ComplaintSerializer, summary="Acknowledge")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, reference=None):
        data = self._input(AcknowledgeSerializer)
        complaint = services.acknowledge_complaint(
            complaint=self.get_object(), note=data["note"], actor=request.user, now=timezone.now()
        )
        return self._result(complaint)

    @extend_schema(
        request=ContactSerializer, responses=ComplaintSerializer, summary="Record the first contact"
    )
    @action(detail=True, methods=["post"])
    def contact(self, request, reference=None):
        data = self._input(ContactSerializer)
        complaint = services.record_contact(
            complaint=self.get_object(), note=data["note"], actor=request.user, now=timezone.now()
        )
        return self._result(complaint)

    @extend_schema(
        request=InvestigateSerializer, responses=ComplaintSerializer, summary="Record the investigation"
    )
    @action(detail=True, methods=["post"])
    def investigate(self, request, reference=None):
        data = self._input(InvestigateSerializer)
        complaint = services.record_investigation(
            complaint=self.get_object(),
            findings=data["findings"],
            is_substantiated=data["is_substantiated"],
            root_cause=data["root_cause"],
            department_at_fault=data.get("department_at_fault"),
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(complaint)

    @extend_schema(
        request=RespondSerializer,
        responses=ComplaintSerializer,
        summary="Send the answer (recorded exactly as sent) and the remedy",
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, reference=None):
        data = self._input(RespondSerializer)
        complaint = services.respond_to_complaint(
            complaint=self.get_object(),
            response_text=data["response_text"],
            remedy=data["remedy"],
            remedy_amount=data.get("remedy_amount"),
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(complaint)

    @extend_schema(request=CloseSerializer, responses=ComplaintSerializer, summary="Close after the callback")
    @action(detail=True, methods=["post"])
    def close(self, request, reference=None):
        data = self._input(CloseSerializer)
        complaint = services.close_complaint(
            complaint=self.get_object(),
            customer_accepted=data["customer_accepted"],
            note=data["note"],
            actor=request.user,
            now=timezone.now(),
        )
        return self._result(complaint)

    @extend_schema(request=ReopenSerializer, responses=ComplaintSerializer, summary="Reopen on appeal")
    @action(detail=True, methods=["post"])
    def reopen(self, request, reference=None):
        data = self._input(ReopenSerializer)
        complaint = services.reopen_complaint(
            complaint=self.get_object(), reason=data["reason"], actor=request.user, now=timezone.now()
        )
        return self._result(complaint)

    @extend_schema(
        request=LinkSerializer,
        responses=ComplaintSerializer,
        summary="Link a related service ticket or billing dispute",
    )
    @action(detail=True, methods=["post"])
    def link(self, request, reference=None):
        data = self._input(LinkSerializer)
        ticket = ticket_selectors.find_visible_ticket(request.user, data["ticket"])
        if ticket is None:
            raise DRFValidationError({"ticket": [_("No ticket with this reference is visible to you.")]})
        complaint = services.link_related(
            complaint=self.get_object(), ticket=ticket, actor=request.user, now=timezone.now()
        )
        return self._result(complaint)

    @extend_schema(
        responses=ComplaintSerializer(many=True), summary="The repeat chain this complaint belongs to"
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # one list, oldest first (not paged)
    def chain(self, request, reference=None):
        chain = selectors.repeat_chain_for(request.user, self.get_object())
        ids = [c.pk for c in chain.complaints]
        rows = {c.pk: c for c in self.get_queryset().filter(pk__in=ids)}
        data = [
            ComplaintSerializer(rows[i], context=self.get_serializer_context()).data for i in ids if i in rows
        ]
        return Response(data)
