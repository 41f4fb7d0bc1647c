"""Demo tickets for `manage.py seed_demo` (connected to accounts.signals.demo_seeded).

~150 tickets across the outlets, made with the real service functions on a clock moved back
in time, so that the queues show every status and SLA state (on time, at risk, breached).
Complaints and 12345 orders are left to the complaints app's demo: a ticket of those kinds
without its complaint file would never show in the complaint worklist.
"""

import datetime
import logging
import random

from django.contrib.auth import get_user_model

from accounts.models import Customer, OrgUnit, Role
from accounts.roles import ROLES_SEEING_ALL
from notifications.services import withheld

from . import services
from .catalogue import seed_catalogue
from .models import Channel, ServiceArea, ServiceType, Status, Ticket

logger = logging.getLogger(__name__)

DEMO_COUNT = 150
# Kinds whose tickets only an upper app creates (with their own file attached).
LEFT_TO_OTHER_APPS = (ServiceType.Category.COMPLAINT, ServiceType.Category.HOTLINE)
DESCRIPTIONS = {
    "emergency": "闻到燃气味，楼道内有明显异味",
    "repair": "灶具打不着火，请上门检查",
    "installation": "新房报装燃气",
    "alteration": "厨房改造需移动燃气管",
    "outage": "计划停气后未恢复",
    "meter": "本月抄表读数异常",
    "billing": "账单金额明显偏高",
    "account": "办理过户",
    "enquiry": "咨询阶梯气价",
    "safety": "安检发现软管老化",
    "follow_up": "办结回访",
}
# Services of a kind whose usual request above would not fit them.
DESCRIPTIONS_BY_SERVICE = {"ACC-HEAT": "申请认定为采暖用户，按采暖气价计费"}


def _staff_by_outlet():
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile__org_unit")
    )
    by_outlet, seeing_all = {}, []
    for user in users:
        profile = user.staff_profile
        if profile.role in ROLES_SEEING_ALL:
            seeing_all.append(user)
        elif profile.org_unit.kind == OrgUnit.Kind.OUTLET:
            by_outlet.setdefault(profile.org_unit_id, []).append(user)
    return by_outlet, seeing_all


# The demo city's service areas: (district, street or community, outlet code). 北碚区 is served
# by nobody in the demo, so a case from there lands in the call centre's triage queue.
DEMO_SERVICE_AREAS = (
    ("渝中区", "", "OUT01"),
    ("渝中区", "大坪", "OUT02"),
    ("渝中区", "石油路", "OUT02"),
    ("九龙坡区", "", "OUT02"),
    ("大渡口区", "", "OUT02"),
    ("江北区", "", "OUT03"),
    ("沙坪坝区", "", "OUT03"),
    ("渝北区", "", "OUT04"),
    ("南岸区", "", "OUT05"),
    ("南岸区", "弹子石", "OUT06"),
    ("巴南区", "", "OUT06"),
)


def seed_service_areas() -> int:
    """The demo's service-area table (idempotent: existing rows, and edits to them, are kept)."""
    outlets = {u.code: u for u in OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET)}
    created = 0
    for district, street, code in DEMO_SERVICE_AREAS:
        if code in outlets:
            created += ServiceArea.objects.get_or_create(
                district=district, street=street, defaults={"outlet": outlets[code]}
            )[1]
    return created


def seed_demo_tickets(sender=None, *, now, count=DEMO_COUNT, **kwargs) -> int:
    """Create the demo tickets once (skipped when the database already holds service tickets;
    complaints filed by the complaints demo do not count). The service areas come first, so the
    complaints demo routes by address."""
    seed_service_areas()
    if Ticket.objects.exclude(service_type__category__in=LEFT_TO_OTHER_APPS).exists():
        return 0
    seed_catalogue()
    with withheld():  # the demo's past cases send no SMS or email to its fictional customers
        return _seed_tickets(now=now, count=count)


def _seed_tickets(*, now, count) -> int:
    rng = random.Random(20261126)
    customers = list(Customer.objects.select_related("category", "outlet").order_by("pk")[:400])
    types = list(
        ServiceType.objects.filter(is_active=True)
        .exclude(category__in=LEFT_TO_OTHER_APPS)
        .select_related("calendar")
    )
    by_outlet, seeing_all = _staff_by_outlet()
    if not customers or not types:
        return 0
    created = _seed_triage_case(seeing_all, now) if count else 0  # one of the `count`
    for index in range(count - created):
        customer = rng.choice(customers)
        candidates = [t for t in types if t.applies_to(customer.category.segment)]
        service_type = rng.choice(candidates)
        staff = by_outlet.get(customer.outlet_id) or seeing_all
        actor = rng.choice(staff) if staff else None
        # Received between 10 days and 5 minutes ago: old open ones are breached, recent ones on time.
        at = now - datetime.timedelta(minutes=rng.randint(5, 10 * 24 * 60))
        try:
            ticket = services.create_ticket(
                service_type=service_type,
                customer=customer,
                actor=actor,
                now=at,
                channel=rng.choice([Channel.SERVICE_HALL, Channel.HOTLINE, Channel.WEB, Channel.MOBILE]),
                description=DESCRIPTIONS_BY_SERVICE.get(service_type.code)
                or DESCRIPTIONS.get(service_type.category, service_type.name),
            )
            created += 1
            _advance(ticket, rng, actor, staff, at, now)
        except Exception:  # one odd demo row must not stop the demo
            logger.exception("demo ticket %s skipped", index)
    logger.info("demo: %d tickets", created)
    return created


def _seed_triage_case(seeing_all, now) -> int:
    """A caller from an area no outlet serves in the demo: it waits in the call centre's triage queue."""
    agent = next((u for u in seeing_all if u.staff_profile.role == Role.AGENT), None)
    enquiry = ServiceType.objects.filter(code="ENQ", is_active=True).first()
    if agent is None or enquiry is None:
        return 0
    services.create_ticket(
        service_type=enquiry,
        channel=Channel.HOTLINE,
        actor=agent,
        now=now - datetime.timedelta(minutes=20),
        description="来电咨询开户办理流程",
        contact_name="周先生",
        contact_phone="13800138000",
        contact_address="北碚区天生路9号",
    )
    return 1


def _advance(ticket, rng, actor, staff, at, now):
    """Walk the ticket some steps along the workflow, each a little later than the last."""
    steps = rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5, 6])
    clock = at

    def later():
        nonlocal clock
        clock = min(clock + datetime.timedelta(minutes=rng.randint(3, 600)), now)
        return clock

    # Hall, phone and field intake is accepted at creation already.
    if steps >= 1 and ticket.status == Status.NEW:
        ticket = services.accept_ticket(ticket=ticket, actor=actor, now=later())
    if steps >= 2 and staff:
        assignee = rng.choice([u for u in staff if u.staff_profile.role == Role.TECHNICIAN] or staff)
        ticket = services.assign_ticket(ticket=ticket, assignee=assignee, actor=actor, now=later())
    if steps >= 3:
        ticket = services.start_work(ticket=ticket, actor=actor, now=later())
    if steps == 4 and rng.random() < 0.4:
        services.pause_ticket(
            ticket=ticket,
            reason="等待客户提供资料",
            actor=actor,
            now=later(),
        )
        return
    if steps >= 5:
        ticket = services.resolve_ticket(ticket=ticket, actor=actor, now=later())
    if steps >= 6:
        services.close_ticket(ticket=ticket, actor=actor, now=later())
    if steps == 0 and rng.random() < 0.1:
        services.cancel_ticket(ticket=ticket, actor=actor, now=later(), reason="客户撤销")
