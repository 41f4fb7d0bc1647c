"""Queues (scopes, filters, keyset pages, visibility) and references under concurrency."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tests.conftest import requires_postgres
from tickets import selectors, services
from tickets.models import Status
from tickets.references import next_reference

from .factories import at, make_ticket

NOW = at(2026, 3, 2, 10, 0)


def refs(page):
    return [t.reference for t in page.rows]


@pytest.mark.django_db
def test_scopes_and_visibility(org):
    mine = make_ticket(org, now=NOW)
    services.assign_ticket(ticket=mine, assignee=org.tech, actor=org.clerk, now=NOW)
    team = make_ticket(org, now=NOW)
    far = make_ticket(org, now=NOW, customer=org.far_customer)
    assert refs(selectors.queue_for(org.tech, scope="mine")) == [mine.reference]
    assert set(refs(selectors.queue_for(org.tech, scope="team"))) == {mine.reference, team.reference}
    assert set(refs(selectors.queue_for(org.tech, scope="all"))) == {mine.reference, team.reference}
    assert far.reference in refs(selectors.queue_for(org.agent, scope="all"))
    with pytest.raises(ValidationError):
        selectors.queue_for(org.tech, scope="everything")


@pytest.mark.django_db
def test_keyset_pages_cover_everything_once_in_deadline_order(org):
    made = [make_ticket(org, now=NOW - datetime.timedelta(minutes=i % 4)) for i in range(9)]
    done = make_ticket(org, code="ENQ", now=NOW)
    services.accept_ticket(ticket=done, actor=org.clerk, now=NOW)
    services.start_work(ticket=done, actor=org.clerk, now=NOW)
    services.resolve_ticket(ticket=done, actor=org.clerk, now=NOW)  # next_due_at NULL: last
    seen, cursor = [], None
    while True:
        page = selectors.queue_for(org.agent, scope="all", status=[*Status.values], after=cursor, limit=4)
        seen += page.rows
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 10 and {t.pk for t in seen} == {t.pk for t in [*made, done]}
    assert seen[-1].pk == done.pk
    keys = [(t.next_due_at, t.pk) for t in seen[:-1]]
    assert keys == sorted(keys)


@pytest.mark.django_db
def test_filters(org):
    make_ticket(org, now=NOW)
    enq = make_ticket(org, code="ENQ", now=NOW, channel="hotline")
    assert refs(selectors.queue_for(org.agent, scope="all", service_type="ENQ")) == [enq.reference]
    assert refs(selectors.queue_for(org.agent, scope="all", channel="hotline")) == [enq.reference]
    assert len(selectors.queue_for(org.agent, scope="all", org_unit="BR01").rows) == 2
    assert selectors.queue_for(org.agent, scope="all", org_unit="BR02").rows == []
    soon = selectors.queue_for(org.agent, scope="all", due_before=NOW + datetime.timedelta(minutes=31))
    assert len(soon.rows) == 1  # the repair's "contact within 30 minutes"; the enquiry's hour is later


@pytest.mark.django_db
def test_queue_query_count_is_constant(org, django_assert_num_queries):
    for i in range(12):
        make_ticket(org, now=NOW - datetime.timedelta(minutes=i))
    agent = type(org.agent).objects.select_related("staff_profile__org_unit").get(pk=org.agent.pk)
    with django_assert_num_queries(2):
        page = selectors.queue_for(agent, scope="team", limit=5, with_milestones=True)
        [t.service_type.code + t.org_unit.code + str(t.customer) for t in page.rows]
        [list(t.milestones.all()) for t in page.rows]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_references_are_unique_under_concurrency():
    results, errors = [], []

    def worker():
        try:
            for _i in range(10):
                with transaction.atomic():
                    results.append(next_reference(NOW))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and len(set(results)) == 80
    assert sorted(results)[-1] == "GS20260302-00080"
