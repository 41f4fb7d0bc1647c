"""Staff pages for customers: thin; reads via selectors, changes via services."""

import csv
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from gasservice.forms import apply_service_errors

from . import customer_page
from .forms import CustomerForm, CustomerSearchForm
from .models import Customer
from .permissions import permission_for
from .personal_data import masked, may_reveal, reveal
from .roles import is_supervisor, may_see_full_personal_data, permission_required_naming_roles
from .selectors import SEARCH_LIMIT, customer_for, customer_search_queryset, search_customers
from .services import PERSONAL_DATA_FIELDS, create_customer, update_customer

VIEW_CUSTOMER = permission_for(Customer, "view")
EXPORT_LIMIT = 5000
# Password guessing: failed and successful attempts alike count, per client address and per username.
LOGIN_RATES = {"ip": "30/10m", "username": "10/10m"}

logger = logging.getLogger(__name__)


def _csv_cell(value: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is exported quoted."""
    return f"'{value}" if value and value[0] in "=+-@\t\r" else value


def _username_key(group, request) -> str:
    return (request.POST.get("username") or "").strip().lower()[:150]


def _login_limited(request) -> bool:
    try:
        return any(
            is_ratelimited(request, group=f"login.{name}", key=key, rate=LOGIN_RATES[name], increment=True)
            for name, key in (("ip", "ip"), ("username", _username_key))
        )
    except Exception:  # the cache is down: staff can still log in (logged)
        logger.warning("login rate limit cache unavailable", exc_info=True)
        return False


class LoginView(auth_views.LoginView):
    """Django's login, with a limit on attempts per address and per username (429 with a message)."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Supervisors and managers land on the SLA dashboard (SUPERVISOR_LOGIN_REDIRECT_URL), others home."""
        target = getattr(settings, "SUPERVISOR_LOGIN_REDIRECT_URL", "")
        if target and is_supervisor(self.request.user):
            return resolve_url(target)
        return super().get_default_redirect_url()

    def post(self, request, *args, **kwargs):
        if _login_limited(request):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many login attempts. Please wait a few minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@login_required
def home(request):
    """The staff home page; other apps add widgets in the home_widgets block."""
    return render(request, "home.html", {"profile": getattr(request.user, "staff_profile", None)})


def _search(request):
    form = CustomerSearchForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["q"], form.filters()
    return form, "", {}


@login_required
@permission_required_naming_roles(VIEW_CUSTOMER)
def customer_list(request):
    form, q, filters = _search(request)
    searched = form.is_bound and form.is_valid() and (q or any(filters.values()))
    rows = search_customers(request.user, q, **filters) if searched else []
    context = {
        "form": form,
        "customers": rows[:SEARCH_LIMIT],
        "has_more": len(rows) > SEARCH_LIMIT,
        "searched": searched,
        "limit": SEARCH_LIMIT,
        "query_string": request.GET.urlencode(),
    }
    return render(request, "accounts/customer_list.html", context)


@login_required
@permission_required_naming_roles(VIEW_CUSTOMER)
def customer_export(request):
    """The search as CSV (UTF-8 with BOM for spreadsheet programs); phones and ID numbers masked."""
    form, q, filters = _search(request)
    rows = (
        customer_search_queryset(request.user, q, **filters)
        .select_related("category", "sub_category", "outlet")
        .order_by("account_no")[:EXPORT_LIMIT]
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Account number"),
            _("Name"),
            _("Category"),
            _("Sub-category"),
            _("Mobile phone"),
            _("Landline"),
            _("ID number"),
            _("Address"),
            _("Outlet"),
            _("Status"),
            _("Key account"),
        ]
    )
    for c in rows:
        writer.writerow(
            [
                c.account_no,
                _csv_cell(c.name),
                c.category.name,
                c.sub_category.name if c.sub_category else "",
                masked("mobile", c.mobile),
                masked("landline", c.landline),
                masked("id_number", c.id_number),
                _csv_cell(c.address),
                c.outlet.name,
                c.get_status_display(),
                _("yes") if c.is_key_account else "",
            ]
        )
    return response


def _visible_customer(request, account_no):
    customer = customer_for(request.user, account_no)
    if customer is None:
        raise Http404(_("No such customer, or not in your area."))
    return customer


@login_required
@permission_required_naming_roles(VIEW_CUSTOMER)
def customer_detail(request, account_no):
    customer = _visible_customer(request, account_no)
    return _render_detail(request, customer, revealed=False)


def _render_detail(request, customer, *, revealed):
    context = {
        "customer": customer,
        "revealed": revealed,
        "can_reveal": may_reveal(request.user) and any(getattr(customer, f) for f in PERSONAL_DATA_FIELDS),
        "can_edit": request.user.has_perm(permission_for(Customer, "change")),
        **{
            f: getattr(customer, f) if revealed else masked(f, getattr(customer, f))
            for f in PERSONAL_DATA_FIELDS
        },
        **customer_page.page_extras(request, customer),
    }
    return render(request, "accounts/customer_detail.html", context)


@login_required
@permission_required_naming_roles(VIEW_CUSTOMER)
@require_POST
def customer_reveal(request, account_no):
    """Show phones and ID number in full to a role that needs them, recording the view."""
    customer = _visible_customer(request, account_no)
    if not may_see_full_personal_data(request.user):
        raise PermissionDenied(
            _(
                "Only the front desk, call-centre agents, field technicians, supervisors and managers "
                "may see "
                "personal data in full."
            )
        )
    fields = [f for f in PERSONAL_DATA_FIELDS if getattr(customer, f)]
    reveal(user=request.user, customer=customer, fields=fields, ip=client_ip(request))
    response = _render_detail(request, customer, revealed=True)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required_naming_roles(permission_for(Customer, "add"))
def customer_create(request):
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = create_customer(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(no)s created.") % {"no": customer.account_no})
            return redirect("accounts:customer_detail", account_no=customer.account_no)
    return render(request, "accounts/customer_form.html", {"form": form, "customer": None})


@login_required
@permission_required_naming_roles(permission_for(Customer, "change"))
def customer_edit(request, account_no):
    """Edit a customer; phones and ID number stay masked until a reveal (recorded) lets them change.

    The reveal button posts `_reveal`; the revealed form carries `_revealed`, and every page that
    shows the full values records the view.
    """
    customer = _visible_customer(request, account_no)
    revealing = request.method == "POST" and "_reveal" in request.POST
    revealed = revealing or (request.method == "POST" and "_revealed" in request.POST)
    fields = [f for f in PERSONAL_DATA_FIELDS if getattr(customer, f)]
    if revealed and not may_reveal(request.user):
        raise PermissionDenied(_("Your role may not see personal data in full."))
    bound = request.POST if request.method == "POST" and not revealing else None
    form = CustomerForm(bound, instance=customer, user=request.user, revealed=revealed)
    if bound is not None and form.is_valid():
        try:
            update_customer(customer=customer, actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(no)s saved.") % {"no": customer.account_no})
            return redirect("accounts:customer_detail", account_no=customer.account_no)
    if revealed:
        reveal(user=request.user, customer=customer, fields=fields, ip=client_ip(request))
    context = {
        "form": form,
        "customer": customer,
        "revealed": revealed,
        "can_reveal": bool(form.masked_fields) and may_reveal(request.user),
    }
    response = render(request, "accounts/customer_form.html", context)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response
