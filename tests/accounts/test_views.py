"""Staff pages: login, home, customer search, detail (masked, reveal logged), create/edit, CSV export."""

import pytest
from django.urls import reverse

from accounts.models import Customer, PersonalDataView, Role

from .factories import CustomerFactory, category, make_staff


@pytest.fixture
def desk(org):
    return make_staff(Role.FRONT_DESK, org.outlet1a, username="desk1")


@pytest.fixture
def customers(org):
    residential = category("residential")
    return [
        CustomerFactory(
            account_no="8100000001", name="张三丰", mobile="13812345678", outlet=org.outlet1a,
            category=residential, address="渝中区解放碑路12号锦绣花园3栋", id_number="11010519491231002X",
        ),
        CustomerFactory(account_no="8100000002", name="张无忌", mobile="13900001111", outlet=org.outlet1a,
                        category=residential, address="渝中区民生路88号"),
        CustomerFactory(account_no="8100000003", name="张翠山", outlet=org.outlet2a, category=residential),
    ]  # fmt: skip


def test_login_page_and_login(client, desk):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post(reverse("login"), {"username": "desk1", "password": "pass-12345"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert "Front desk" in home.content.decode() and "解放碑营业厅" in home.content.decode()


def test_login_attempts_are_limited_per_username_with_a_clear_message(client, desk):
    for _ in range(10):
        assert client.post(reverse("login"), {"username": "desk1", "password": "nope"}).status_code == 200
    response = client.post(reverse("login"), {"username": "desk1", "password": "pass-12345"})
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login"), {"username": "someone-else", "password": "nope"})
    assert other.status_code == 200  # another username is not locked out by this one


def test_bad_password_shows_an_error(client, desk):
    response = client.post(reverse("login"), {"username": "desk1", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_pages_need_login(client, db):
    for url in (reverse("home"), reverse("accounts:customer_list")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_logout(client, desk):
    client.force_login(desk)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    "q, found",
    [
        ("13812345678", ["8100000001"]),
        ("8100000002", ["8100000002"]),
        ("张", ["8100000001", "8100000002"]),  # surname prefix; 8100000003 is another outlet's
        ("锦绣花园", ["8100000001"]),
        ("民生路88", ["8100000002"]),
        ("8100000003", []),
    ],
)
def test_search_finds_by_phone_number_and_fragments(
    client, desk, customers, q, found, django_assert_max_num_queries
):
    client.force_login(desk)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:customer_list"), {"q": q})
    assert [c.account_no for c in response.context["customers"]] == found
    body = response.content.decode()
    for phone in {"13812345678", "13900001111"} - {q}:  # the typed query is echoed in the search box
        assert phone not in body
    if "8100000001" in found:
        assert "138****5678" in body


def test_search_filters(client, desk, customers):
    client.force_login(desk)
    response = client.get(
        reverse("accounts:customer_list"), {"status": "active", "category": category("residential").pk}
    )
    assert [c.account_no for c in response.context["customers"]] == ["8100000001", "8100000002"]


def test_detail_masks_and_reveal_is_recorded(client, desk, customers):
    client.force_login(desk)
    url = reverse("accounts:customer_detail", args=["8100000001"])
    body = client.get(url).content.decode()
    assert "138****5678" in body and "1101**********002X" in body
    assert "13812345678" not in body
    response = client.post(reverse("accounts:customer_reveal", args=["8100000001"]))
    body = response.content.decode()
    assert "13812345678" in body and "11010519491231002X" in body
    assert response["Cache-Control"] == "no-store"
    assert PersonalDataView.objects.filter(user=desk, customer=customers[0]).count() == 1


def test_other_outlets_customer_is_404(client, desk, customers):
    client.force_login(desk)
    assert client.get(reverse("accounts:customer_detail", args=["8100000003"])).status_code == 404
    assert client.post(reverse("accounts:customer_reveal", args=["8100000003"])).status_code == 404


def test_administrator_role_gets_no_reveal_button_and_cannot_reveal(client, org, customers):
    client.force_login(make_staff(Role.ADMINISTRATOR, org.centre))
    body = client.get(reverse("accounts:customer_detail", args=["8100000001"])).content.decode()
    assert "customer_reveal" not in body and "/reveal/" not in body
    assert client.post(reverse("accounts:customer_reveal", args=["8100000001"])).status_code == 403


def form_data(org, **overrides):
    data = {
        "account_no": "8200000001",
        "name": "王五",
        "category": category("residential").pk,
        "mobile": "13700001234",
        "address": "渝中区解放碑路1号",
        "outlet": org.outlet1a.pk,
        "status": "active",
    }
    data.update(overrides)
    return data


def test_create_customer(client, desk, org):
    client.force_login(desk)
    response = client.post(reverse("accounts:customer_create"), form_data(org))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:customer_detail", args=["8200000001"])
    assert Customer.objects.get(account_no="8200000001").name == "王五"


def test_create_form_shows_field_errors(client, desk, org, customers):
    client.force_login(desk)
    response = client.post(
        reverse("accounts:customer_create"), form_data(org, account_no="8100000001", mobile="1234")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["account_no"] == ["Account number 8100000001 already exists."]
    assert form.errors["mobile"] == ["Enter a mainland China mobile number: 11 digits starting with 13-19."]
    assert "field-error" in response.content.decode()


def test_edit_customer(client, desk, org, customers):
    client.force_login(desk)
    url = reverse("accounts:customer_edit", args=["8100000002"])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(org, account_no="9999999999", name="张无忌（改）"))
    assert response.status_code == 302
    customer = Customer.objects.get(account_no="8100000002")
    assert customer.name == "张无忌（改）"  # account_no field is disabled: the posted one is ignored


def test_technician_cannot_create(client, org):
    client.force_login(make_staff(Role.TECHNICIAN, org.outlet1a))
    assert client.get(reverse("accounts:customer_create")).status_code == 403


def test_csv_export_is_masked(client, desk, customers):
    client.force_login(desk)
    response = client.get(reverse("accounts:customer_export"), {"q": "张"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "138****5678" in text and "1101**********002X" in text
    assert "13812345678" not in text and "8100000003" not in text
    assert len(text.strip().splitlines()) == 3  # header + 2 rows


def test_the_account_manager_is_chosen_by_name_and_role_not_login(client, desk, org):
    desk.first_name = "李娜"
    desk.save(update_fields=["first_name"])
    client.force_login(desk)
    html = client.get(reverse("accounts:customer_create")).content.decode()
    assert ">李娜 · " in html and f">{desk.username}</option>" not in html
