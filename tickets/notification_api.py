"""API for the signed-in user's notifications: list (mine), mark one or all as read."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import notifications
from .models import Escalation, Notification


class NotificationSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "ticket", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class EscalationSerializer(serializers.ModelSerializer):
    """One step of a ticket's ladder, for the ticket API (`escalations`)."""

    milestone = serializers.CharField(source="milestone.code", read_only=True)

    class Meta:
        model = Escalation
        fields = ["level", "at", "due_at", "milestone", "recipients"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """My in-app notifications, unread first. `?unread=1` lists only the unread ones."""

    lookup_value_regex = r"[0-9]+"  # ids are numbers; anything else is a 404, not a failed lookup
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; rows come from the selector below

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notifications.notifications_for(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user,
                                         channel=Notification.Channel.IN_APP)
        notifications.mark_read(notification=notification, user=request.user, now=timezone.now())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("NotificationsReadAll", {
            "marked": serializers.IntegerField(), "unread": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        count = notifications.mark_all_read(user=request.user, now=timezone.now())
        return Response({"marked": count, "unread": 0})

    @extend_schema(
        responses={
            200: inline_serializer("NotificationsUnreadCount", {"unread": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": notifications.unread_count(request.user)})
