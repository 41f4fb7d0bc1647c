"""Attachment checks and photo clean-up.

The type is read from the file's content (filetype), never from its name. Photos (JPEG, PNG,
WebP) up to MAX_SIZE are accepted as phones take them, then re-encoded with Pillow: turned
upright, at most MAX_PIXELS on the long side, and without their EXIF data (the phone's
location included). A damaged photo is refused on the field, like a wrong type.
"""

import io

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_SIZE = 20 * 1024 * 1024
MAX_PIXELS = 2560
ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
}
# Re-encoded on upload; a GIF is kept as sent (an animation would lose its frames).
REENCODED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _pillow():
    """Pillow and the errors of an unreadable photo, loaded by the first photo rather than at start-up."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    errors = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)
    return Image, ImageOps, errors


def _damaged():
    return ValidationError(
        {
            "file": _(
                "This photo is damaged or incomplete and cannot be read. "
                "Take it again or choose another file."
            )
        }
    )


def validate_attachment(file) -> str:
    """Return the content type of an acceptable file or raise ValidationError on "file"."""
    size = getattr(file, "size", None) or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_SIZE:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(size), "limit": filesizeformat(MAX_SIZE)}
            }
        )
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            {
                "file": _(
                    "This file type is not accepted. Attach a photo (JPEG, PNG, WebP, GIF) or a PDF document."
                )
            }
        )
    if kind.mime in REENCODED:
        image_module, _image_ops, image_errors = _pillow()
        try:
            with image_module.open(file) as image:
                image.verify()
        except image_errors:
            raise _damaged() from None
        finally:
            file.seek(0)
    return kind.mime


def cleaned_upload(file, content_type: str):
    """The file to store: a photo re-encoded (upright, <= MAX_PIXELS, no EXIF); anything else as sent."""
    if content_type not in REENCODED:
        return file
    image_module, image_ops, image_errors = _pillow()
    try:
        with image_module.open(file) as original:
            image = image_ops.exif_transpose(original)
            image.thumbnail((MAX_PIXELS, MAX_PIXELS), image_module.Resampling.LANCZOS)
            fmt = REENCODED[content_type]
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # No exif= and no icc/xmp passed on: the new file carries none of the phone's metadata.
            options = {
                "JPEG": {"quality": 85, "optimize": True},
                "WEBP": {"quality": 85},
                "PNG": {"optimize": True},
            }[fmt]
            image.save(out, format=fmt, **options)
    except image_errors:
        raise _damaged() from None
    finally:
        file.seek(0)
    return ContentFile(out.getvalue(), name=getattr(file, "name", "photo"))
