"""The outbox: one row per (recipient, channel), written with the change that causes it.

A row stores what to say as a template key and parameters (notifications.messages), rendered
in the reader's language when shown or sent. It points at its case through a generic relation
plus the case's human reference, link and org unit, so this app never imports the case apps.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from accounts.visibility import VisibleQuerySet


class Kind(models.TextChoices):
    """What a notification is about; the list filters by it."""

    EMERGENCY = "emergency", _("Emergency")
    BREACH = "breach", _("Deadline breached")
    WARNING = "warning", _("Deadline warning")
    COMPLAINT = "complaint", _("Complaint")
    DIGEST = "digest", _("Daily digest")
    SYSTEM = "system", _("System")


class NotificationQuerySet(VisibleQuerySet):
    org_field = "org_unit"


class Notification(models.Model):
    """A message to a staff member (in-app, then email/SMS) or to a customer (SMS/email).

    Rows first, delivery after: the row exists before any gateway is called, so a failing
    gateway never loses a message; undelivered rows are retried and end as failed, visibly.
    """

    Kind = Kind

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class DeliveryStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # led by notification_recipient (recipient, -created_at)
    )
    address = models.CharField(_("phone or email"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    template = models.CharField(_("message template"), max_length=60, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    # Text of rows written before messages were templates (kept as written).
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    subject_type = models.ForeignKey(
        ContentType,
        verbose_name=_("case type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # no query reads notifications by case; cases are never deleted
        # Half of a generic relation, whose other half (subject_id) no database can enforce; a
        # checked key here would cost a lookup per row written and guarantee nothing about the case.
        db_constraint=False,
    )
    subject_id = models.PositiveBigIntegerField(_("case id"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    reference = models.CharField(_("case reference"), max_length=30, blank=True)
    link = models.CharField(_("case link"), max_length=200, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("case unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read only with failed rows (notification_failed)
        # The case's unit as it was when the message was written (the case holds the checked
        # key); unchecked here, so an outbox row costs no lookup per row. Deleting a unit still
        # clears it (on_delete).
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True, channel="in_app"),
            ),
            models.Index(
                fields=["next_attempt_at"], name="notification_pending", condition=Q(status="pending")
            ),
            # The failed-deliveries page and its count; only failed rows, so other writes never touch it.
            models.Index(fields=["-created_at"], name="notification_failed", condition=Q(status="failed")),
        ]

    def __str__(self):
        return self.rendered_title

    @property
    def rendered_title(self) -> str:
        from .messages import render

        return render(self)[0]

    @property
    def rendered_body(self) -> str:
        from .messages import render

        return render(self)[1]
