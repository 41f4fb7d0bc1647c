"""Masking of personal data in lists, search results and exports."""


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678; 023-61234567 -> 023-****4567."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * 4 + value[-4:] if value[3] != "-" else value[:4] + "*" * 4 + value[-4:]


def mask_id_number(value: str) -> str:
    """110101199003071234 -> 1101**********1234."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """张三丰 -> 张**; used on public pages, where a name is shown to whoever has the reference."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
