"""The complaint categories a gas utility starts with (idempotent; administrators edit them later)."""

from django.db import transaction

# (code, name, English name, flags, sub-categories [(code, name, English name)])
CATEGORIES = [
    (
        "billing",
        "抄表收费",
        "Meter reading and billing",
        {},
        [
            ("billing.late_fee", "违约金减免", "Late-fee waiver"),
            ("billing.arrears_dispute", "欠费争议", "Disputed arrears"),
            ("billing.installation_fee", "安装费/初装费", "Installation fee"),
            ("billing.owner_change_arrears", "过户后历史欠费", "Historic arrears after a change of owner"),
            ("billing.door_collection", "上门收费", "Door-to-door collection"),
        ],
    ),
    (
        "service",
        "服务质量",
        "Service quality",
        {},
        [
            ("service.meter_fitting_presence", "装表须本人在场", "Presence required at meter fitting"),
            (
                "service.valve_refused",
                "不合规安装拒绝开阀",
                "Valve opening refused for a non-compliant fitting",
            ),
            ("service.attitude", "服务态度与沟通", "Staff attitude and communication"),
        ],
    ),
    (
        "pipe",
        "管道迁改与维修",
        "Pipe relocation and repairs",
        {},
        [
            ("pipe.relocation_fee", "迁改收费", "Relocation fee"),
            ("pipe.cumbersome_process", "办理流程繁琐", "Cumbersome process"),
            ("pipe.repair_out_of_scope", "维修超出服务范围", "Repair outside the service scope"),
            (
                "pipe.emergency_cut_no_notice",
                "抢修停气未通知",
                "Supply cut for an emergency repair without notice",
            ),
        ],
    ),
    ("installation", "报装安装", "Installation", {}, []),
    ("safety", "燃气安全", "Safety", {"is_safety": True}, []),
    ("supply", "供气与气质", "Supply and gas quality", {"is_supply": True}, []),
    ("other", "其他", "Other", {}, []),
]


@transaction.atomic
def seed_complaint_categories() -> int:
    """Create the missing categories; existing rows (perhaps edited by an administrator) are kept.

    Returns the number of rows created.
    """
    from .models import ComplaintCategory

    existing = set(ComplaintCategory.objects.values_list("code", flat=True))
    created = 0
    for sort, (code, name, name_en, flags, children) in enumerate(CATEGORIES, start=1):
        if code not in existing:
            ComplaintCategory.objects.create(
                code=code, name=name, name_en=name_en, sort_order=sort * 10, **flags
            )
            created += 1
        if not children:
            continue
        parent = ComplaintCategory.objects.get(code=code)
        for sub_sort, (sub_code, sub_name, sub_name_en) in enumerate(children, start=1):
            if sub_code not in existing:
                ComplaintCategory.objects.create(
                    code=sub_code,
                    name=sub_name,
                    name_en=sub_name_en,
                    parent=parent,
                    sort_order=sort * 10 + sub_sort,
                )
                created += 1
    return created
