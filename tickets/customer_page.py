"""The ticket app's part of a customer's page: their cases, and "new ticket" for them."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import hooks, selectors

CASES_SHOWN = 20


def cases_section(request, customer) -> str:
    """The customer's cases (tickets and complaints) the user may see, newest first."""
    rows = selectors.cases_of_customer(request.user, customer, limit=CASES_SHOWN + 1)
    cases = []
    for ticket in rows[:CASES_SHOWN]:
        cases.append(
            (ticket, hooks.detail_url_for(ticket) or reverse("tickets:detail", args=[ticket.reference]))
        )
    more_url = f"{reverse('tickets:queue')}?{urlencode({'scope': 'all', 'customer': customer.account_no})}"
    return render_to_string(
        "tickets/_customer_cases.html",
        {
            "cases": cases,
            "has_more": len(rows) > CASES_SHOWN,
            "more_url": more_url,
            "customer": customer,
        },
        request=request,
    )


def new_ticket_action(request, customer):
    if not request.user.has_perm("tickets.add_ticket"):
        return None
    return _("New ticket"), f"{reverse('tickets:new')}?{urlencode({'customer': customer.account_no})}"
