"""The staff's notifications: the list behind the bell (filters: unread, kind), mark as read,
failed deliveries and their retry."""

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

from . import selectors, services
from .models import Kind, Notification

PAGE_SIZE = 30


def _safe(request, target: str) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _back(request, default="notifications:list"):
    target = request.POST.get("next", "")
    if _safe(request, target):
        return HttpResponseRedirect(target)  # a URL, never a view name for redirect() to reverse
    return redirect(default)


def _filters(data) -> tuple[bool, str]:
    """(only unread, kind) from a query string or form; an unknown kind is ignored."""
    kind = data.get("kind", "")
    return data.get("unread") in ("1", "true"), kind if kind in Kind.values else ""


@login_required
def notification_list(request):
    unread, kind = _filters(request.GET)
    rows = selectors.notifications_for(request.user, unread=unread, kind=kind or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("unread", "1" if unread else ""), ("kind", kind)) if v)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "notifications": page.object_list,
            "kinds": Kind.choices,
            "unread": unread,
            "kind": kind,
            "filter_query": query,
            "can_see_failed": services.can_see_failed_deliveries(request.user),
        },
    )


@login_required
@require_POST
def mark_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(notification=notification, user=request.user, now=timezone.now())
    if request.POST.get("open") and _safe(request, notification.link):
        return HttpResponseRedirect(notification.link)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    _unread, kind = _filters(request.POST)
    count = services.mark_all_read(user=request.user, now=timezone.now(), kind=kind or None)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return _back(request)


@login_required
def failed_deliveries(request):
    if not services.can_see_failed_deliveries(request.user):
        raise PermissionDenied
    rows = selectors.failed_deliveries_for(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/failed.html", {"page": page, "deliveries": page.object_list})


@login_required
@require_POST
def retry_delivery(request, pk):
    notification = get_object_or_404(selectors.failed_deliveries_for(request.user), pk=pk)
    try:
        services.retry_delivery(notification=notification, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery will be tried again."))
    return redirect("notifications:failed")
