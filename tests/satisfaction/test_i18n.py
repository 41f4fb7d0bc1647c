"""The satisfaction app's own zh-Hans catalogue: complete, compiled, and used by its pages."""

from pathlib import Path

from tests.gasservice.test_i18n import _po_entries

CATALOGUE = Path(__file__).resolve().parents[2] / "satisfaction" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_catalogue_is_complete_and_compiled():
    entries = _po_entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    assert len(entries) > 300
    assert not [msgid for msgid, msgstr, _ in entries if not msgstr.strip()]
    assert not [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    assert (CATALOGUE / "django.mo").stat().st_mtime >= (CATALOGUE / "django.po").stat().st_mtime - 1


def test_survey_text_in_chinese(chinese):
    from notifications.messages import render_template
    from satisfaction.outbox import SURVEY_SMS

    params = {"company": "山城燃气", "reference": "GS20260302-00001", "link": "https://x/survey/t/"}
    text, _body = render_template(SURVEY_SMS, params, language="zh-hans")
    assert (
        text
        == "【山城燃气】您的业务 GS20260302-00001 已办结，请花1分钟评价我们的服务：https://x/survey/t/（7天内有效）"
    )
