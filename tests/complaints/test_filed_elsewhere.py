"""A customer may complain at any hall: the case goes to the account's outlet, the filer can still read it.

Repeat chains show the viewer only the complaints they may see, plus a count of the rest.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from complaints.models import Complaint
from tests.tickets.factories import staff

from .factories import MON, file

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/"


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _far_clerk(org):
    return staff(username="far_clerk", role=Role.FRONT_DESK, org_unit=org.far_outlet)


def test_api_complaint_for_another_units_customer_is_201_and_routed_to_the_accounts_outlet(org):
    response = api(org.clerk).post(
        URL,
        {
            "source": "service_hall",
            "category": "billing",
            "description": "账单有误",
            "complainant_name": "李四",
            "complainant_phone": "13900002222",
            "account_no": org.far_customer.account_no,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["org_unit"] == "OUT03"
    assert body["complainant_phone"] == "139****2222"
    complaint = Complaint.objects.get(ticket__reference=body["reference"])
    assert complaint.ticket.org_unit == org.far_outlet


def test_the_filer_reads_a_case_of_another_unit_but_cannot_work_on_it(org):
    complaint = file(org, actor=org.clerk, customer=org.far_customer, source="service_hall")
    client = api(org.clerk)

    assert client.get(f"{URL}{complaint.reference}/").status_code == 200
    assert client.get(f"{URL}?filed_by_me=1").json()["results"][0]["reference"] == complaint.reference
    refused = client.post(f"{URL}{complaint.reference}/acknowledge/", {"note": "x"}, format="json")
    assert refused.status_code == 404
    # Someone else at the filer's outlet did not file it and does not see it.
    colleague = staff(username="colleague", role=Role.FRONT_DESK, org_unit=org.outlet)
    assert api(colleague).get(f"{URL}{complaint.reference}/").status_code == 404


def test_intake_page_for_another_units_customer_lands_on_a_readable_page(org, client):
    client.force_login(org.clerk)
    response = client.post(
        "/complaints/intake/",
        {
            "source": "service_hall",
            "category": "billing",
            "severity": "medium",
            "description": "账单有误",
            "name": "李四",
            "phone": "13900002222",
            "account_no": org.far_customer.account_no,
            "consent": "on",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200, response.content[:2000]
    complaint = Complaint.objects.get(customer=org.far_customer)
    assert complaint.ticket.org_unit == org.far_outlet
    page = response.content.decode()
    assert complaint.reference in page
    assert "You filed this case; it is handled by 观音桥营业厅." in page
    assert 'name="acknowledge-note"' not in page  # no step forms for a case of another unit
    assert f'href="/tickets/{complaint.reference}/"' not in page  # nor a link to a page it cannot open
    receipt = client.get(f"/tickets/{complaint.reference}/receipt/")
    assert receipt.status_code == 200


def test_chain_shows_only_visible_complaints_and_counts_the_rest(org, client):
    far_clerk = _far_clerk(org)
    first = file(org, actor=far_clerk, customer=org.far_customer, complainant_phone="13900003333", now=MON)
    second = file(
        org, actor=org.agent, customer=org.customer, complainant_phone="13900003333", now=MON.replace(hour=10)
    )
    assert second.is_repeat and second.repeat_of_id == first.pk

    body = api(org.clerk).get(f"{URL}{second.reference}/").json()
    assert body["repeat_of"] is None
    assert body["repeats_elsewhere"] == 1
    chain = api(org.clerk).get(f"{URL}{second.reference}/chain/").json()
    assert [c["reference"] for c in chain] == [second.reference]

    client.force_login(org.clerk)
    page = client.get(f"/complaints/{second.reference}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert first.reference not in page
    assert "1 more in other units" in page

    # The call centre sees the whole chain.
    assert api(org.agent).get(f"{URL}{second.reference}/").json()["repeat_of"] == first.reference


def test_worklist_lists_the_cases_i_filed_in_other_units(org, client):
    complaint = file(org, actor=org.clerk, customer=org.far_customer, source="service_hall")
    client.force_login(org.clerk)

    assert complaint.reference not in client.get("/complaints/?status=").content.decode()
    mine = client.get("/complaints/?status=&filed=me").content.decode()
    assert complaint.reference in mine
