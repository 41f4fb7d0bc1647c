"""Attachment checks: the type is read from the file's content (filetype), never from its name."""

import filetype
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_SIZE = 5 * 1024 * 1024
ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
}


def validate_attachment(file) -> str:
    """Return the content type of an acceptable file or raise ValidationError on "file"."""
    size = getattr(file, "size", None) or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_SIZE:
        raise ValidationError({"file": _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(size), "limit": filesizeformat(MAX_SIZE)}})
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError({"file": _(
            "This file type is not accepted. Attach a photo (JPEG, PNG, WebP, GIF) or a PDF document."
        )})
    return kind.mime
