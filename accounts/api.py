"""REST API for customers (by account_no), org units (by code) and token login. Thin."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from .filters import CustomerFilter
from .models import Customer, OrgUnit
from .permissions import RoleModelPermissions
from .personal_data import reveal_if_asked
from .serializers import CustomerSerializer, OrgUnitSerializer
from .services import PERSONAL_DATA_FIELDS, create_customer, update_customer

REVEAL_PARAM = OpenApiParameter(
    "reveal",
    bool,
    description="Return phones and ID number in full (roles allowed to see them; each view is recorded).",
)


@extend_schema_view(
    list=extend_schema(summary="Search customers (phones masked)"),
    retrieve=extend_schema(summary="A customer by account number", parameters=[REVEAL_PARAM]),
    create=extend_schema(summary="Open a customer account"),
    update=extend_schema(summary="Replace a customer's details"),
    partial_update=extend_schema(summary="Change some of a customer's details"),
)
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CustomerSerializer
    permission_classes = [RoleModelPermissions]
    filterset_class = CustomerFilter
    lookup_field = "account_no"
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return (
            Customer.objects.visible_to(self.request.user)
            .select_related("category", "sub_category", "outlet", "account_manager")
            .order_by("account_no")
        )

    def get_serializer_context(self):
        """Phones and ID number masked; `retrieve` swaps in the full values after `reveal_if_asked`."""
        return {**super().get_serializer_context(), "reveal": False}

    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        fields = [f for f in PERSONAL_DATA_FIELDS if getattr(customer, f)]
        reveal = bool(fields) and reveal_if_asked(request, fields=fields, customer=customer)
        context = {**self.get_serializer_context(), "reveal": reveal}
        response = Response(CustomerSerializer(customer, context=context).data)
        if reveal:
            response["Cache-Control"] = "no-store"
        return response

    def perform_create(self, serializer):
        serializer.instance = create_customer(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = update_customer(
            customer=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )


@extend_schema_view(
    list=extend_schema(summary="Organisation units (centre, branches, outlets, call centre)"),
    retrieve=extend_schema(summary="An organisation unit by code"),
)
class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrgUnitSerializer
    lookup_field = "code"
    queryset = OrgUnit.objects.select_related("parent").order_by("path")
    filterset_fields = ["kind", "is_active"]


class TokenThrottle(AnonRateThrottle):
    """Password guessing is slowed down: rate "token" in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES."""

    scope = "token"


class ObtainTokenView(ObtainAuthToken):
    """POST username and password -> {"token": ...}; send it as `Authorization: Token <token>`."""

    throttle_classes = [TokenThrottle]
