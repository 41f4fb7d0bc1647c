"""Phone photos: up to 20 MB accepted, re-encoded to at most 2560 px, EXIF (location) dropped,
turned upright; the content check is kept; a damaged or oversized file is a clear field error."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tickets import services

from .factories import at, make_ticket

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)
GPS_IFD, ORIENTATION = 0x8825, 0x0112


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def phone_photo(width=4032, height=3024, *, orientation=1, fmt="JPEG", name="IMG_0001.jpg", pad_to=0):
    """A photo as a phone takes it: large, with EXIF orientation and a GPS position."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD)[2] = (29.0, 33.0, 30.0)  # latitude: where the customer lives
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes(), quality=95)
    data = out.getvalue()
    if pad_to > len(data) and fmt == "JPEG":
        data += b"\x00" * (pad_to - len(data))  # bytes after the end-of-image marker: still a valid JPEG
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def stored_image(attachment):
    attachment.file.open("rb")
    try:
        return Image.open(io.BytesIO(attachment.file.read()))
    finally:
        attachment.file.close()


def test_an_8_mb_phone_photo_is_accepted_shrunk_turned_upright_and_stripped(org):
    ticket = make_ticket(org, now=MON)
    photo = phone_photo(orientation=6, pad_to=8 * 1024 * 1024)  # 6: the phone was held upright
    assert photo.size >= 8 * 1024 * 1024
    attachment = services.add_attachment(ticket=ticket, file=photo, actor=org.clerk, now=MON)
    image = stored_image(attachment)
    assert image.format == "JPEG" and max(image.size) == 2560
    assert image.size == (1920, 2560)  # turned upright before the orientation tag was dropped
    assert not image.getexif() and GPS_IFD not in image.getexif()
    assert attachment.size < 2 * 1024 * 1024 and attachment.original_name == "IMG_0001.jpg"


def test_a_small_png_keeps_its_size_and_loses_its_metadata(org):
    ticket = make_ticket(org, now=MON)
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 255, 128)).save(out, format="PNG")
    attachment = services.add_attachment(
        ticket=ticket, file=SimpleUploadedFile("meter.png", out.getvalue()), actor=org.clerk, now=MON
    )
    image = stored_image(attachment)
    assert (image.format, image.size, image.mode) == ("PNG", (300, 200), "RGBA")


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            lambda: SimpleUploadedFile("broken.jpg", phone_photo(800, 600).read()[:3000]),
            "This photo is damaged or incomplete",
        ),
        (lambda: phone_photo(800, 600, pad_to=20 * 1024 * 1024 + 1), "the limit is 20.0"),
        (
            lambda: SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 300),
            "This file type is not accepted",
        ),
    ],
)
def test_damaged_oversized_or_wrong_files_are_field_errors(org, upload, message):
    ticket = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.add_attachment(ticket=ticket, file=upload(), actor=org.clerk, now=MON)
    assert message in exc.value.message_dict["file"][0]
    assert not ticket.attachments.exists()


def test_the_ticket_page_shows_the_error_on_the_field_not_a_500(org):
    ticket = make_ticket(org, now=MON)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.clerk)
    broken = SimpleUploadedFile("broken.jpg", phone_photo(800, 600).read()[:3000])
    response = client.post(f"/tickets/{ticket.reference}/attachments/", {"file": broken})
    assert response.status_code == 400
    assert "This photo is damaged or incomplete" in response.content.decode()
