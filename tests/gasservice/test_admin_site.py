"""The admin reads as the utility's own tool, in the reader's language."""

import pytest
from django.contrib.auth import get_user_model

from tests.tickets.factories import Org, at, make_ticket
from tickets import services

pytestmark = pytest.mark.django_db


def test_the_admin_is_titled_with_the_products_name_in_chinese(client):
    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "燃气客户服务系统管理" in html and "Django 管理" not in html


def test_the_ticket_list_names_the_handler_not_their_login(client):
    org = Org()
    ticket = make_ticket(org, now=at(2026, 3, 2, 9, 0))
    org.tech.first_name = "张强"
    org.tech.save(update_fields=["first_name"])
    services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.supervisor, now=at(2026, 3, 2, 9, 5))
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    html = client.get("/admin/tickets/ticket/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<td class="field-assignee_name">张强</td>' in html
