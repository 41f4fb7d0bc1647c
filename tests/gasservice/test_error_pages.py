"""Error pages in the site's layout, in both languages, with a way back; a 403 names the roles."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from accounts.models import Role
from tests.tickets.factories import staff

pytestmark = pytest.mark.django_db


def signed_in(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "language, heading, back",
    [
        ("en", "Page not found", "Back to the start page"),
        ("zh-hans", "页面不存在", "返回首页"),
    ],
)
def test_404_in_the_layout_in_both_languages(org, language, heading, back):
    response = signed_in(org.clerk, language).get("/tickets/GS20990101-00001/")
    html = response.content.decode()
    assert response.status_code == 404
    assert heading in html and back in html and 'class="topbar' in html and 'href="/"' in html


@pytest.mark.parametrize(
    "language, reason",
    [
        ("en", "The complaint figures are for outlet supervisors, branch managers and centre managers."),
        ("zh-hans", "投诉统计仅供营业厅主管、分公司经理和中心经理查看。"),
    ],
)
def test_403_names_the_roles_the_page_needs(org, language, reason):
    response = signed_in(org.clerk, language).get("/complaints/figures/")
    html = response.content.decode()
    assert response.status_code == 403 and reason in html


def test_403_from_a_permission_lists_the_roles_that_have_it(org):
    technician = staff(username="tech2", role=Role.TECHNICIAN, org_unit=org.outlet)
    html = signed_in(technician, "en").get("/customers/new/").content.decode()
    assert "This page is for these roles: Front desk, Call-centre agent" in html
    assert "You are signed in as Field technician at 解放碑营业厅." in html


@pytest.mark.parametrize(
    "view, status, heading",
    [
        (lambda r: defaults.server_error(r), 500, "Something went wrong"),
        (lambda r: defaults.bad_request(r, Exception("bad")), 400, "Bad request"),
    ],
)
def test_400_and_500_render_without_a_database_or_a_user(view, status, heading):
    with translation.override("en"):
        response = view(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == status and heading in html and "Back to the start page" in html
