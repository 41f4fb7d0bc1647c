"""Where a case is handled: routing on intake and the rules of a transfer.

A new case goes to the outlet of its account; without an account to the outlet serving its
address (the service-area table, kept as data in the admin); without either to the outlet of
the clerk taking it at the desk; failing all, to the call centre's triage queue, marked
"needs routing" until someone transfers it.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Customer, OrgUnit

from .models import ServiceArea


class Reason:
    ACCOUNT = "account"
    ADDRESS = "address"
    STAFF = "staff"
    TRIAGE = "triage"


@dataclass(frozen=True)
class Route:
    org_unit: OrgUnit
    needs_routing: bool
    reason: str


def outlet_for_address(address: str) -> OrgUnit | None:
    """The outlet of the most specific active service area the address falls in, or None."""
    address = (address or "").replace(" ", "")
    if not address:
        return None
    best = None
    for area in ServiceArea.objects.filter(is_active=True, outlet__is_active=True).select_related("outlet"):
        if area.district in address and (not area.street or area.street in address):
            if best is None or len(area.street) > len(best.street):
                best = area
    return best.outlet if best else None


def triage_unit() -> OrgUnit:
    """The call centre, which places the cases nobody could route; the root when there is none."""
    unit = (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.CALL_CENTRE, is_active=True).order_by("path").first()
        or OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()
    )
    if unit is None:
        raise ValidationError(_("No organisation unit exists to take cases; set up the organisation first."))
    return unit


def route_case(*, customer=None, account_no: str = "", address: str = "", actor=None) -> Route:
    """The unit responsible for a new case (ticket or complaint, from any channel).

    `account_no` is an account number the customer gave but nobody verified (the public
    form): it routes the case, it does not link it to the account.
    """
    if customer is None and (account_no or "").strip():
        customer = Customer.objects.select_related("outlet").filter(account_no=account_no.strip()).first()
    if customer is not None:
        return Route(customer.outlet, False, Reason.ACCOUNT)
    outlet = outlet_for_address(address)
    if outlet is not None:
        return Route(outlet, False, Reason.ADDRESS)
    profile = getattr(actor, "staff_profile", None) if actor is not None else None
    if profile is not None and profile.org_unit.kind == OrgUnit.Kind.OUTLET:
        return Route(profile.org_unit, False, Reason.STAFF)
    return Route(triage_unit(), True, Reason.TRIAGE)
