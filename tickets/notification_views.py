"""The staff's notifications: the list behind the bell, mark as read, failed deliveries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import notifications
from .models import Notification

PAGE_SIZE = 30


def _back(request, default="notifications:list"):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return HttpResponseRedirect(target)  # a URL, never a view name for redirect() to reverse
    return redirect(default)


@login_required
def notification_list(request):
    rows = notifications.notifications_for(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/notifications.html", {
        "page": page, "notifications": page.object_list,
        "can_see_failed": notifications.can_see_failed_deliveries(request.user),
    })


@login_required
@require_POST
def mark_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(notification=notification, user=request.user, now=timezone.now())
    if request.POST.get("open") and notification.ticket_id:
        return redirect("tickets:detail", notification.ticket.reference)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    count = notifications.mark_all_read(user=request.user, now=timezone.now())
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return _back(request)


@login_required
def failed_deliveries(request):
    if not notifications.can_see_failed_deliveries(request.user):
        raise PermissionDenied
    rows = notifications.failed_deliveries_for(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tickets/notifications_failed.html",
                  {"page": page, "deliveries": page.object_list})


@login_required
@require_POST
def retry_delivery(request, pk):
    notification = get_object_or_404(notifications.failed_deliveries_for(request.user), pk=pk)
    try:
        notifications.retry_delivery(notification=notification, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery will be tried again."))
    return redirect("notifications:failed")
