"""Deliveries and their outcome; a failed or waiting email/SMS can be tried again at once."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.masking import mask_phone

from . import delivery, services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Rows written only by the writer and delivered by the worker: shown, never edited here."""

    list_display = [
        "recipient",
        "channel",
        "kind",
        "title_text",
        "status",
        "attempts",
        "created_at",
        "reference",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["=reference", "=address", "=recipient__username"]
    list_select_related = ["recipient"]
    exclude = ["address"]
    show_full_result_count = False
    actions = ["retry_now"]

    @admin.display(description=gettext_lazy("title"))
    def title_text(self, obj):
        return obj.rendered_title

    @admin.display(description=gettext_lazy("phone or email"))
    def masked_address(self, obj):
        return mask_phone(obj.address) if obj.channel == Notification.Channel.SMS else obj.address

    def get_readonly_fields(self, request, obj=None):
        return ["masked_address", "title_text"] + [
            f.name for f in Notification._meta.fields if f.name != "address"
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        """Supervisors and administrators, as on the failed-deliveries page."""
        return services.can_see_failed_deliveries(request.user)

    @admin.action(description=gettext_lazy("Retry delivery now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        """Failed rows go back to pending (services.retry_delivery); then every selected row
        that is due is delivered now (notifications.delivery). Rows waiting for their retry keep their
        turn."""
        now = timezone.now()
        rows = list(
            queryset.exclude(channel=Notification.Channel.IN_APP).exclude(
                status=Notification.DeliveryStatus.SENT
            )
        )
        for row in rows:
            if row.status != Notification.DeliveryStatus.FAILED:
                continue
            try:
                services.retry_delivery(notification=row, actor=request.user, now=now)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
                return
        counts = delivery.deliver_pending(now=now, ids=[row.pk for row in rows]) if rows else {}
        values = {key: counts.get(key, 0) for key in ("sent", "retry", "failed")}
        values["skipped"] = len(rows) - sum(values.values())
        message = (
            _(
                "Delivery tried again: %(sent)s sent, %(retry)s to retry later, %(failed)s failed; "
                "%(skipped)s not yet due or already being sent."
            )
            % values
        )
        self.message_user(request, message, messages.WARNING if values["failed"] else messages.SUCCESS)
