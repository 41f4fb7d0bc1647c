"""API for the signed-in user's notifications: list (mine, filters unread and kind), mark one or
all (of a kind) as read, the unread count."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .models import Kind, Notification


class NotificationSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(
        source="reference",
        read_only=True,
        help_text="Reference of the case the notification is about (may be empty).",
    )
    title = serializers.CharField(source="rendered_title", read_only=True)
    body = serializers.CharField(source="rendered_body", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "ticket", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


FILTERS = [
    OpenApiParameter("unread", bool, description="Only the unread notifications."),
    OpenApiParameter("kind", str, enum=Kind.values, description="Only notifications of this kind."),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """My in-app notifications: unread first, emergencies first among them. `?unread=1`, `?kind=`."""

    lookup_value_regex = r"[0-9]+"  # ids are numbers; anything else is a 404, not a failed lookup
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; rows come from the selector below

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        params = self.request.query_params
        kind = params.get("kind") or None
        if kind is not None and kind not in Kind.values:
            raise serializers.ValidationError(
                {"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]}
            )
        return selectors.notifications_for(
            self.request.user, unread=params.get("unread") in ("1", "true"), kind=kind
        )

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(
            Notification, pk=pk, recipient=request.user, channel=Notification.Channel.IN_APP
        )
        services.mark_read(notification=notification, user=request.user, now=timezone.now())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        parameters=[FILTERS[1]],
        responses={
            200: inline_serializer(
                "NotificationsReadAll",
                {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()},
            )
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        kind = request.query_params.get("kind") or request.data.get("kind") or None
        if kind is not None and kind not in Kind.values:
            raise serializers.ValidationError(
                {"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]}
            )
        count = services.mark_all_read(user=request.user, now=timezone.now(), kind=kind)
        return Response({"marked": count, "unread": selectors.unread_count(request.user)})

    @extend_schema(
        responses={
            200: inline_serializer("NotificationsUnreadCount", {"unread": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(request.user)})
