"""Chinese (zh-Hans) first, English second: the staff pages follow the browser's or the user's choice."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client, chinese):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "燃气客户服务" in html
    assert "Gas customer service" not in html


def test_login_page_in_english_when_the_browser_asks(client, chinese):
    response = client.get(reverse("login"), headers={"accept-language": "en-GB,en;q=0.9"})

    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Gas customer service" in html


def test_language_cookie_wins_over_the_browser(client, settings, chinese):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("login"), headers={"accept-language": "zh-CN"}).content.decode()
    assert '<html lang="en"' in html


def test_switching_language_through_the_form(client, settings):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def _po_entries(text: str):
    """(msgid, msgstr, flags) of each entry of a .po file; plural forms joined."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" in fields and fields["msgid"]:
            msgstr = " ".join(v for k, v in fields.items() if k.startswith("msgstr"))
            entries.append((fields["msgid"], msgstr, flags))
    return entries


def test_catalogue_is_complete_and_compiled():
    po = LOCALE_DIR / "django.po"
    mo = LOCALE_DIR / "django.mo"
    entries = _po_entries(po.read_text(encoding="utf-8"))

    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr.strip()]
    fuzzy = [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    assert not untranslated, f"untranslated strings (run `make messages` and translate): {untranslated[:10]}"
    assert not fuzzy, f"fuzzy translations to review: {fuzzy[:10]}"
    assert mo.is_file() and mo.stat().st_size > 0
