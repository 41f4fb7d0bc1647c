"""Refusals made once for every page and endpoint, before any view reads the request."""

import json

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _json_fields(request) -> list[tuple[str, object]]:
    """The fields of a JSON body (an API call); none when it is not JSON or does not parse."""
    if request.content_type != "application/json" or b"\\u0000" not in request.body:
        return []  # JSON can carry a NUL only as the escape \u0000: most bodies are never parsed twice
    try:
        data = json.loads(request.body)
    except ValueError:
        return []  # the API's parser answers that itself
    return list(data.items()) if isinstance(data, dict) else [("non_field_errors", data)]


def _nul_field(request) -> str | None:
    """The first query, form or JSON field holding a NUL character (in its name or its value)."""
    fields = list(request.GET.lists())
    if request.method == "POST" and request.content_type in FORM_TYPES:
        fields += request.POST.lists()
    fields += _json_fields(request)
    for name, value in fields:
        if _holds_nul(name) or _holds_nul(value):
            return name.replace(NUL, "")
    return None


class RefuseNulMiddleware:
    """PostgreSQL stores no NUL character and refuses one even in a query, and no typed text holds
    one: a parameter with a NUL is a 400 (field by field for the API), a path with one is a 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith("/api/")
        if NUL in request.path_info:
            if is_api:
                return JsonResponse({"detail": _("Not found.")}, status=404)
            return render(request, "404.html", status=404)
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        message = _("Null characters are not allowed.")
        if is_api:
            return JsonResponse({field: [message]}, status=400)
        return render(request, "400.html", {"reason": message}, status=400)
