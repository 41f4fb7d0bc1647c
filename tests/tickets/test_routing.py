"""Routing on intake (account, address, desk, triage), transfer between units, the assign-to list,
and requests taken at the desk accepted at once."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.models import OrgUnit, Role
from complaints.models import Source
from notifications.models import Notification
from tests.complaints.factories import file
from tickets import routing, services, ui_selectors
from tickets.models import Channel, ServiceArea, Status, TicketEvent

from .factories import Org, at, make_ticket, service, staff

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    with translation.override("en"):
        yield


@pytest.fixture
def org():
    org = Org()
    org.call_centre = OrgUnit.objects.create(
        code="CC", name="呼叫中心", kind=OrgUnit.Kind.CALL_CENTRE, parent=org.centre
    )
    org.supervisor2 = staff(username="supervisor2", role=Role.OUTLET_SUPERVISOR, org_unit=org.outlet2)
    org.clerk2 = staff(username="clerk2", role=Role.FRONT_DESK, org_unit=org.outlet2)
    org.branch_manager = staff(username="branchmgr", role=Role.BRANCH_MANAGER, org_unit=org.branch)
    ServiceArea.objects.create(district="渝中区", street="", outlet=org.outlet)
    ServiceArea.objects.create(district="渝中区", street="较场口", outlet=org.outlet2)
    ServiceArea.objects.create(district="江北区", street="", outlet=org.far_outlet)
    ServiceArea.objects.create(district="北碚区", street="", outlet=org.far_outlet, is_active=False)
    return org


# ---------------------------------------------------------------- routing


@pytest.mark.parametrize(
    "address, outlet",
    [
        ("渝中区民族路5号", "OUT01"),  # the district's row
        ("重庆市渝中区较场口日月光广场2栋", "OUT02"),  # a street row beats its district's row
        ("江北区建新北路1号", "OUT03"),
        ("北碚区天生路9号", None),  # an inactive row routes nothing
        ("沙坪坝区小龙坎", None),  # no row
    ],
)
def test_outlet_for_address(org, address, outlet):
    found = routing.outlet_for_address(address)
    assert (found.code if found else None) == outlet


def test_route_by_account_then_address_then_desk_then_triage(org):
    assert routing.route_case(customer=org.far_customer, address="渝中区民族路5号").org_unit == org.far_outlet
    by_number = routing.route_case(account_no=org.far_customer.account_no, actor=org.agent)
    assert (by_number.org_unit, by_number.reason) == (org.far_outlet, routing.Reason.ACCOUNT)
    assert routing.route_case(address="江北区建新北路1号", actor=org.clerk).org_unit == org.far_outlet
    assert routing.route_case(address="沙坪坝区小龙坎", actor=org.clerk).org_unit == org.outlet
    triage = routing.route_case(address="沙坪坝区小龙坎", actor=org.agent)
    assert (triage.org_unit, triage.needs_routing) == (org.call_centre, True)


def test_public_complaint_routed_by_address_and_by_the_account_number_given(org):
    by_address = file(org, source=Source.WEB, complainant_address="渝中区较场口88号")
    assert (by_address.ticket.org_unit, by_address.ticket.needs_routing) == (org.outlet2, False)
    by_account = file(
        org,
        source=Source.WEB,
        complainant_address="",
        complainant_phone="13900002222",
        account_no_given=org.far_customer.account_no,
    )
    assert by_account.ticket.org_unit == org.far_outlet
    nowhere = file(org, source=Source.WEB, complainant_address="", complainant_phone="13900003333")
    assert (nowhere.ticket.org_unit, nowhere.ticket.needs_routing) == (org.call_centre, True)


def test_triage_queue_filter(org):
    waiting = services.create_ticket(
        service_type=service("ENQ"),
        channel=Channel.HOTLINE,
        description="咨询",
        actor=org.agent,
        now=MON,
        contact_phone="13812345678",
    )
    make_ticket(org, now=MON)
    with time_machine.travel(MON, tick=False):
        from tickets import selectors

        page = selectors.queue_for(org.agent, scope="all", needs_routing=True)
    assert [t.reference for t in page.rows] == [waiting.reference]


# ---------------------------------------------------------------- transfer


def test_transfer_moves_the_case_notifies_the_receiving_supervisor_and_clears_the_assignee(org):
    ticket = make_ticket(org, now=MON)
    services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.supervisor, now=MON)
    later = at(2026, 3, 2, 10, 0)
    ticket = services.transfer_ticket(
        ticket=ticket, to_unit=org.outlet2, reason="客户住在较场口", actor=org.supervisor, now=later
    )
    ticket.refresh_from_db()
    assert (ticket.org_unit, ticket.assignee, ticket.status) == (org.outlet2, None, Status.ACCEPTED)
    event = ticket.events.get(kind=TicketEvent.Kind.TRANSFERRED)
    assert (event.actor, event.message, event.data["before"], event.data["after"]) == (
        org.supervisor,
        "客户住在较场口",
        "OUT01",
        "OUT02",
    )
    note = Notification.objects.get(ticket=ticket, kind="transfer")
    assert note.recipient == org.supervisor2
    assert ticket.reference in note.rendered_title and "较场口营业厅" in note.rendered_title
    assert "客户住在较场口" in note.rendered_body
    assert org.supervisor2 in [u for u in ui_selectors.assignable_staff(ticket)]


def test_a_call_centre_without_supervisor_hears_through_its_agents(org):
    cc_agent = staff(username="cc_agent", role=Role.AGENT, org_unit=org.call_centre)
    ticket = make_ticket(org, now=MON)
    services.assign_ticket(ticket=ticket, assignee=org.agent, actor=org.agent, now=MON)
    ticket = services.transfer_ticket(
        ticket=ticket, to_unit=org.call_centre, reason="电话回访", actor=org.agent, now=MON
    )
    assert ticket.assignee is None  # the agent works at the centre, outside the call centre: cleared
    assert list(
        Notification.objects.filter(kind="transfer").values_list("recipient__username", flat=True)
    ) == [cc_agent.username]


def test_transfer_clears_needs_routing(org):
    ticket = services.create_ticket(
        service_type=service("ENQ"),
        channel=Channel.HOTLINE,
        description="咨询",
        actor=org.agent,
        now=MON,
        contact_phone="13812345678",
    )
    assert ticket.needs_routing
    ticket = services.transfer_ticket(
        ticket=ticket, to_unit=org.outlet, reason="按地址", actor=org.agent, now=MON
    )
    ticket.refresh_from_db()
    assert (ticket.org_unit, ticket.needs_routing) == (org.outlet, False)


@pytest.mark.parametrize(
    "actor, target, message",
    [
        ("supervisor", "far_outlet", "outside the units you may transfer cases to"),  # another branch
        ("branch_manager", "far_outlet", "outside the units you may transfer cases to"),
        ("supervisor", "branch", "outside the units you may transfer cases to"),  # not a case-handling unit
        ("supervisor", "outlet", "already with"),
    ],
)
def test_transfer_refused_outside_scope_and_nothing_changes(org, actor, target, message):
    ticket = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.transfer_ticket(
            ticket=ticket, to_unit=getattr(org, target), reason="试试", actor=getattr(org, actor), now=MON
        )
    assert message in exc.value.message_dict["org_unit"][0]
    ticket.refresh_from_db()
    assert ticket.org_unit == org.outlet
    assert not ticket.events.filter(kind=TicketEvent.Kind.TRANSFERRED).exists()
    assert not Notification.objects.filter(kind="transfer").exists()


def test_transfer_needs_a_reason_and_a_role(org):
    ticket = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.transfer_ticket(
            ticket=ticket, to_unit=org.outlet2, reason=" ", actor=org.supervisor, now=MON
        )
    assert exc.value.message_dict["reason"] == ["Give a reason."]
    with pytest.raises(PermissionDenied):
        services.transfer_ticket(ticket=ticket, to_unit=org.outlet2, reason="x", actor=org.clerk, now=MON)


def test_transfer_page_and_api(org, client, api_client):
    ticket = make_ticket(org, now=MON)
    client.force_login(org.clerk)
    page = client.get(f"/tickets/{ticket.reference}/")
    assert 'id="transfer-form"' not in page.content.decode()
    assert (
        client.post(
            f"/tickets/{ticket.reference}/transfer/", {"org_unit": "OUT02", "reason": "x"}
        ).status_code
        == 403
    )

    client.force_login(org.supervisor)
    page = client.get(f"/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="transfer-form"' in page and "较场口营业厅" in page and "观音桥营业厅" not in page
    response = client.post(f"/tickets/{ticket.reference}/transfer/", {"org_unit": "OUT02", "reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(
        f"/tickets/{ticket.reference}/transfer/",
        {"org_unit": "OUT02", "reason": "按地址"},
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert (response.status_code, response["Location"]) == (302, "/tickets/")  # no longer theirs to see
    queue = client.get("/tickets/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert f"已转至 {org.outlet2.name}。" in queue
    ticket.refresh_from_db()
    assert ticket.org_unit == org.outlet2

    api_client.force_authenticate(org.agent)
    url = f"/api/v1/tickets/{ticket.reference}/transfer/"
    response = api_client.post(url, {"org_unit": "NOPE", "reason": "x"}, format="json")
    assert response.status_code == 400 and "org_unit" in response.json()
    response = api_client.post(url, {"org_unit": "OUT03", "reason": "客户在江北"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["org_unit"], response.json()["needs_routing"]) == ("OUT03", False)

    api_client.force_authenticate(org.branch_manager)
    other = make_ticket(org, now=MON)
    response = api_client.post(
        f"/api/v1/tickets/{other.reference}/transfer/", {"org_unit": "OUT03", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.org_unit == org.outlet


# ---------------------------------------------------------------- assign to, desk intake


def test_assign_to_lists_the_case_handlers_of_the_unit(org):
    ticket = make_ticket(org, now=MON)
    names = {u.username for u in ui_selectors.assignable_staff(ticket)}
    assert names == {"clerk", "tech", "supervisor"}  # not the branch manager, not another outlet's staff


@pytest.mark.parametrize(
    "channel, status",
    [
        (Channel.SERVICE_HALL, Status.ACCEPTED),
        (Channel.HOTLINE, Status.ACCEPTED),
        (Channel.FIELD, Status.ACCEPTED),
        (Channel.WEB, Status.NEW),
    ],
)
def test_request_taken_in_person_or_on_the_phone_is_accepted_at_creation(org, channel, status):
    ticket = make_ticket(org, code="INS-RES", now=MON, channel=channel)
    accept = ticket.milestones.get(code="accept")
    assert ticket.status == status
    assert (accept.met_at is not None) == (status == Status.ACCEPTED)
    if status == Status.ACCEPTED:
        assert accept.met_at == MON and accept.met_by == org.clerk
