"""The tickets REST API: thin. Reads go through tickets.selectors, every change through a service."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.models import OrgUnit
from accounts.personal_data import personal_fields_in, reveal_if_asked
from accounts.roles import may_transfer_cases

from . import selectors, services, timeline
from .filters import QueueFilterSerializer
from .models import ServiceType, Ticket
from .serializers import (
    AssignSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    EventSerializer,
    ServiceTypeSerializer,
    TextSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TransferSerializer,
    TransitionSerializer,
)


@extend_schema_serializer(many=False)  # the list answers one page object, not a list of pages
class TicketPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = TicketSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        parameters=[QueueFilterSerializer],
        responses=TicketPageSerializer,
        summary="Queue of visible tickets, nearest deadline first (keyset pages)",
    ),
    retrieve=extend_schema(
        responses=TicketSerializer,
        parameters=[
            OpenApiParameter(
                "reveal",
                bool,
                description=(
                    "The contact phone in full (roles that call customers back; each view is recorded)."
                ),
            )
        ],
    ),
)
class TicketViewSet(viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Z0-9-]+"
    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()  # for the schema only: reads go through tickets.selectors (visible_to)

    def _ticket(self):
        return selectors.visible_ticket(self.request.user, self.kwargs["reference"])

    def _detail(self, reference, *, code=status.HTTP_200_OK):
        ticket = selectors.ticket_detail(
            self.request.user, reference, with_escalations=True, with_kind_data=True
        )
        return Response(self._render(ticket), status=code)

    def _render(self, ticket):
        """Contact phone masked; in full on `GET ...?reveal=1` for the roles that call back, and logged."""
        reveal = bool(ticket.contact_phone) and reveal_if_asked(
            self.request, fields=["contact_phone"], customer=ticket.customer, subject=ticket.reference
        )
        return TicketSerializer(ticket, context={"reveal": reveal}).data

    def list(self, request):
        params = QueueFilterSerializer.from_query(request.query_params)
        cursor = params.pop("cursor", None)
        limit = params.pop("limit")
        page = selectors.queue_for(
            request.user,
            after=cursor,
            limit=limit,
            with_milestones=True,
            with_escalations=True,
            with_kind_data=True,
            **params,
        )
        next_url = None
        if page.next_cursor:
            query = request.query_params.copy()
            query["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        rows = TicketSerializer(page.rows, many=True, context={"reveal": False}).data
        return Response({"next": next_url, "results": rows})

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = services.create_ticket(actor=request.user, now=timezone.now(), **serializer.validated_data)
        return Response(
            self._render(ticket),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("ticket-detail", args=[ticket.reference], request=request)},
        )

    def retrieve(self, request, reference=None):
        return self._detail(reference)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request, reference=None):
        ticket = self._ticket()
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_ticket(
            ticket=ticket, actor=request.user, now=timezone.now(), **serializer.validated_data
        )
        return self._detail(reference)

    @extend_schema(
        request=TransitionSerializer,
        responses=TicketSerializer,
        summary="Move the ticket to another status (accept, start, pause, resume, resolve, ...)",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        ticket = self._ticket()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.transition_ticket(
            ticket=ticket, actor=request.user, now=timezone.now(), **serializer.validated_data
        )
        return self._detail(reference)

    @extend_schema(request=AssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        ticket = self._ticket()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = (
            get_user_model()
            .objects.select_related("staff_profile__org_unit")
            .filter(username=serializer.validated_data["assignee"])
            .first()
        )
        if assignee is None:
            raise serializers.ValidationError({"assignee": [_("No staff member with this username.")]})
        services.assign_ticket(ticket=ticket, assignee=assignee, actor=request.user, now=timezone.now())
        return self._detail(reference)

    @extend_schema(
        request=TransferSerializer,
        responses=TicketSerializer,
        summary="Transfer the case to another unit inside your scope, with a reason",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, reference=None):
        if not may_transfer_cases(request.user):  # the same rule as the page, before reading the body
            raise PermissionDenied(_("Only supervisors, call-centre agents and managers may transfer cases."))
        ticket = self._ticket()
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = OrgUnit.objects.filter(code=serializer.validated_data["org_unit"], is_active=True).first()
        if unit is None:
            raise serializers.ValidationError({"org_unit": [_("No active unit with this code.")]})
        services.transfer_ticket(
            ticket=ticket,
            to_unit=unit,
            reason=serializer.validated_data["reason"],
            actor=request.user,
            now=timezone.now(),
        )
        return self._detail(reference)

    @extend_schema(request=None, responses=TicketSerializer, summary="Record a milestone as met")
    @action(detail=True, methods=["post"], url_path=r"milestones/(?P<code>[a-z0-9_]+)/meet")
    def meet(self, request, reference=None, code=None):
        ticket = self._ticket()
        services.meet_milestone(ticket=ticket, code=code, actor=request.user, now=timezone.now())
        return self._detail(reference)

    @extend_schema(request=TextSerializer, responses={201: EventSerializer}, summary="Internal note")
    @action(detail=True, methods=["post"])
    def notes(self, request, reference=None):
        return self._text(services.add_note)

    @extend_schema(request=TextSerializer, responses={201: EventSerializer}, summary="Reply to the customer")
    @action(detail=True, methods=["post"])
    def replies(self, request, reference=None):
        return self._text(services.add_reply)

    def _text(self, service):
        ticket = self._ticket()
        serializer = TextSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        event = service(
            ticket=ticket, text=serializer.validated_data["text"], actor=self.request.user, now=timezone.now()
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer}, responses={201: AttachmentSerializer}
    )
    @action(detail=True, methods=["post"])
    def attachments(self, request, reference=None):
        ticket = self._ticket()
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.add_attachment(
            ticket=ticket, actor=request.user, now=timezone.now(), **serializer.validated_data
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=EventSerializer(many=True),
        summary="The ticket's timeline, oldest first",
        parameters=[
            OpenApiParameter("public", bool, description="Only what the customer sees"),
            OpenApiParameter(
                "reveal",
                bool,
                description=(
                    "Phones in changed details in full (roles that call customers back; "
                    "each view is recorded)."
                ),
            ),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # one list, oldest first (not paged)
    def events(self, request, reference=None):
        ticket = self._ticket()
        public_only = request.query_params.get("public") in ("1", "true")
        events = list(selectors.timeline(ticket, public_only=public_only))
        shown = sorted(set().union(*(personal_fields_in(e.data) for e in events)))
        reveal = bool(shown) and reveal_if_asked(
            request, fields=shown, customer=ticket.customer, subject=ticket.reference
        )
        rows = {row.event.pk: row for row in timeline.timeline_rows(ticket, events)}
        return Response(EventSerializer(events, many=True, context={"reveal": reveal, "rows": rows}).data)


class ServiceTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The published catalogue of service commitments: public, read-only."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    serializer_class = ServiceTypeSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Z0-9-]+"
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return (
            ServiceType.objects.filter(is_active=True, is_public=True)
            .select_related("calendar")
            .prefetch_related("standards")
        )
