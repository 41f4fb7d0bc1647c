"""The customer API: auth, filters, masking, visibility, field errors, full-view logging."""

import pytest
from django.core.cache import cache

from accounts.models import Customer, PersonalDataView, Role

from .factories import CustomerFactory, category, make_staff


@pytest.fixture
def desk(org):
    return make_staff(Role.FRONT_DESK, org.outlet, username="desk1")


@pytest.fixture
def customers(org):
    residential, commercial = category("residential"), category("commercial")
    return {
        "mine": CustomerFactory(
            account_no="8100000001", name="张三丰", mobile="13812345678", outlet=org.outlet,
            category=residential, landline="023-61234567", id_number="11010519491231002X",
        ),
        "mine_shop": CustomerFactory(
            account_no="8100000002", name="渝香火锅店", mobile="13900001111", outlet=org.outlet,
            category=commercial, address="渝中区民生路88号",
        ),
        "other_outlet": CustomerFactory(account_no="8100000003", outlet=org.far_outlet, category=residential),
    }  # fmt: skip


def test_unauthenticated_calls_get_401(api_client, db):
    response = api_client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_token_flow(api_client, desk, customers):
    cache.delete("throttle_token_127.0.0.1")
    bad = api_client.post("/api/v1/auth/token/", {"username": "desk1", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "desk1", "password": "pass-12345"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/customers/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get("/api/v1/customers/").status_code == 401


def test_list_is_masked_visible_only_and_in_few_queries(
    api_client, desk, customers, org, django_assert_max_num_queries
):
    for n in range(10):
        CustomerFactory(outlet=org.outlet2 if n % 2 else org.outlet)
    api_client.force_authenticate(desk)
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/customers/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["account_no"] for r in rows} >= {"8100000001", "8100000002"}
    assert "8100000003" not in {r["account_no"] for r in rows}
    assert all(r["outlet"] == "OUT01" for r in rows)
    first = next(r for r in rows if r["account_no"] == "8100000001")
    assert (first["mobile"], first["landline"], first["id_number"]) == (
        "138****5678", "023-****4567", "1101**********002X",
    )  # fmt: skip
    assert first["segment"] == "residential"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=8100000001", {"8100000001"}),
        ("q=13900001111", {"8100000002"}),
        ("q=023-61234567", {"8100000001"}),
        ("q=民生路", {"8100000002"}),
        ("q=张三", {"8100000001"}),
        ("category=commercial", {"8100000002"}),
        ("segment=residential", {"8100000001"}),
        ("outlet=OUT01&status=active", {"8100000001", "8100000002"}),
        ("is_key_account=true", set()),
        ("q=8100000003", set()),  # exists, but not in this clerk's outlet
    ],
)
def test_filters(api_client, desk, customers, query, expected):
    api_client.force_authenticate(desk)
    response = api_client.get(f"/api/v1/customers/?{query}")
    assert response.status_code == 200
    assert {r["account_no"] for r in response.json()["results"]} == expected


def test_invisible_row_is_404(api_client, desk, customers):
    api_client.force_authenticate(desk)
    assert api_client.get("/api/v1/customers/8100000003/").status_code == 404
    assert api_client.patch("/api/v1/customers/8100000003/", {"name": "x"}, format="json").status_code == 404


def test_detail_is_masked_unless_revealed_and_reveal_is_logged(api_client, desk, customers):
    api_client.force_authenticate(desk)
    masked = api_client.get("/api/v1/customers/8100000001/").json()
    assert masked["mobile"] == "138****5678" and masked["personal_data_masked"] is True
    assert not PersonalDataView.objects.exists()
    full = api_client.get("/api/v1/customers/8100000001/?reveal=1")
    assert full["Cache-Control"] == "no-store"
    body = full.json()
    assert (body["mobile"], body["id_number"], body["personal_data_masked"]) == (
        "13812345678", "11010519491231002X", False,
    )  # fmt: skip
    view = PersonalDataView.objects.get()
    assert (view.user, view.customer.account_no, view.fields) == (
        desk,
        "8100000001",
        "mobile,landline,id_number",
    )


def test_administrator_role_cannot_reveal(api_client, org, customers):
    admin = make_staff(Role.ADMINISTRATOR, org.centre)
    api_client.force_authenticate(admin)
    body = api_client.get("/api/v1/customers/8100000001/?reveal=1").json()
    assert body["mobile"] == "138****5678"
    assert not PersonalDataView.objects.exists()


def payload(**overrides):
    data = {
        "account_no": "8200000001",
        "name": "李四",
        "category": "residential",
        "sub_category": "heating",
        "mobile": "13700001234",
        "address": "渝中区解放碑路1号",
        "outlet": "OUT01",
    }
    data.update(overrides)
    return data


def test_create_and_update(api_client, desk, org):
    category("residential")
    api_client.force_authenticate(desk)
    response = api_client.post("/api/v1/customers/", payload(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["mobile"] == "137****1234"
    assert Customer.objects.get(account_no="8200000001").sub_category.code == "heating"
    response = api_client.patch("/api/v1/customers/8200000001/", {"landline": "02361234567"}, format="json")
    assert response.status_code == 200
    assert Customer.objects.get(account_no="8200000001").landline == "023-61234567"
    response = api_client.put(
        "/api/v1/customers/8200000001/", payload(name="李四娃", sub_category=None), format="json"
    )
    assert response.status_code == 200, response.json()
    assert Customer.objects.get(account_no="8200000001").name == "李四娃"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"mobile": "1234"}, "mobile",
         "Enter a mainland China mobile number: 11 digits starting with 13-19."),
        ({"outlet": "NOPE"}, "outlet", "Unknown code: NOPE."),
        ({"category": "bogus"}, "category", "Unknown code: bogus."),
        ({"account_no": "12"}, "account_no", "An account number is 10 digits."),
        ({"sub_category": "heating", "category": "commercial"}, "sub_category",
         "This sub-category does not belong to the chosen category."),
        ({"outlet": "BR01"}, "outlet", "The responsible unit must be a service outlet."),
        ({"outlet": "OUT03"}, "outlet", "You can only choose an outlet of your own organisation unit."),
    ],
)  # fmt: skip
def test_bad_input_is_400_with_field_messages(api_client, desk, org, overrides, field, message):
    category("residential")
    api_client.force_authenticate(desk)
    response = api_client.post("/api/v1/customers/", payload(**overrides), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_duplicate_account_no_is_400_on_the_field(api_client, desk, customers):
    api_client.force_authenticate(desk)
    response = api_client.post("/api/v1/customers/", payload(account_no="8100000003"), format="json")
    assert response.status_code == 400
    assert response.json() == {"account_no": ["Account number 8100000003 already exists."]}


def test_org_units_are_read_only_by_code(api_client, desk, org):
    api_client.force_authenticate(desk)
    body = api_client.get("/api/v1/org-units/OUT01/").json()
    assert (body["name"], body["kind"], body["parent"]) == ("解放碑营业厅", "outlet", "BR01")
    assert api_client.post("/api/v1/org-units/", {"code": "X"}, format="json").status_code == 405
    codes = [u["code"] for u in api_client.get("/api/v1/org-units/?kind=branch").json()["results"]]
    assert codes == ["BR01", "BR02"]


def test_schema_documents_the_endpoints(api_client, desk):
    api_client.force_authenticate(desk)
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/customers/", "/api/v1/customers/{account_no}/", "/api/v1/org-units/{code}/",
            "/api/v1/auth/token/"} <= set(paths)  # fmt: skip
