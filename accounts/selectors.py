"""Reads shared by the staff UI and the API."""

from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Right

from .models import Customer, CustomerCategory, OrgUnit
from .validators import ACCOUNT_NO_RE, LANDLINE_RE, MOBILE_RE, normalize_landline

SEARCH_LIMIT = 50
# Trigram indexes need 3 characters; shorter input is read as the start of a name (surname).
MIN_FRAGMENT = 3


@dataclass(frozen=True)
class CustomerSearch:
    """What a search box's text was taken to mean."""

    # "account_no" | "mobile" | "landline" | "phone_tail" | "name_prefix" | "fragment" | "all"
    kind: str
    value: str
    rest: str = ""  # with phone_tail: a name or address fragment typed beside the 4 digits


PHONE_TAIL_DIGITS = 4


def _phone_tail(q: str) -> CustomerSearch | None:
    """ "5678", "5678 张" or "张 5678": the last 4 digits of a phone, alone or with a fragment."""
    words = q.split(" ")
    tails = [w for w in words if len(w) == PHONE_TAIL_DIGITS and w.isascii() and w.isdigit()]
    if len(tails) != 1:
        return None
    rest = " ".join(w for w in words if w != tails[0])
    return CustomerSearch("phone_tail", tails[0], rest)


def classify_query(q: str) -> CustomerSearch:
    q = " ".join((q or "").split())
    compact = q.replace(" ", "").replace("-", "")
    if not q:
        return CustomerSearch("all", "")
    if ACCOUNT_NO_RE.match(compact):
        return CustomerSearch("account_no", compact)
    if MOBILE_RE.match(compact.removeprefix("+86")):
        return CustomerSearch("mobile", compact.removeprefix("+86"))
    if LANDLINE_RE.match(q.replace(" ", "")):
        return CustomerSearch("landline", normalize_landline(q.replace(" ", "")))
    if tail := _phone_tail(q):
        return tail
    if len(q) < MIN_FRAGMENT:
        return CustomerSearch("name_prefix", q)
    return CustomerSearch("fragment", q)


def customer_search_queryset(
    user, q: str = "", *, category=None, outlet=None, status=None, is_key_account=None
):
    """Visible customers matching `q` and the filters, unordered and unlimited.

    Exact account number or phone use their b-tree indexes; the last 4 digits of a phone use
    the expression indexes on RIGHT(mobile, 4) and RIGHT(landline, 4); a 3+ character fragment of the
    name or address uses the trigram GIN indexes on UPPER(name)/UPPER(address) (PostgreSQL),
    which is what Django's icontains compiles to; shorter text is a name prefix.
    """
    qs = apply_customer_search(Customer.objects.visible_to(user), q)
    if category:
        qs = qs.filter(Q(category=category) | Q(sub_category=category))
    if outlet:
        qs = qs.filter(outlet=outlet)
    if status:
        qs = qs.filter(status=status)
    if is_key_account is not None:
        qs = qs.filter(is_key_account=is_key_account)
    return qs


def apply_customer_search(qs, q: str):
    """Narrow a customer queryset to what the search box text `q` means."""
    search = classify_query(q)
    if search.kind == "account_no":
        qs = qs.filter(account_no=search.value)
    elif search.kind == "mobile":
        qs = qs.filter(mobile=search.value)
    elif search.kind == "landline":
        qs = qs.filter(landline=search.value)
    elif search.kind == "phone_tail":
        qs = qs.alias(
            mobile_tail=Right("mobile", PHONE_TAIL_DIGITS), landline_tail=Right("landline", PHONE_TAIL_DIGITS)
        )
        qs = qs.filter(Q(mobile_tail=search.value) | Q(landline_tail=search.value))
        if search.rest:
            qs = qs.filter(Q(name__icontains=search.rest) | Q(address__icontains=search.rest))
    elif search.kind == "name_prefix":
        qs = qs.filter(name__startswith=search.value)
    elif search.kind == "fragment":
        qs = qs.filter(Q(name__icontains=search.value) | Q(address__icontains=search.value))
    return qs


def search_customers(user, q: str = "", *, limit: int = SEARCH_LIMIT, **filters) -> list[Customer]:
    """At most `limit` visible customers matching `q`, ordered by account number.

    The database returns the first `limit` + 1 matches the index yields (no sort over every
    match of a common fragment); they are ordered here. A caller learns that there are more
    from the list being longer than `limit`, and asks the clerk to narrow the search.
    """
    rows = list(
        customer_search_queryset(user, q, **filters)
        .select_related("category", "sub_category", "outlet")
        .order_by()[: limit + 1]
    )
    rows.sort(key=lambda c: c.account_no)
    return rows


def customer_for(user, account_no: str) -> Customer | None:
    """The customer with `account_no` if `user` may see it."""
    return (
        Customer.objects.visible_to(user)
        .select_related("category", "sub_category", "outlet", "account_manager")
        .filter(account_no=account_no)
        .first()
    )


def main_categories():
    return CustomerCategory.objects.filter(parent=None, is_active=True).order_by("sort_order", "code")


def outlets_visible_to(user):
    return OrgUnit.objects.visible_to(user).filter(kind=OrgUnit.Kind.OUTLET).order_by("path")


def branch_of(unit: OrgUnit, units_by_code: dict[str, OrgUnit]) -> OrgUnit:
    """The branch above an outlet (or the unit itself when it is a branch, the centre or the call centre)."""
    for code in unit.path.strip("/").split("/"):
        candidate = units_by_code.get(code)
        if candidate is not None and candidate.kind == OrgUnit.Kind.BRANCH:
            return candidate
    return unit
