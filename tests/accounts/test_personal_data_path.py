"""Personal data has one path: templates, serializers and the admin never show it unmasked.

Phones, landlines and ID numbers are shown through `accounts.personal_data` (masked, or in full
by `reveal`, which checks the role and records the view). These tests read the code of every
app, so a new template, serializer or admin page that uses such a field directly fails here.
"""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from rest_framework import serializers

from accounts.personal_data import PERSONAL_FIELDS, PersonalDataField, masked, masked_data

BASE_DIR = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", "staticfiles", "var", ".git", "tests"}
FIELD = "|".join(PERSONAL_FIELDS)
# {{ x.mobile }} and friends: an output of a personal field.
ATTRIBUTE = r"\.(?:" + FIELD + r")\b"
OUTPUT = re.compile(r"\{\{(?P<expr>[^}]*" + ATTRIBUTE + r"[^}]*)\}\}")
MASKING_FILTERS = ("masked", "mask_phone", "mask_id_number")


def _files(pattern: str):
    for path in BASE_DIR.rglob(pattern):
        if not SKIP_DIRS & set(path.relative_to(BASE_DIR).parts):
            yield path


def _is_masked(expr: str) -> bool:
    """The last personal field in the expression is followed by a masking filter."""
    last = list(re.finditer(ATTRIBUTE, expr))[-1]
    filters = [f.split(":")[0].strip() for f in expr[last.end() :].split("|")[1:]]
    return any(f in MASKING_FILTERS for f in filters)


def test_templates_show_personal_fields_only_masked():
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {{{{{m['expr'].strip()}}}}}"
        for path in _files("*.html")
        for m in OUTPUT.finditer(path.read_text(encoding="utf-8"))
        if not _is_masked(m["expr"])
    ]
    assert not offenders, "show these through |masked (or the reveal path):\n" + "\n".join(offenders)


def test_the_template_check_catches_a_direct_use():
    assert not _is_masked(" customer.mobile ")
    assert not _is_masked(" ticket.contact_phone|default:'—' ")
    assert _is_masked(" c.mobile|default:c.landline|masked ")


OUR_APPS = ("accounts", "notifications", "tickets", "complaints", "billing", "satisfaction", "dashboards")


def _serializer_classes():
    for app in apps.get_app_configs():
        if app.name in OUR_APPS:
            for module in ("serializers", "api"):
                if importlib.util.find_spec(f"{app.name}.{module}") is not None:
                    importlib.import_module(f"{app.name}.{module}")
    seen, stack = set(), [serializers.BaseSerializer]
    while stack:
        for cls in stack.pop().__subclasses__():
            if cls not in seen:
                seen.add(cls)
                stack.append(cls)
    ours = tuple(f"{name}." for name in OUR_APPS)
    return sorted((c for c in seen if c.__module__.startswith(ours)), key=lambda c: c.__qualname__)


@pytest.mark.parametrize("serializer_class", _serializer_classes(), ids=lambda c: c.__qualname__)
def test_serializers_return_personal_fields_through_the_masking_field(serializer_class):
    try:
        fields = serializer_class().fields
    except Exception as exc:  # noqa: BLE001 - a serializer that needs arguments
        pytest.skip(f"cannot build {serializer_class.__qualname__} without arguments: {exc}")
    direct = [
        name for name, f in fields.items()
        if (name in PERSONAL_FIELDS or getattr(f, "source", "").split(".")[-1] in PERSONAL_FIELDS)
        and not f.write_only and not isinstance(f, PersonalDataField)
    ]  # fmt: skip
    assert not direct, f"{serializer_class.__qualname__}: declare {direct} as PersonalDataField"


def test_serializer_modules_read_no_personal_attribute_directly():
    offenders = []
    for path in _files("serializers.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in PERSONAL_FIELDS:
                offenders.append(f"{path.relative_to(BASE_DIR)}:{node.lineno} .{node.attr}")
    assert not offenders, "read personal data through PersonalDataField:\n" + "\n".join(offenders)


@pytest.mark.django_db
def test_admin_pages_never_list_or_edit_personal_fields():
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(is_superuser=True, is_staff=True)
    offenders = []
    for model, model_admin in admin.site._registry.items():
        names = {f.name for f in model._meta.fields}
        shown = set(model_admin.get_list_display(request)) | set(model_admin.get_fields(request))
        offenders += [f"{model.__name__}.{name}" for name in shown & names & set(PERSONAL_FIELDS)]
    assert not offenders, f"use MaskedPersonalDataAdmin (accounts.personal_data) for: {offenders}"


def test_masking_of_event_data_reaches_nested_values():
    data = {
        "before": {"contact_phone": "13800001111", "priority": "high"},
        "items": [{"mobile": "13900002222"}],
    }

    assert masked_data(data) == {
        "before": {"contact_phone": "138****1111", "priority": "high"}, "items": [{"mobile": "139****2222"}],
    }  # fmt: skip
    assert masked("id_number", "11010519491231002X") == "1101**********002X"
