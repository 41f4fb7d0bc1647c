"""The permission table: every API operation and every staff page, and who may use it.

One row per API operation (method and path, as in the OpenAPI schema) and per URL pattern of
the pages (as in the URL conf). The lists are generated, so an endpoint without a row FAILS
`test_every_api_operation_has_a_row` or `test_every_page_has_a_row`. Each row is requested:

- anonymously;
- by each role, on an object of its own unit (outlet OUTA1, or the branch/centre above it);
- by each role, on the same kind of object of another unit (outlet OUTB1, in another branch).

What a request may answer, as one word:
    ok     the handler ran: 2xx, a redirect that is not to the login page, or a 400 with field
           errors (requests carry no body, so nothing is created)
    403    refused: the role may not do this
    404    hidden: the object is in a unit the role does not see (never 403, which would tell
           that it exists)
    login  not logged in: 401 (API) or a redirect to the login page

## Adding your endpoints (billing, satisfaction, dashboards, ...)

1. Add one row per new API operation to `API_ROWS`, keyed `("GET", "/api/v1/things/{ref}/")`
   exactly as the schema spells the path, and one per new URL pattern to `PAGE_ROWS`, keyed by
   the pattern as the URL conf spells it (`"billing/disputes/<str:reference>/"`).
2. Describe the answer with the helpers: `public()` (asked anonymously and as one staff member),
   `staff(roles)` for lists and forms without an object (asked once per role), `scoped(roles)`
   for an object of a unit (the roles that see all get it from other units too, the others
   404), `per_user()` for rows that belong to one user. Pass
   `refused="404"` when a role outside `roles` is answered 404 (lookup before the role check),
   and `**{ROLE: (own, other)}` for a single exception, with a comment saying why.
3. A path parameter needs an object: add it to `World` and to `_object_for` (own unit: `a`,
   other unit: `b`), built once per module in `world()`.
4. Pages name the methods to try (`methods=("GET", "POST")`); a view that only takes POST
   lists `("POST",)`.
"""

import datetime
import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import OrgUnit, Role
from accounts.services import create_staff
from billing import services as billing_services
from billing.models import DisputeKind, ImportRun
from complaints import services as complaint_services
from complaints.models import ComplaintCategory, Source
from notifications.models import Notification
from satisfaction import improvements
from satisfaction import services as satisfaction_services
from satisfaction.models import Survey
from tests.billing.factories import bills_from
from tests.billing.factories import meter as billing_meter
from tests.factories import CustomerFactory, OrgUnitFactory
from tests.tickets.factories import CustomerCategoryFactory, service
from tickets import services as ticket_services
from tickets.messages import subject_for
from tickets.models import Channel

FD, AG, TE, OS, BM, CM, AD = (
    Role.FRONT_DESK, Role.AGENT, Role.TECHNICIAN, Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER,
    Role.CENTRE_MANAGER, Role.ADMINISTRATOR,
)  # fmt: skip
ROLES = (FD, AG, TE, OS, BM, CM, AD)
SEE_ALL = {AG, CM, AD}
NOT_TECH = {FD, AG, OS, BM, CM, AD}
SUPERVISORS = {OS, BM, CM, AD}
BILLING_SYSTEM = {CM, AD}
TRANSFERRING = {AG, OS, BM, CM, AD}  # accounts.roles.ROLES_TRANSFERRING_CASES
CUSTOMER_EDITORS = {FD, AG, OS, BM, CM, AD}  # accounts.change_customer (technicians only view)
READINGS = [(datetime.date(2026, 1, 1), 1000), (datetime.date(2026, 9, 1), 1850),
            (datetime.date(2026, 11, 1), 2050)]  # fmt: skip
PNG = bytes.fromhex(  # a 1x1 PNG that decodes (photos are re-encoded on upload)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


# ---------------------------------------------------------------- the vocabulary of the table


@dataclass(frozen=True)
class Expect:
    anon: str
    cells: dict  # role -> (answer on its own unit's object, answer on another unit's object)
    methods: tuple = ("GET",)
    # "object": own and other unit differ; "none": no unit's object in the URL (asked once per
    # role); "public": the same for everybody (asked anonymously and as one staff member).
    scope: str = "object"

    def on(self, *, methods):
        return Expect(self.anon, self.cells, methods, self.scope)


def _cells(allowed, *, refused, scoped, overrides):
    cells = {}
    for role in ROLES:
        if role in allowed:
            cells[role] = ("ok", "ok" if (not scoped or role in SEE_ALL) else "404")
        else:
            cells[role] = (refused, refused)
    for name, answer in overrides.items():
        cells[Role(name)] = answer
    return cells


def public(answer="ok") -> Expect:
    """No login needed (the public complaint form, tracking, the catalogue, health, login)."""
    return Expect(answer, {role: (answer, answer) for role in ROLES}, scope="public")


def staff(roles=ROLES, *, refused="403", anon="login", **overrides) -> Expect:
    """Logged-in staff of `roles`, no object of a unit in the URL (lists, forms, own notifications)."""
    return Expect(anon, _cells(roles, refused=refused, scoped=False, overrides=overrides), scope="none")


def scoped(roles=ROLES, *, refused="403", **overrides) -> Expect:
    """An object of a unit: `roles` reach it in their own subtree; other units' objects are 404,
    except for the roles that see every unit."""
    return Expect("login", _cells(roles, refused=refused, scoped=True, overrides=overrides))


def per_user(**overrides) -> Expect:
    """A row that belongs to one user (a notification): their own is ok, anybody else's 404."""
    cells = {role: ("ok", "404") for role in ROLES}
    return Expect("login", cells | {Role(k): v for k, v in overrides.items()})


# ---------------------------------------------------------------- the table

# API operations: (method, path as in the OpenAPI schema) -> who may.
API_ROWS = {
    ("POST", "/api/v1/auth/token/"): public(),
    ("GET", "/api/v1/service-types/"): public(),
    ("GET", "/api/v1/service-types/{code}/"): public(),
    ("GET", "/api/v1/org-units/"): staff(),
    ("GET", "/api/v1/org-units/{code}/"): staff(),  # the organisation is no secret among staff
    ("GET", "/api/v1/customers/"): staff(),
    ("POST", "/api/v1/customers/"): staff(CUSTOMER_EDITORS),
    ("GET", "/api/v1/customers/{account_no}/"): scoped(),
    ("PUT", "/api/v1/customers/{account_no}/"): scoped(CUSTOMER_EDITORS),
    ("PATCH", "/api/v1/customers/{account_no}/"): scoped(CUSTOMER_EDITORS),
    ("GET", "/api/v1/tickets/"): staff(),
    ("POST", "/api/v1/tickets/"): staff(),
    ("GET", "/api/v1/tickets/{reference}/"): scoped(),
    ("PATCH", "/api/v1/tickets/{reference}/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/assign/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/attachments/"): scoped(),
    ("GET", "/api/v1/tickets/{reference}/events/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/milestones/{code}/meet/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/notes/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/replies/"): scoped(),
    ("POST", "/api/v1/tickets/{reference}/transition/"): scoped(),
    ("GET", "/api/v1/complaints/"): staff(NOT_TECH),
    ("POST", "/api/v1/complaints/"): staff(NOT_TECH),
    ("GET", "/api/v1/complaints/{reference}/"): scoped(NOT_TECH),
    ("GET", "/api/v1/complaints/{reference}/chain/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/acknowledge/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/contact/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/investigate/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/respond/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/close/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/reopen/"): scoped(NOT_TECH),
    ("POST", "/api/v1/complaints/{reference}/link/"): scoped(NOT_TECH),
    ("GET", "/api/v1/notifications/"): staff(),
    ("GET", "/api/v1/notifications/unread-count/"): staff(),
    ("POST", "/api/v1/notifications/read-all/"): staff(),
    ("GET", "/api/v1/notifications/{id}/"): per_user(),
    ("POST", "/api/v1/notifications/{id}/read/"): per_user(),
    ("POST", "/api/v1/tickets/{reference}/transfer/"): scoped(TRANSFERRING),
    # Billing: service staff; field technicians read and record re-reads and meter tests.
    ("GET", "/api/v1/billing/customers/{account_no}/"): scoped(),
    ("GET", "/api/v1/billing/disputes/"): staff(),
    ("POST", "/api/v1/billing/disputes/"): staff(NOT_TECH),
    ("GET", "/api/v1/billing/disputes/{reference}/"): scoped(),
    ("POST", "/api/v1/billing/disputes/{reference}/order-check/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/reread/"): scoped(),
    ("POST", "/api/v1/billing/disputes/{reference}/meter-test/"): scoped(),
    ("POST", "/api/v1/billing/disputes/{reference}/replace-meter/"): scoped(),
    ("POST", "/api/v1/billing/disputes/{reference}/finding/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/rebill/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/propose/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/approve/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/apply/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/withdraw/"): scoped(NOT_TECH),
    ("POST", "/api/v1/billing/disputes/{reference}/inform/"): scoped(NOT_TECH),
    # The billing system's files: the integration account (administrator) and the centre.
    ("GET", "/api/v1/billing/adjustments/"): staff(BILLING_SYSTEM),
    ("POST", "/api/v1/billing/imports/"): staff(BILLING_SYSTEM),
    ("GET", "/api/v1/billing/imports/{id}/"): staff(BILLING_SYSTEM),
    # Satisfaction: service staff (not field technicians).
    ("GET", "/api/v1/surveys/"): staff(NOT_TECH),
    ("GET", "/api/v1/surveys/figures/"): staff(NOT_TECH),
    ("GET", "/api/v1/surveys/{reference}/"): scoped(NOT_TECH),
    ("GET", "/api/v1/recoveries/"): staff(NOT_TECH),
    ("GET", "/api/v1/recoveries/{reference}/"): scoped(NOT_TECH),
    ("GET", "/api/v1/improvements/"): staff(NOT_TECH),
    ("GET", "/api/v1/improvements/{reference}/"): scoped(NOT_TECH),
    # Reports: everyone's own figures (front desk, agents, technicians: the cases they handle);
    # the complaints' and the satisfaction app's figures for supervisors and managers.
    ("GET", "/api/v1/reports/sla/"): staff(),
    ("GET", "/api/v1/reports/targets/"): staff(),
    ("GET", "/api/v1/reports/complaints/"): staff(SUPERVISORS),
    ("GET", "/api/v1/reports/billing/"): staff(SUPERVISORS),
    ("GET", "/api/v1/reports/satisfaction/"): staff(SUPERVISORS),
}

GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

# Pages: URL pattern as in the URL conf -> who may (methods tried, object in the URL).
PAGE_ROWS = {
    "": staff(),
    "login/": public().on(methods=BOTH),
    "logout/": public("login").on(methods=POST),  # logged out, back to the login page
    "healthz": public(),
    "i18n/setlang/": public().on(methods=POST),
    "api/schema/": public(),
    "api/docs/": public(),
    "admin/": staff({AD}, refused="login"),  # the admin site: is_staff accounts only
    "customers/": staff(),
    "customers/export.csv": staff(),
    "customers/new/": staff(CUSTOMER_EDITORS).on(methods=BOTH),
    "customers/<str:account_no>/": scoped(),
    "customers/<str:account_no>/edit/": scoped(CUSTOMER_EDITORS).on(methods=BOTH),
    # Roles refused a reveal (administrators) get 403; technicians may see it to call customers.
    "customers/<str:account_no>/reveal/": scoped({FD, AG, TE, OS, BM, CM}).on(methods=POST),
    "tickets/": staff(),
    "tickets/new/": staff().on(methods=BOTH),
    "tickets/preview/": staff(),
    "tickets/commitments/": public(),  # the published service commitments
    "tickets/<str:reference>/": scoped(),
    "tickets/<str:reference>/receipt/": scoped(),
    "tickets/<str:reference>/assign/": scoped().on(methods=POST),
    "tickets/<str:reference>/transition/": scoped().on(methods=POST),
    "tickets/<str:reference>/pause/": scoped().on(methods=POST),
    "tickets/<str:reference>/resume/": scoped().on(methods=POST),
    "tickets/<str:reference>/milestones/meet/": scoped().on(methods=POST),
    "tickets/<str:reference>/notes/": scoped().on(methods=POST),
    "tickets/<str:reference>/replies/": scoped().on(methods=POST),
    "tickets/<str:reference>/attachments/": scoped().on(methods=POST),
    "tickets/<str:reference>/attachments/<uuid:uuid>/": scoped(),
    "tickets/<str:reference>/transfer/": scoped(TRANSFERRING).on(methods=POST),
    "track/": public().on(methods=BOTH),  # any case, by reference and phone
    "survey/<str:token>/": public().on(methods=BOTH),  # a link nobody was sent: a page saying so
    "satisfaction/callbacks/": staff(NOT_TECH),
    "satisfaction/surveys/<str:reference>/": scoped(NOT_TECH),
    "satisfaction/surveys/<str:reference>/call/": scoped(NOT_TECH).on(methods=POST),
    "satisfaction/recoveries/": staff(NOT_TECH),
    "satisfaction/recoveries/<str:reference>/": scoped(NOT_TECH),
    # Closed by supervisors; the recovery is looked up first, so another unit's is a 404.
    "satisfaction/recoveries/<str:reference>/close/": scoped(SUPERVISORS, front_desk=("403", "404")).on(
        methods=POST
    ),
    "satisfaction/figures/": staff(SUPERVISORS),
    "satisfaction/improvements/": staff(NOT_TECH),
    "satisfaction/improvements/new/": staff(SUPERVISORS).on(methods=BOTH),
    "satisfaction/improvements/<str:reference>/": scoped(NOT_TECH),
    "satisfaction/improvements/<str:reference>/<str:step>/": scoped(NOT_TECH).on(methods=POST),
    # Billing pages: as the billing API (field technicians read, re-read and test meters only).
    "billing/bills/<str:external_id>/": scoped(),
    "billing/customers/<str:account_no>/disputes/new/": scoped(NOT_TECH).on(methods=BOTH),
    "billing/disputes/<str:reference>/": scoped(),
    "billing/disputes/<str:reference>/<str:step>/": scoped(NOT_TECH).on(methods=POST),  # step: finding
    "billing/imports/": staff(BILLING_SYSTEM).on(methods=BOTH),  # the upload form posts here
    "billing/imports/<int:pk>/": staff(BILLING_SYSTEM),
    "satisfaction/answers/": staff(SUPERVISORS),
    "complaints/": staff(NOT_TECH),
    "complaints/new/": public().on(methods=BOTH),
    "complaints/new/done/": public(),
    "complaints/track/": public().on(methods=BOTH),
    "complaints/intake/": staff(NOT_TECH).on(methods=BOTH),
    "complaints/figures/": staff(SUPERVISORS),
    # The SLA dashboard: everyone (front desk, agents, technicians see their own figures).
    "dashboards/": staff(),
    "dashboards/export/<str:table>.<str:fmt>": staff(),
    # Targets (a branch manager or the centre sets them; an outlet supervisor's form answers with
    # a field error) and the monthly report of a unit: supervisors and managers.
    "dashboards/targets/": staff(SUPERVISORS).on(methods=BOTH),
    "dashboards/report/<str:code>/<str:month>/": scoped(SUPERVISORS),
    "complaints/<str:reference>/": scoped(NOT_TECH),
    "complaints/<str:reference>/acknowledge/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/contact/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/investigate/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/respond/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/close/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/reopen/": scoped(NOT_TECH).on(methods=POST),
    "complaints/<str:reference>/link/": scoped(NOT_TECH).on(methods=POST),
    "notifications/": staff(),
    "notifications/read-all/": staff().on(methods=POST),
    "notifications/<int:pk>/read/": per_user().on(methods=POST),
    "notifications/failed/": staff(SUPERVISORS),
    # Failed deliveries of the units a supervisor sees; others find none (404).
    "notifications/failed/<int:pk>/retry/": scoped(SUPERVISORS, refused="404").on(methods=POST),
}

# URL patterns that are not pages of ours: the admin's own (one row above stands for the site),
# and the API (its rows come from the schema).
NOT_PAGES = ("admin/", "api/v1/")


# ---------------------------------------------------------------- the generated lists


def api_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def url_patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def page_patterns() -> set[str]:
    return {route for route in url_patterns() if not route.startswith(NOT_PAGES)} | {"admin/"}


def _schema_path(route: str) -> str:
    """ "api/v1/^tickets/(?P<reference>[A-Z0-9-]+)/$" -> "/api/v1/tickets/{reference}/" (pk is "id")."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{%s}" % ("id" if m[1] == "pk" else m[1]), route)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_api_operation_has_a_row():
    missing = sorted(api_operations() - set(API_ROWS))
    assert not missing, f"add these API operations to API_ROWS in {__name__}: {missing}"
    stale = sorted(set(API_ROWS) - api_operations())
    assert not stale, f"these API_ROWS are no longer in the schema: {stale}"


def test_every_api_url_is_in_the_schema():
    schema_paths = {path for _method, path in api_operations()}
    routes = [r for r in url_patterns() if r.startswith("api/v1/")]
    missing = sorted(_schema_path(r) for r in routes if _schema_path(r) not in schema_paths)
    assert not missing, f"API URLs missing from the OpenAPI schema: {missing}"


def test_every_page_has_a_row():
    missing = sorted(page_patterns() - set(PAGE_ROWS))
    assert not missing, f"add these URL patterns to PAGE_ROWS in {__name__}: {missing}"
    stale = sorted(set(PAGE_ROWS) - page_patterns())
    assert not stale, f"these PAGE_ROWS are no longer in the URL conf: {stale}"


# ---------------------------------------------------------------- the organisation, built once


@dataclass
class Side:
    """The objects of one unit (outlet OUTA1: side a; outlet OUTB1 in another branch: side b)."""

    customer: object
    ticket: object
    complaint: object
    attachment: object
    failed_delivery: object
    unit: object
    dispute: object = None
    survey: object = None
    recovery: object = None
    improvement: object = None


@dataclass
class World:
    users: dict  # role -> user
    a: Side
    b: Side
    notifications: dict = field(default_factory=dict)  # role -> the user's own notification
    stranger_notification: object = None
    import_run: object = None


def _side(unit, *, filer, manager, residential, now, tmp) -> Side:
    customer = CustomerFactory(
        outlet=unit, category=residential, mobile="13800000000", id_number="11010519491231002X"
    )
    ticket = ticket_services.create_ticket(
        service_type=service("RPR-RES"),
        customer=customer,
        channel=Channel.SERVICE_HALL,
        description="灶具打不着火",
        actor=filer,
        now=now,
    )
    attachment = ticket_services.add_attachment(
        ticket=ticket,
        file=SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
        actor=filer,
        now=now,
    )
    complaint = complaint_services.file_complaint(
        source=Source.HOTLINE,
        category=ComplaintCategory.objects.get(code="billing"),
        description="账单有误",
        complainant_name="张三",
        complainant_phone="13900001111",
        customer=customer,
        actor=filer,
        now=now,
    )
    failed = Notification.objects.create(
        recipient=filer,
        address="13912340002",
        channel=Notification.Channel.SMS,
        kind="breach",
        title="Deadline breached",
        created_at=now,
        **case_of(ticket),
        status=Notification.DeliveryStatus.FAILED,
        attempts=5,
    )
    side = Side(customer, ticket, complaint, attachment, failed, unit)
    bills, _readings = bills_from(billing_meter(customer), READINGS)
    side.dispute = billing_services.register_dispute(
        customer=customer,
        kind=DisputeKind.ESTIMATE,
        bills=bills[-1:],
        description="估抄读数过高",
        channel=Channel.SERVICE_HALL,
        actor=filer,
        now=now,
    )
    side.survey = Survey.objects.create(
        ticket=ticket, org_unit=unit, service_type=ticket.service_type, case_closed_at=now, created_at=now
    )
    unit.phone = "023-63800001"
    unit.save()
    side.improvement = improvements.open_improvement(
        problem="回访中“按约定时间到达”得分低",
        source="dimension",
        source_detail="reliability",
        org_unit=unit,
        owner=filer,
        plan="每日排班预留机动人员",
        due_date=now.date() + datetime.timedelta(days=30),
        measure="dimension_score",
        measure_subject="reliability",
        target="4.00",
        actor=manager,
        now=now,
    )
    side.recovery = satisfaction_services.open_recovery(survey=side.survey, reasons=["not_solved"], now=now)
    return side


def _build(tmp) -> World:
    kind = OrgUnit.Kind
    centre = OrgUnitFactory(code="PGSC", name="客户服务中心", kind=kind.CENTRE)
    branch_a = OrgUnitFactory(code="PBRA", name="渝中分公司", kind=kind.BRANCH, parent=centre)
    branch_b = OrgUnitFactory(code="PBRB", name="江北分公司", kind=kind.BRANCH, parent=centre)
    outlet_a = OrgUnitFactory(code="OUTA1", name="解放碑营业厅", kind=kind.OUTLET, parent=branch_a)
    outlet_b = OrgUnitFactory(code="OUTB1", name="观音桥营业厅", kind=kind.OUTLET, parent=branch_b)
    call_centre = OrgUnitFactory(code="PCC", name="呼叫中心", kind=kind.CALL_CENTRE, parent=centre)
    place = {FD: outlet_a, TE: outlet_a, OS: outlet_a, BM: branch_a, AG: call_centre, CM: centre,
             AD: centre}  # fmt: skip
    users = {role: create_staff(username=f"perm_{role}", password=None, role=role, org_unit=unit)
             for role, unit in place.items()}  # fmt: skip
    residential = CustomerCategoryFactory("residential", "residential")
    now = timezone.now()
    filer_a = create_staff(username="perm_filer_a", password=None, role=FD, org_unit=outlet_a)
    filer_b = create_staff(username="perm_filer_b", password=None, role=FD, org_unit=outlet_b)
    world = World(
        users=users,
        a=_side(outlet_a, filer=filer_a, manager=users[CM], residential=residential, now=now, tmp=tmp),
        b=_side(outlet_b, filer=filer_b, manager=users[CM], residential=residential, now=now, tmp=tmp),
    )
    for role, user in users.items():
        world.notifications[role] = Notification.objects.create(
            recipient=user, channel=Notification.Channel.IN_APP, kind="system", title="t", created_at=now
        )
    world.stranger_notification = Notification.objects.create(
        recipient=filer_b, channel=Notification.Channel.IN_APP, kind="system", title="t", created_at=now
    )
    world.import_run = ImportRun.objects.create(kind="readings", file_name="readings.csv", created_at=now)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The organisation, staff and objects, built once for the whole table and rolled back after."""
    media = tmp_path_factory.mktemp("permission-media")
    previous_media = django_settings.MEDIA_ROOT
    django_settings.MEDIA_ROOT = str(media)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            django_settings.MEDIA_ROOT = previous_media


def _object_for(kind: str, world: World, role, side: str) -> dict:
    """The URL parameters of the object a row needs: own unit (side "a") or another unit ("b")."""
    s = world.a if side == "a" else world.b
    if kind == "notification":
        note = world.notifications[role or FD] if side == "a" else world.stranger_notification
        return {"id": note.pk, "pk": note.pk}
    if kind == "import":
        return {"id": world.import_run.pk, "pk": world.import_run.pk}
    reference = {
        "improvement": s.improvement.ticket.reference,
        "complaint": s.complaint.reference,
        "dispute": s.dispute.ticket.reference,
        "survey": s.survey.ticket.reference,
        "recovery": s.recovery.ticket.reference,
    }.get(kind, s.ticket.reference)
    return {
        "reference": reference,
        "token": "not-a-token",
        "step": {"dispute": "finding", "improvement": "done"}.get(kind, ""),
        "external_id": s.dispute.bills.first().external_id,
        "account_no": s.customer.account_no,
        "code": {"orgunit": s.unit.code, "servicetype": "RPR-RES", "milestone": "accept"}.get(kind, ""),
        "uuid": s.attachment.uuid,
        "pk": s.failed_delivery.pk,
        "table": "units",
        "fmt": "csv",
        "month": "2026-11",
    }


def _api_object(path: str) -> str:
    if path.startswith("/api/v1/billing/imports/"):
        return "import"
    if path.startswith("/api/v1/billing/disputes/"):
        return "dispute"
    if path.startswith("/api/v1/surveys/"):
        return "survey"
    if path.startswith("/api/v1/recoveries/"):
        return "recovery"
    if path.startswith("/api/v1/improvements/"):
        return "improvement"
    if "{id}" in path:
        return "notification"
    if path.startswith("/api/v1/complaints/"):
        return "complaint"
    if path.startswith("/api/v1/org-units/"):
        return "orgunit"
    if path.startswith("/api/v1/service-types/"):
        return "servicetype"
    if "/milestones/{code}/" in path:
        return "milestone"
    return "ticket"


def _page_object(route: str) -> str:
    if route.startswith("dashboards/report/"):
        return "orgunit"
    if route.startswith("satisfaction/surveys/"):
        return "survey"
    if route.startswith("satisfaction/recoveries/"):
        return "recovery"
    if route.startswith("satisfaction/improvements/"):
        return "improvement"
    if route.startswith("billing/disputes/"):
        return "dispute"
    if route.startswith("billing/imports/"):
        return "import"
    if route.startswith("complaints/"):
        return "complaint"
    if route.startswith("notifications/<int:pk>"):
        return "notification"
    return "ticket"


def _fill_api(path: str, params: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m[1]]), path)


def _fill_page(route: str, params: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m[1]]), route)


def answer(response) -> str:
    status = response.status_code
    if status == 401 or (status == 302 and "login" in response.get("Location", "")):
        return "login"
    if status in (403, 404, 405) or status >= 500:
        return str(status)
    return "ok"


def _isolated(send, *args):
    """One request in a savepoint rolled back after it: every cell starts from the same objects."""
    with transaction.atomic():
        response = send(*args)
        transaction.set_rollback(True)
    return response


def _check(world, *, expect: Expect, url_for, send, anon_send):
    """Every request of a row; returns the cells that differ from the table."""
    roles = (FD,) if expect.scope == "public" else ROLES
    sides = "a" if expect.scope in ("public", "none") else "ab"
    wrong = []
    for method in expect.methods:
        got = answer(_isolated(anon_send, method, url_for(None, "a")))
        if got != expect.anon:
            wrong.append(f"{method} anonymous: {got}, expected {expect.anon}")
        for role in roles:
            for side in sides:
                wanted = expect.cells[role][0 if side == "a" else 1]
                got = answer(_isolated(send, role, method, url_for(role, side)))
                if got != wanted:
                    where = "own unit" if side == "a" else "other unit"
                    wrong.append(f"{method} {role} {where}: {got}, expected {wanted}")
    return wrong


@pytest.fixture(scope="module")
def api_clients(world):
    clients = {}
    for role, user in world.users.items():
        clients[role] = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        clients[role].force_authenticate(user)
    return clients


@pytest.fixture(scope="module")
def page_clients(world, django_db_blocker):
    """One logged-in browser per role for the whole table (sessions live in the module's transaction)."""
    clients = {}
    with django_db_blocker.unblock():
        for role, user in world.users.items():
            clients[role] = Client(HTTP_ACCEPT_LANGUAGE="en")
            clients[role].force_login(user)
    return clients


@pytest.mark.parametrize("operation", sorted(API_ROWS), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_operation(operation, world, api_clients, db):
    method, path = operation
    expect = API_ROWS[operation].on(methods=(method,))
    kind = _api_object(path)

    def url_for(role, side):
        return _fill_api(path, _object_for(kind, world, role, side)) if "{" in path else path

    def send(role, method, url):
        return getattr(api_clients[role], method.lower())(url, {}, format="json")

    def anon_send(method, url):
        return getattr(APIClient(HTTP_ACCEPT_LANGUAGE="en"), method.lower())(url, {}, format="json")

    wrong = _check(world, expect=expect, url_for=url_for, send=send, anon_send=anon_send)
    assert not wrong, f"{method} {path}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("route", sorted(PAGE_ROWS))
def test_page(route, world, page_clients, db):
    expect = PAGE_ROWS[route]
    kind = _page_object(route)

    def url_for(role, side):
        return _fill_page(route, _object_for(kind, world, role, side))

    def send(role, method, url):
        if route == "logout/":  # logging out would end the shared session
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            client.force_login(world.users[role])
            return getattr(client, method.lower())(url, {})
        return getattr(page_clients[role], method.lower())(url, {})

    def anon_send(method, url):
        return getattr(Client(HTTP_ACCEPT_LANGUAGE="en"), method.lower())(url, {})

    wrong = _check(world, expect=expect, url_for=url_for, send=send, anon_send=anon_send)
    assert not wrong, f"{route}:\n  " + "\n  ".join(wrong)


def test_the_table_uses_real_roles_and_users(world):
    assert set(world.users) == set(ROLES)
    assert get_user_model().objects.filter(username__startswith="perm_").count() == len(ROLES) + 2


def case_of(ticket) -> dict:
    subject = subject_for(ticket)
    return {
        "subject_type_id": subject.type_id,
        "subject_id": subject.id,
        "reference": subject.reference,
        "link": subject.link,
        "org_unit_id": subject.org_unit_id,
    }
