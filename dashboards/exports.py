"""CSV and Excel exports of the dashboard tables, titled and worded as the page in the reader's language.
Both stream: CSV row by row from a server-side cursor; Excel through openpyxl's write-only workbook
into a temporary file sent in chunks."""

import csv
import tempfile

from django.db.models import Case, CharField, Value, When
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from tickets import selectors as ticket_selectors

from .figures import OUTCOME_FIELDS
from .scorecards import verdict
from .selectors import own_handler

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500

OUTCOME_WORDS = {
    "met_on_time": gettext_lazy("Met on time"),
    "met_late": gettext_lazy("Met late"),
    "breached_open": gettext_lazy("Breached, still open"),
    "pending": gettext_lazy("Not yet due"),
}


def table_header(title) -> list[str]:
    """The columns of a by-unit or by-type table, titled as on the page (the code column leads)."""
    return [
        _("Code"),
        str(title),
        _("Counted"),
        *(str(OUTCOME_WORDS[field]) for field in OUTCOME_FIELDS),
        _("On-time rate"),
        _("Previous period"),
        _("Time taken: median / p90 (median lateness)"),
    ]


def scorecard_header() -> list[str]:
    return [_("Rank"), _("Unit"), _("Measure"), _("Actual figure"), _("Target"), _("Against target")]


def scorecard_row(card, score) -> list:
    """One measure of one unit, its result in the page's words."""
    target = score.target.value if score.target else None
    return [card["rank"], card["unit"].name, score.label, score.actual, target, verdict(score)]


def deadline_header() -> list[str]:
    return [
        _("Reference"),
        _("Unit"),
        _("Service type"),
        _("Milestone"),
        _("Milestone name"),
        _("Due"),
        pgettext("milestone column", "Met at"),
        _("Outcome"),
    ]


class _Echo:
    def write(self, value):
        return value


def _safe(value):
    """Cells a spreadsheet would run as a formula are quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(header, rows, filename) -> StreamingHttpResponse:
    """Rows are worded while the response streams, after the view returned: in the request's language."""
    writer = csv.writer(_Echo())
    language = translation.get_language()

    def lines():
        yield "\ufeff"  # Excel opens UTF-8 CSV with Chinese names correctly only with a BOM
        yield writer.writerow(header)
        with translation.override(language):
            # Sent ROWS_PER_CHUNK rows at a time: one chunk per row cost more than the rows themselves.
            chunk = []
            for row in rows:
                chunk.append(writer.writerow([_safe(v) for v in row]))
                if len(chunk) == ROWS_PER_CHUNK:
                    yield "".join(chunk)
                    chunk = []
            if chunk:
                yield "".join(chunk)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(header, rows, filename, title) -> FileResponse:
    from openpyxl import Workbook  # loaded by the Excel export only: slow to import

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def deadline_rows(user, *, start, end, now, unit, outcome=None, chunk_size=2000):
    """Every deadline of the period in the viewer's scope, one row each (no personal data)."""
    milestones = ticket_selectors.period_milestones(
        user, due_from=start, due_to=end, now=now, org_unit=unit, handler=own_handler(user), outcome=outcome
    )
    result = Case(
        *[When(ticket_selectors.outcome_q(o, now=now), then=Value(o)) for o in OUTCOME_FIELDS],
        output_field=CharField(),
    )
    values = (
        milestones.annotate(result=result)
        .order_by("due_at", "pk")
        .values_list(
            "ticket__reference",
            "ticket__org_unit__name",
            "ticket__service_type__code",
            "code",
            "name",
            "due_at",
            "met_at",
            "result",
        )
    )
    # Looked up once, not per row (this body runs as the response streams, in the reader's language).
    local = timezone.get_current_timezone()
    words = {key: str(word) for key, word in OUTCOME_WORDS.items()}
    for reference, unit_name, type_code, code, name, due_at, met_at, result in values.iterator(
        chunk_size=chunk_size
    ):
        yield [
            reference,
            unit_name,
            type_code,
            code,
            name,
            due_at.astimezone(local).isoformat(),
            met_at.astimezone(local).isoformat() if met_at else "",
            words[result],
        ]
