"""One exception handler turns broken business rules into a 400 and duplicates into a 409."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from gasservice.api import DefaultPagination


def view_raising(exc):
    class RaisingView(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def post(self, request):
            raise exc

    return RaisingView.as_view()


def post(view):
    return view(APIRequestFactory().post("/api/v1/things/", {}, format="json"))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(
            ValidationError({"account_no": ["Account numbers have 10 digits."]}),
            {"account_no": ["Account numbers have 10 digits."]},
            id="field error -> {field: [msg]}",
        ),
        pytest.param(
            ValidationError({"__all__": ["A closed ticket cannot be paused."], "reason": "Give a reason."}),
            {"non_field_errors": ["A closed ticket cannot be paused."], "reason": ["Give a reason."]},
            id="__all__ -> non_field_errors beside field errors",
        ),
        pytest.param(
            ValidationError("The customer is closed."),
            {"non_field_errors": ["The customer is closed."]},
            id="plain message -> non_field_errors",
        ),
        pytest.param(
            ValidationError(["First.", "Second."]),
            {"non_field_errors": ["First.", "Second."]},
            id="message list -> non_field_errors",
        ),
    ],
)
def test_service_validation_error_becomes_400(exc, expected):
    response = post(view_raising(exc))
    assert response.status_code == 400
    assert response.data == expected


def test_integrity_error_becomes_409_not_500():
    response = post(view_raising(IntegrityError("duplicate key value violates unique constraint")))
    assert response.status_code == 409
    assert set(response.data) == {"detail"}
    assert "duplicate key" not in str(response.data["detail"])


def test_conflict_message_is_chinese_by_default(chinese):
    response = post(view_raising(IntegrityError("duplicate key")))
    assert response.data == {"detail": "该操作已完成，或与现有记录冲突。"}


def test_other_errors_keep_drf_shape():
    from rest_framework.exceptions import NotFound

    response = post(view_raising(NotFound()))
    assert response.status_code == 404
    assert set(response.data) == {"detail"}


def test_default_pagination_caps_page_size():
    assert DefaultPagination.page_size_query_param == "page_size"
    assert DefaultPagination.max_page_size == 200
