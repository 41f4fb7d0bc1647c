"""seed_demo, generate_customers, the benchmark's guard, and the search indexes on PostgreSQL."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from accounts import signals
from accounts.models import Customer, CustomerCategory, OrgUnit, Role
from accounts.selectors import customer_search_queryset
from tests.conftest import requires_postgres

from .factories import CustomerFactory, make_staff


@pytest.fixture
def demo_seeded_calls():
    """Record demo_seeded instead of running other apps' demo loaders (tested in their own suites)."""
    calls = []
    saved = signals.demo_seeded.receivers
    signals.demo_seeded.receivers = []
    signals.demo_seeded.connect(lambda sender, **kwargs: calls.append(kwargs), weak=False)
    yield calls
    signals.demo_seeded.receivers = saved


def counts():
    return (
        OrgUnit.objects.count(),
        get_user_model().objects.count(),
        Customer.objects.count(),
        CustomerCategory.objects.count(),
        Group.objects.count(),
    )


def test_seed_demo_is_idempotent(db, demo_seeded_calls, capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    assert "frontdesk" in out and "demo12345" in out
    call_command("seed_demo")
    assert counts() == first
    assert first[0] == 11  # centre, 3 branches, 6 outlets, call centre
    assert Customer.objects.filter(account_no__startswith="80").count() == 2000
    assert len(demo_seeded_calls) == 2 and demo_seeded_calls[0]["now"].tzinfo is not None
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo12345")
    users = get_user_model().objects.select_related("staff_profile")
    assert {u.staff_profile.role for u in users} == set(Role.values)
    assert list(get_user_model().objects.get(username="frontdesk").groups.values_list("name", flat=True)) == [
        "front_desk"
    ]
    # Demo customers spread over the categories and pass the model's validation.
    assert Customer.objects.values("category").distinct().count() >= 6
    for customer in Customer.objects.order_by("?")[:50]:
        customer.full_clean()


def test_categories_are_seeded_by_migrate(db):
    codes = set(CustomerCategory.objects.values_list("code", flat=True))
    assert {"residential", "heating", "low_income", "commercial", "cng", "industrial", "chp"} <= codes
    assert CustomerCategory.objects.get(code="heating").parent.code == "residential"
    assert CustomerCategory.objects.get(code="chp").segment == "industrial"
    assert CustomerCategory.objects.get(code="boiler").segment == "commercial"


def test_generate_customers(db, capsys):
    CustomerFactory(account_no="9000000005")
    call_command("generate_customers", "300", "--batch", "120", "--seed", "3")
    assert "rows/s" in capsys.readouterr().out
    generated = Customer.objects.filter(notes="synthetic").order_by("account_no")
    assert generated.count() == 300
    assert generated.first().account_no == "9000000006"  # after the highest existing 9... number
    for customer in generated[:100]:
        customer.full_clean()
    call_command("generate_customers", "10")
    assert Customer.objects.count() == 311


@requires_postgres
def test_benchmark_refuses_a_database_with_real_customers(db):
    CustomerFactory(account_no="3100000001")
    with pytest.raises(CommandError, match="--force"):
        call_command("bench_customer_search", "--rows", "10")


@requires_postgres
@pytest.mark.parametrize(
    "q, index",
    [("张三丰", "customer_name_trgm"), ("解放碑路12号", "customer_address_trgm"),
     ("张三", "customer_name_prefix"), ("13812345678", "customer_mobile"),
     ("8100000001", "accounts_customer_account_no")],
)  # fmt: skip
def test_search_queries_can_use_the_indexes(org, q, index):
    CustomerFactory(outlet=org.outlet)
    agent = make_staff(Role.AGENT, org.call_centre)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = customer_search_queryset(agent, q).order_by()[:51].explain()
    assert index in plan
