"""The admin reads as the utility's own tool, in the reader's language."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_the_admin_is_titled_with_the_products_name_in_chinese(client):
    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "燃气客户服务系统管理" in html and "Django 管理" not in html
