"""Supervisor figures: per 10,000 customers by branch, category, month; on time; root causes; repeats."""

import datetime

import pytest

from complaints import selectors, services
from complaints.models import Remedy, RootCause
from tests.factories import CustomerFactory

from .factories import MON, file

pytestmark = pytest.mark.django_db

YEAR = (MON.replace(month=1, day=1, hour=0), MON.replace(month=12, day=31, hour=23))


def answer(org, complaint, *, at, cause):
    complaint = services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=at)
    complaint = services.record_investigation(
        complaint=complaint,
        findings="核实",
        is_substantiated=False,
        root_cause=cause,
        actor=org.agent,
        now=at,
    )
    return services.respond_to_complaint(
        complaint=complaint, response_text="答复", remedy=Remedy.NONE, actor=org.agent, now=at
    )


def test_figures(org, django_assert_max_num_queries):
    CustomerFactory.create_batch(2, outlet=org.outlet2, category=org.residential)  # BR01 has 4 customers
    a = file(org, customer=org.customer, complainant_phone=org.customer.mobile, complainant_address="")
    b = file(
        org,
        customer=org.customer,
        complainant_phone=org.customer.mobile,
        complainant_address="",
        now=MON + datetime.timedelta(days=1),
    )  # a repeat
    c = file(
        org,
        code="service.attitude",
        customer=org.far_customer,
        complainant_phone=org.far_customer.mobile,
        complainant_address="",
        now=MON + datetime.timedelta(days=40),
    )
    answer(org, a, at=MON + datetime.timedelta(hours=3), cause=RootCause.POLICY)  # on time
    answer(
        org, b, at=MON + datetime.timedelta(days=10), cause=RootCause.POLICY
    )  # late: due in 3 working days
    answer(org, c, at=MON + datetime.timedelta(days=41), cause=RootCause.STAFF_CONDUCT)  # on time

    with django_assert_max_num_queries(9):
        figures = selectors.complaint_figures(org.agent, start=YEAR[0], end=YEAR[1])

    assert figures["total"] == 3
    assert figures["repeats"] == 1 and figures["repeat_rate"] == 33.3
    assert (figures["answered"], figures["answered_on_time"], figures["on_time_share"]) == (3, 2, 66.7)
    branches = {row["unit"].code: row for row in figures["by_branch"]}
    assert (branches["BR01"]["complaints"], branches["BR01"]["customers"], branches["BR01"]["per_10k"]) == (
        2,
        4,
        5000.0,
    )
    assert (branches["BR02"]["complaints"], branches["BR02"]["customers"], branches["BR02"]["per_10k"]) == (
        1,
        1,
        10000.0,
    )
    categories = {row["category"].code: row["complaints"] for row in figures["by_category"]}
    assert categories == {"billing": 2, "service": 1}
    assert [(row["month"].month, row["complaints"]) for row in figures["by_month"]] == [(3, 2), (4, 1)]
    assert [(row["root_cause"], row["complaints"]) for row in figures["top_root_causes"]] == [
        ("policy", 2),
        ("staff_conduct", 1),
    ]


def test_figures_query_count_does_not_grow_with_complaints(org, django_assert_max_num_queries):
    for n in range(12):
        file(
            org,
            complainant_phone=f"1390000{n:04d}",
            complainant_address="",
            now=MON + datetime.timedelta(days=n),
        )
    with django_assert_max_num_queries(9):
        figures = selectors.complaint_figures(org.agent, start=YEAR[0], end=YEAR[1])
    assert figures["total"] == 12 and figures["on_time_share"] is None


def test_an_outlet_supervisor_sees_the_figures_of_their_outlet(org):
    file(org, customer=org.customer, complainant_phone=org.customer.mobile, complainant_address="")
    file(org, customer=org.far_customer, complainant_phone=org.far_customer.mobile, complainant_address="")
    figures = selectors.complaint_figures(org.supervisor, start=YEAR[0], end=YEAR[1])
    assert figures["total"] == 1
