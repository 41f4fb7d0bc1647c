"""Idempotent seed data: customer categories (always), the demo organisation, users and customers."""

import random

from django.contrib.auth import get_user_model
from django.db import transaction

from . import synthetic
from .models import Customer, CustomerCategory, OrganisationProfile, OrgUnit, Role, Segment, StaffProfile
from .services import create_staff, set_staff_role

# Categories are data: (code, name, English name, segment, parent code, sort order).
# Segments per the published standards: households -> residential; shops, public service,
# schools and care homes, boilers, direct-fired chillers, CNG stations -> commercial;
# industry and combined heat and power -> industrial.
CATEGORIES = (
    ("residential", "居民", "Residential", Segment.RESIDENTIAL, None, 10),
    ("heating", "采暖户", "Heating household", Segment.RESIDENTIAL, "residential", 11),
    ("low_income", "低保户", "Low-income household", Segment.RESIDENTIAL, "residential", 12),
    ("commercial", "商业", "Commercial", Segment.COMMERCIAL, None, 20),
    ("institutional", "公福/机关事业", "Public service and institutions", Segment.COMMERCIAL, None, 30),
    ("school_care", "学校及养老机构", "Schools and care homes", Segment.COMMERCIAL, None, 40),
    ("boiler", "锅炉", "Boiler", Segment.COMMERCIAL, None, 50),
    ("chiller", "直燃机", "Direct-fired chiller", Segment.COMMERCIAL, None, 60),
    ("cng", "加气站", "CNG station", Segment.COMMERCIAL, None, 70),
    ("industrial", "工业", "Industrial", Segment.INDUSTRIAL, None, 80),
    ("chp", "热电联产", "Combined heat and power", Segment.INDUSTRIAL, None, 90),
)

# (code, name, kind, parent code)
ORG_UNITS = (
    ("GSC", "客户服务中心", OrgUnit.Kind.CENTRE, None),
    ("BR01", "渝中分公司", OrgUnit.Kind.BRANCH, "GSC"),
    ("BR02", "江北分公司", OrgUnit.Kind.BRANCH, "GSC"),
    ("BR03", "南岸分公司", OrgUnit.Kind.BRANCH, "GSC"),
    ("OUT01", "解放碑营业厅", OrgUnit.Kind.OUTLET, "BR01"),
    ("OUT02", "大坪营业厅", OrgUnit.Kind.OUTLET, "BR01"),
    ("OUT03", "观音桥营业厅", OrgUnit.Kind.OUTLET, "BR02"),
    ("OUT04", "北城天街营业厅", OrgUnit.Kind.OUTLET, "BR02"),
    ("OUT05", "南坪营业厅", OrgUnit.Kind.OUTLET, "BR03"),
    ("OUT06", "弹子石营业厅", OrgUnit.Kind.OUTLET, "BR03"),
    ("CC", "呼叫中心", OrgUnit.Kind.CALL_CENTRE, "GSC"),
)

# The demo company and its outlets as customers see them (an administrator's edits are kept).
DEMO_PROFILE = {
    "name": "山城燃气有限公司",
    "name_en": "Shancheng Gas Co., Ltd.",
    "sms_signature": "山城燃气",
    "hotline": "023-96577",
    "website": "https://gas.example.cn",
}
DEMO_HOURS = "周一至周日 8:30-17:30"
DEMO_OUTLET_CONTACTS = {
    "OUT01": ("渝中区民族路168号", "023-63800101"),
    "OUT02": ("渝中区大坪正街118号", "023-68800102"),
    "OUT03": ("江北区建新北路65号", "023-67800103"),
    "OUT04": ("江北区北城天街28号", "023-67800104"),
    "OUT05": ("南岸区南坪西路36号", "023-62800105"),
    "OUT06": ("南岸区弹子石正街9号", "023-62800106"),
    "CC": ("渝中区中山三路131号", "023-96577"),
}

DEMO_PASSWORD = "demo12345"
# (username, role, org unit code, full name)
DEMO_USERS = (
    ("frontdesk", Role.FRONT_DESK, "OUT01", "李娜"),
    ("agent", Role.AGENT, "CC", "王芳"),
    ("technician", Role.TECHNICIAN, "OUT01", "张强"),
    ("supervisor", Role.OUTLET_SUPERVISOR, "OUT01", "刘洋"),
    ("branchmgr", Role.BRANCH_MANAGER, "BR01", "陈杰"),
    ("centremgr", Role.CENTRE_MANAGER, "GSC", "杨静"),
    ("admin", Role.ADMINISTRATOR, "GSC", "赵敏"),
)
DEMO_CUSTOMERS = 2000
DEMO_SEED = 20261126


def seed_categories() -> int:
    """Create or refresh the customer categories; returns how many were created."""
    created = 0
    by_code = {}
    for code, name, name_en, segment, parent, sort_order in CATEGORIES:
        category, was_created = CustomerCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "segment": segment,
                "parent": by_code.get(parent),
                "sort_order": sort_order,
            },
        )
        by_code[code] = category
        created += was_created
    return created


def seed_org() -> dict[str, OrgUnit]:
    """The demo organisation: the centre, 3 branches, 6 outlets, the call centre."""
    units = {}
    for code, name, kind, parent in ORG_UNITS:
        unit = OrgUnit.objects.filter(code=code).first() or OrgUnit(code=code)
        unit.name, unit.kind, unit.parent = name, kind, units.get(parent)
        if code in DEMO_OUTLET_CONTACTS and not (unit.address or unit.phone):
            unit.address, unit.phone = DEMO_OUTLET_CONTACTS[code]
            unit.opening_hours = unit.opening_hours or DEMO_HOURS
        unit.save()
        units[code] = unit
    return units


def seed_demo_users(units: dict[str, OrgUnit]) -> list[tuple[str, str, str]]:
    """One user per role; an existing user keeps their password. Returns (username, password, role)."""
    user_model = get_user_model()
    logins = []
    for username, role, unit_code, full_name in DEMO_USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = create_staff(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                org_unit=units[unit_code],
                # Chinese names are written whole, family name first: kept in first_name.
                first_name=full_name,
                last_name="",
                is_superuser=role == Role.ADMINISTRATOR,
            )
        elif not StaffProfile.objects.filter(user=user, role=role, org_unit=units[unit_code]).exists():
            set_staff_role(user=user, role=role, org_unit=units[unit_code])
        logins.append((username, DEMO_PASSWORD, str(role.label)))
    return logins


def synthetic_customer_rows(rng, account_numbers, categories, outlets, managers):
    """Customer objects (unsaved) for the given account numbers."""
    for account_no in account_numbers:
        values = synthetic.customer_values(rng)
        category = categories[values.pop("category_code")]
        sub_code = values.pop("sub_category_code")
        is_key_account = values.pop("is_key_account") and bool(managers)
        yield Customer(
            account_no=account_no,
            category=category,
            sub_category=categories[sub_code] if sub_code else None,
            outlet=rng.choice(outlets),
            is_key_account=is_key_account,
            account_manager=rng.choice(managers) if is_key_account else None,
            status=Customer.Status.ACTIVE if rng.random() < 0.96 else Customer.Status.SUSPENDED,
            **values,
        )


def seed_demo_customers(units: dict[str, OrgUnit], count: int = DEMO_CUSTOMERS) -> int:
    """~2,000 demo customers across categories (deterministic); returns how many were added."""
    rng = random.Random(DEMO_SEED)
    numbers = [f"{synthetic.DEMO_ACCOUNT_PREFIX}{n:08d}" for n in range(1, count + 1)]
    existing = set(
        Customer.objects.filter(account_no__startswith=synthetic.DEMO_ACCOUNT_PREFIX).values_list(
            "account_no", flat=True
        )
    )
    categories = {c.code: c for c in CustomerCategory.objects.all()}
    outlets = [u for u in units.values() if u.kind == OrgUnit.Kind.OUTLET]
    managers = list(get_user_model().objects.filter(username__in=["supervisor", "branchmgr"]))
    # Generate every row (same random stream each run), keep the missing ones.
    rows = [
        c
        for c in synthetic_customer_rows(rng, numbers, categories, outlets, managers)
        if c.account_no not in existing
    ]
    Customer.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def seed_demo() -> dict:
    """Everything `manage.py seed_demo` creates, in one transaction."""
    from .roles import sync_role_groups

    with transaction.atomic():
        categories = seed_categories()
        units = seed_org()
        if not OrganisationProfile.objects.exists():
            OrganisationProfile.objects.create(**DEMO_PROFILE)
        sync_role_groups()
        logins = seed_demo_users(units)
        customers = seed_demo_customers(units)
    return {"categories_created": categories, "customers_created": customers, "logins": logins}
