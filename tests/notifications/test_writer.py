"""The one writer: many messages in one INSERT, each row with its own message's case and text."""

import pytest

from accounts.models import OrgUnit, Role
from notifications.messages import at as at_param
from notifications.messages import render, render_template, title_renderer
from notifications.models import Notification
from notifications.services import EMAIL, Address, Message, Subject, withheld, write_notifications
from tests.tickets.factories import OrgUnitFactory, at, staff
from tickets import messages

NOW = at(2026, 11, 24, 18, 0)


def test_each_row_carries_its_own_messages_case_and_text(db):
    outlet = OrgUnitFactory(code="OUT01", name="解放碑营业厅", kind=OrgUnit.Kind.OUTLET)
    tech = staff(username="tech", role=Role.TECHNICIAN, org_unit=outlet)
    boss = staff(username="boss", role=Role.OUTLET_SUPERVISOR, org_unit=outlet)
    boss.email = "boss@example.org"
    nobody = Message(recipients=[Address(EMAIL, "")], kind="system", template="", params={})
    first = Message(
        recipients=[tech, boss],
        kind="system",
        template="",
        params={"n": 1},
        subject=Subject(reference="T-1", link="/t/T-1/", org_unit_id=outlet.pk),
    )
    second = Message(
        recipients=[boss],
        kind="system",
        template="",
        params={"n": 2},
        channels=[EMAIL],
        subject=Subject(reference="T-2", link="/t/T-2/"),
    )

    created = write_notifications([nobody, first, second], now=NOW)

    rows = Notification.objects.order_by("reference", "recipient__username", "channel")
    assert len(created) == 4
    assert [(r.reference, r.recipient.username, r.channel, r.status, r.params["n"]) for r in rows] == [
        ("T-1", "boss", "in_app", "sent", 1),
        ("T-1", "tech", "in_app", "sent", 1),
        ("T-2", "boss", "email", "pending", 2),
        ("T-2", "boss", "in_app", "sent", 2),
    ]
    assert {r.org_unit_id for r in rows if r.reference == "T-1"} == {outlet.pk}
    assert all(r.created_at == NOW and r.read_at is None for r in rows)
    email = rows.get(channel="email")
    assert (email.address, email.next_attempt_at, email.sent_at) == ("boss@example.org", NOW, None)


def test_withheld_writes_in_app_rows_only(db):
    outlet = OrgUnitFactory(code="OUT01", name="解放碑营业厅", kind=OrgUnit.Kind.OUTLET)
    boss = staff(username="boss", role=Role.OUTLET_SUPERVISOR, org_unit=outlet)
    boss.email = "boss@example.org"
    with withheld():
        write_notifications(
            [
                Message(
                    recipients=[boss, Address(EMAIL, "c@example.org")],
                    kind="system",
                    template="",
                    params={},
                    channels=[EMAIL],
                )
            ],
            now=NOW,
        )
    assert list(Notification.objects.values_list("channel", flat=True)) == ["in_app"]
    assert render(Notification.objects.get()) == ("", "")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("template", [messages.WARNING, messages.BREACH, messages.ESCALATED])
def test_a_title_rendered_once_per_template_reads_as_render_template(template, language):
    params = {
        "milestone": {"zh-hans": "到场", "en": "On site"},
        "due": at_param(at(2026, 11, 24, 17, 30)),
        "level": 2,
        "unit": "解放碑营业厅",
        "service": {"zh-hans": "维修", "en": "Repair"},
        "reference": "T-1",
        "url": "",
    }

    title = title_renderer(template, language=language)(params)

    assert title == render_template(template, params, language=language)[0]
    assert "T-1" in title and "2026-11-24 17:30" in title
    assert ("到场" if language == "zh-hans" else "On site") in title


def test_messages_to_the_same_staff_share_their_recipients_but_keep_their_own_case(db):
    outlet = OrgUnitFactory(code="OUT01", name="解放碑营业厅", kind=OrgUnit.Kind.OUTLET)
    tech = staff(username="tech", role=Role.TECHNICIAN, org_unit=outlet)
    boss = staff(username="boss", role=Role.OUTLET_SUPERVISOR, org_unit=outlet)
    boss.email = "boss@example.org"
    outlet_staff = [tech, boss]
    cases = [
        Message(
            recipients=outlet_staff,
            kind="breach",
            template="",
            params={"n": n},
            channels=[EMAIL],
            subject=Subject(reference=f"T-{n}"),
        )
        for n in range(3)
    ]
    cases.append(Message(recipients=[boss], kind="breach", template="", params={"n": 9}, subject=Subject()))

    created = write_notifications(cases, now=NOW)

    rows = Notification.objects.values_list("reference", "recipient__username", "channel", "params")
    expected = {
        (f"T-{n}", who, channel, n)
        for n in range(3)
        for who, channel in [("tech", "in_app"), ("boss", "in_app"), ("boss", "email")]
    }
    assert len(created) == 10
    assert {(ref, who, channel, params["n"]) for ref, who, channel, params in rows} == expected | {
        ("", "boss", "in_app", 9)
    }
