"""Helpers for the complaints tests: files like those customers attach, complaints made by the service."""

import datetime
import io
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.models import ComplaintCategory, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")
MON = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # Monday 2 March 2026, an ordinary working day

# A valid 1x1 PNG (it decodes: photos are re-encoded) and the start of a PDF: real content.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def pdf(name="bill.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def disguised_exe(name="photo.jpg"):
    return SimpleUploadedFile(name, EXE_BYTES, content_type="image/jpeg")


def text_as_jpg(name="photo.jpg"):
    return SimpleUploadedFile(name, b"just some text, not a picture\n" * 10, content_type="image/jpeg")


def oversized_png(name="huge.png"):
    data = io.BytesIO(PNG_BYTES + b"\x00" * (20 * 1024 * 1024 + 10))
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def category(code) -> ComplaintCategory:
    return ComplaintCategory.objects.get(code=code)


def file(org=None, *, now=MON, code="billing.late_fee", source=Source.HOTLINE, actor=None, **kwargs):
    """A complaint through the service; `code` may be a sub-category (its parent becomes the category)."""
    chosen = category(code)
    cat, sub = (chosen.parent, chosen) if chosen.parent_id else (chosen, None)
    kwargs.setdefault("description", "违约金不合理 / The late fee is unfair")
    kwargs.setdefault("complainant_name", "张三")
    kwargs.setdefault("complainant_phone", "13900001111")
    kwargs.setdefault("complainant_address", "渝中区解放碑路1号")
    if source == Source.WEB:
        kwargs.setdefault("consent_at", now)
    if actor is None and org is not None and source != Source.WEB:
        actor = org.agent
    return services.file_complaint(
        source=source, category=cat, sub_category=sub, actor=actor, now=now, **kwargs
    )
