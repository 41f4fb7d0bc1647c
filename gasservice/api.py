"""Cross-cutting API pieces: the one exception handler and the default pagination.

Every broken business rule is raised as Django's ValidationError by a service function;
here it becomes a 400 with DRF's usual shape: {"field": ["message", ...], ...}, with rule
errors that belong to no field under "non_field_errors". A unique constraint that fires at
the edge (IntegrityError) becomes a 409 "already done", never a 500.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class MaySeeApiDocs(permissions.BasePermission):
    """The schema and docs: anyone while settings.API_DOCS_PUBLIC (development), else signed-in staff."""

    def has_permission(self, request, view):
        from django.conf import settings

        if settings.API_DOCS_PUBLIC:
            return True
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and (user.is_superuser or hasattr(user, "staff_profile"))
        )


def validation_error_payload(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in msgs]
            for field, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        logger.info("integrity error at the API edge: %s", exc)
        return Response(
            {"detail": _("This has already been done or conflicts with an existing record.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class CaseStepsMixin:
    """Step actions on one case: the case is found (and cached) before its input is read, so
    another unit's case is a 404 whatever the request body says."""

    def get_object(self):
        if not hasattr(self, "_case"):
            self._case = super().get_object()
        return self._case

    def _input(self, serializer_class):
        if self.kwargs.get(self.lookup_url_kwarg):
            self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
