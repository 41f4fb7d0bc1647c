"""Imports from the billing system: idempotent, per-row refusals, whole batches only, the command."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from billing import imports
from billing.models import Bill, ImportRun, Meter, MeterReading
from tests.conftest import requires_postgres

from .factories import meter, reading

pytestmark = requires_postgres
TODAY = dt.date(2026, 12, 1)


def run(kind, text, *, batch_size=imports.BATCH_SIZE, raw=None):
    record = ImportRun.objects.create(kind=kind, file_name="test.csv", created_at=dt.datetime.now(dt.UTC))
    binary = io.BytesIO(raw if raw is not None else text.encode())
    return imports.run_import(record, binary, today=TODAY, batch_size=batch_size)


def refusals(record):
    return [(r.row_number, r.message) for r in record.refusals.all()]


METERS = (
    "external_id,account_no,serial,meter_type,fitted_on,verify_by\n"
    "MT-1,{acc},SN-1,diaphragm,2020-01-01,2030-01-01\n"
    "MT-2,{acc},SN-2,smart,2021-05-01,\n"
)


def test_importing_the_same_meters_twice_changes_nothing(org):
    text = METERS.format(acc=org.customer.account_no)
    first = run("meters", text)
    assert (first.created, first.unchanged, first.refused) == (2, 0, 0)
    second = run("meters", text)
    assert (second.created, second.updated, second.unchanged, second.refused) == (0, 0, 2, 0)
    assert Meter.objects.filter(customer=org.customer).count() == 2


def test_a_meter_imported_again_with_a_new_verification_date_is_updated(org):
    run("meters", METERS.format(acc=org.customer.account_no))
    again = run("meters", METERS.format(acc=org.customer.account_no).replace("2030-01-01", "2031-01-01"))
    assert (again.updated, again.unchanged) == (1, 1)
    assert Meter.objects.get(external_id="MT-1").verify_by == dt.date(2031, 1, 1)


NOT_CHANGED = "and the meter was not changed."
READINGS_HEADER = "external_id,meter_serial,read_on,value_m3,source\n"


@pytest.fixture
def installed(org):
    return meter(org.customer)


def test_readings_import_twice_is_idempotent(installed):
    text = READINGS_HEADER + "".join(
        f"R{i},{installed.serial},2026-{i:02d}-01,{i * 10}.5,actual\n" for i in range(1, 11)
    )
    first = run("readings", text)
    assert (first.created, first.refused, first.total_rows, first.done_rows) == (10, 0, 10, 10)
    second = run("readings", text)
    assert (second.created, second.unchanged, second.refused) == (0, 10, 0)
    assert MeterReading.objects.filter(meter=installed).count() == 10


def test_bad_reading_rows_are_refused_one_by_one_with_their_reason(org, installed):
    removed = meter(org.customer, status=Meter.Status.REMOVED, removed_on=dt.date(2026, 6, 1))
    reading(installed, dt.date(2026, 1, 1), 100)
    reading(installed, dt.date(2026, 9, 1), 500)
    MeterReading.objects.filter(meter=installed, read_on=dt.date(2026, 9, 1)).update(external_id="KNOWN")
    s = installed.serial
    text = READINGS_HEADER + (
        f"A1,{s},2026-03-01,150,actual\n"  # row 2: fine
        f"A2,{s},2026-04-01,90,actual\n"  # 3: lower than 150 of March
        f"A3,{removed.serial},2026-07-01,10,actual\n"  # 4: removed meter
        f"A4,{s},2027-01-01,600,actual\n"  # 5: future
        f"A5,{s},2026-05-01,160.0001,actual\n"  # 6: 4 decimals
        f"A6,{s},2026-05-01\n"  # 7: wrong column count
        f"KNOWN,{s},2026-09-01,501,actual\n"  # 8: same external_id, other content
        f"A1,{s},2026-03-01,151,actual\n"  # 9: duplicate in the file, other content
        f"A7,NOPE,2026-03-01,1,actual\n"  # 10: unknown meter
        f"A8,{s},2026-10-01,400,actual\n"  # 11: lower than 500 of September
    )
    record = run("readings", text)
    assert record.created == 1
    assert refusals(record) == [
        (
            3,
            "90.000 m³ is lower than the reading of 2026-03-01 (150.000 m³) on the same meter, "
            + NOT_CHANGED,
        ),
        (4, f"Meter {removed.serial} was removed on 2026-06-01; it takes no readings."),
        (5, "read_on 2027-01-01 is in the future."),
        (6, "value_m3 has more than 3 decimals: 160.0001."),
        (7, "The row has 3 columns; 5 are expected."),
        (8, "external_id KNOWN was imported before with different content."),
        (9, "external_id A1 appears again with different content."),
        (10, "No meter has serial NOPE."),
        (
            11,
            "400.000 m³ is lower than the reading of 2026-09-01 (500.000 m³) on the same meter, "
            + NOT_CHANGED,
        ),
    ]


def test_bad_utf8_and_a_stray_bom_are_refused_but_a_leading_bom_is_fine(installed):
    s = installed.serial.encode()
    raw = (
        b"\xef\xbb\xbf"
        + READINGS_HEADER.encode()
        + b"B1,"
        + s
        + b",2026-02-01,10,actual\n"
        + b"B2,"
        + s
        + b",2026-03-01,20,act\xffual\n"
        + b"\xef\xbb\xbfB3,"
        + s
        + b",2026-04-01,30,actual\n"
    )
    record = run("readings", "", raw=raw)
    assert record.created == 1
    assert refusals(record) == [
        (3, "The row is not valid UTF-8."),
        (4, "The row contains a stray byte-order mark (BOM)."),
    ]


def test_a_wrong_header_imports_nothing(installed):
    record = run("readings", "id,serial,date,value,source\nX," + installed.serial + ",2026-01-01,1,actual\n")
    assert record.status == ImportRun.Status.FAILED
    assert record.failure.startswith(
        "The header must be exactly: external_id, meter_serial, read_on, value_m3, source"
    )
    assert not MeterReading.objects.filter(meter=installed).exists()


def test_an_import_that_fails_halfway_leaves_no_partial_batch(installed, monkeypatch):
    text = READINGS_HEADER + "".join(
        f"C{i},{installed.serial},2026-{i:02d}-01,{i},actual\n" for i in range(1, 11)
    )
    real = imports.merge_readings
    calls = []

    def failing_second_batch(cursor, outcome):
        calls.append(outcome)
        real(cursor, outcome)  # the rows are written ...
        if len(calls) == 2:
            raise RuntimeError("disk full")  # ... then the batch fails before it commits

    monkeypatch.setitem(imports.MERGERS, "readings", failing_second_batch)
    with pytest.raises(RuntimeError):
        run("readings", text, batch_size=4)
    assert sorted(MeterReading.objects.filter(meter=installed).values_list("external_id", flat=True)) == [
        "C1",
        "C2",
        "C3",
        "C4",
    ]
    record = ImportRun.objects.get()
    assert (record.status, record.done_rows) == (ImportRun.Status.FAILED, 4)
    assert record.failure == "Stopped after row 5: disk full"


def test_bills_import_prices_bills_without_amount_and_refuses_overlaps(org, installed):
    for ext, day, value in [
        ("O1", "2026-01-01", 1000),
        ("O2", "2026-09-01", 1850),
        ("O3", "2026-11-01", 2050),
    ]:
        MeterReading.objects.create(
            meter=installed,
            external_id=ext,
            read_on=dt.date.fromisoformat(day),
            value_m3=value,
            source="actual",
        )
    acc = org.customer.account_no
    text = (
        "external_id,account_no,opening_reading_id,closing_reading_id,amount,due_on,paid\n"
        f"BL1,{acc},O1,O2,,2026-09-20,0\n"
        f"BL2,{acc},O2,O3,,2026-11-20,459.30\n"
        f"BL3,{acc},O1,O3,,2026-11-20,0\n"
        f"BL4,{acc},O2,O3,12.345,2026-11-20,0\n"
    )
    record = run("bills", text)
    assert record.created == 2
    assert refusals(record) == [
        (4, "The period 2026-01-01 to 2026-11-01 overlaps bill BL1 of the same meter."),
        (5, "amount has more than 2 decimals: 12.345."),
    ]
    bill = Bill.objects.get(external_id="BL2")
    assert bill.amount == D("459.30") and bill.status == "paid"
    assert [(x.tier, x.volume_m3, x.amount) for x in bill.lines.all()] == [
        (2, D("150.000"), D("331.35")),
        (3, D("50.000"), D("127.95")),
    ]
    again = run("bills", text)
    assert (again.created, again.unchanged, again.refused) == (0, 2, 2)


def test_the_command_prints_a_progress_bar_and_the_counts(installed, tmp_path, capsys):
    path = tmp_path / "readings.csv"
    path.write_text(READINGS_HEADER + f"D1,{installed.serial},2026-02-01,5,actual\n")
    call_command("import_billing", "readings", str(path))
    out = capsys.readouterr().out
    assert "[########################################] 100% 1/1 rows, 0 refused" in out
    assert out.strip().endswith("1 created, 0 updated, 0 unchanged, 0 refused of 1 rows")


def _monthly_readings(installed, months):
    for m in range(months + 1):
        MeterReading.objects.create(
            meter=installed,
            external_id=f"M{m}",
            read_on=dt.date(2026, 1 + m, 1) if m < 12 else dt.date(2027, 1, 1),
            value_m3=1000 + 90 * m,
            source="actual",
        )


def _bills_file(acc, months):
    return "external_id,account_no,opening_reading_id,closing_reading_id,amount,due_on,paid\n" + "".join(
        f"B{m},{acc},M{m},M{m + 1},,2027-01-20,0\n" for m in range(months)
    )


def test_bills_import_prices_a_batch_with_a_fixed_number_of_queries(org, installed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _monthly_readings(installed, 12)
    acc = org.customer.account_no
    with CaptureQueriesContext(connection) as two:
        assert run("bills", _bills_file(acc, 2)).created == 2
    Bill.objects.all().delete()
    with CaptureQueriesContext(connection) as twelve:
        assert run("bills", _bills_file(acc, 12)).created == 12
    assert len(twelve.captured_queries) == len(two.captured_queries)


def test_bills_priced_one_batch_at_a_time_reach_the_same_tiers(org, installed):
    """The cycle usage before a bill comes from the stored bills too (1080 m³ in 2026 crosses both bounds)."""
    _monthly_readings(installed, 12)
    acc = org.customer.account_no
    assert run("bills", _bills_file(acc, 12)).created == 12
    together = [(b.amount, [x.tier for x in b.lines.all()]) for b in Bill.objects.order_by("period_start")]
    Bill.objects.all().delete()
    assert run("bills", _bills_file(acc, 12), batch_size=1).created == 12
    apart = [(b.amount, [x.tier for x in b.lines.all()]) for b in Bill.objects.order_by("period_start")]
    assert apart == together
    assert {t for _, tiers in together for t in tiers} == {1, 2, 3}


def test_readings_are_checked_against_stored_readings_on_both_sides_and_on_the_same_day(installed):
    reading(installed, dt.date(2026, 3, 1), 300)
    reading(installed, dt.date(2026, 6, 1), 600)
    s = installed.serial
    text = READINGS_HEADER + (
        f"B1,{s},2026-03-01,300,actual\n"  # row 2: a stored reading already on that day
        f"B2,{s},2026-04-01,650,actual\n"  # 3: higher than the later stored reading
        f"B3,{s},2026-03-15,320,actual\n"  # 4: between the two: fine
        f"B4,{s},2026-02-01,350,actual\n"  # 5: higher than March's
        f"B5,{s},2026-07-01,700,actual\n"  # 6: after both: fine
    )
    record = run("readings", text)
    assert record.created == 2
    assert refusals(record) == [
        (2, f"Meter {s} already has another reading on 2026-03-01."),
        (3, "650.000 m³ is higher than the later reading of 2026-06-01 (600.000 m³)."),
        (5, "350.000 m³ is higher than the later reading of 2026-03-01 (300.000 m³)."),
    ]


def test_bad_meter_values_are_refused_with_the_column_and_the_value(org):
    acc = org.customer.account_no
    text = (
        "external_id,account_no,serial,meter_type,fitted_on,verify_by\n"
        f"V1,{acc},SN-V1,diaphragm,2026-02-30,\n"  # row 2: no 30 February
        f"V2,{acc},SN-V2,diaphragm,2026/01/01,\n"  # 3: not YYYY-MM-DD
        f"V3,{acc},SN-V3,gas,2026-01-01,\n"  # 4: not a meter type
        f",{acc},SN-V4,diaphragm,2026-01-01,\n"  # 5: no external_id
        f"V5,{acc},{'S' * 41},diaphragm,2026-01-01,\n"  # 6: serial too long
        f"V6,{acc},SN-V6,diaphragm,2024-02-29,2030-13-01\n"  # 7: optional date, still checked
        f"V7,{acc},SN-V7,diaphragm,2024-02-29,\n"  # 8: a leap day, no verification date: fine
    )
    record = run("meters", text)
    assert record.created == 1
    assert Meter.objects.get(external_id="V7").fitted_on == dt.date(2024, 2, 29)
    assert refusals(record) == [
        (2, "fitted_on is not a date (YYYY-MM-DD): 2026-02-30."),
        (3, "fitted_on is not a date (YYYY-MM-DD): 2026/01/01."),
        (4, "meter_type must be one of diaphragm, ic_card, smart, not gas."),
        (5, "external_id is empty."),
        (6, "serial is longer than 40 characters."),
        (7, "verify_by is not a date (YYYY-MM-DD): 2030-13-01."),
    ]


def test_bad_reading_numbers_are_refused_and_a_repeated_row_counts_as_unchanged(installed):
    s = installed.serial
    text = READINGS_HEADER + (
        f"N1,{s},2026-01-01,abc,actual\n"  # row 2: not a number
        f"N2,{s},2026-02-01,-5,actual\n"  # 3: negative
        f"N3,{s},2026-03-01,1000000000,actual\n"  # 4: too large for the column
        f"N4,{s},2026-04-01,,actual\n"  # 5: empty
        f"N5,{s},2026-05-01,12.5,actual\n"  # 6: fine
        f"N5,{s},2026-05-01,12.500,actual\n"  # 7: the same row again: unchanged
        f"N5,{s},2026-05-01,12.6,actual\n"  # 8: the same external_id, other content
        f"N6,{s},2026-06-01,x,actual\n"  # 9: refused ...
        f"N6,{s},2026-06-01,13,actual\n"  # 10: ... so this one is the first good N6
    )
    record = run("readings", text)
    assert (record.created, record.unchanged) == (2, 1)
    assert refusals(record) == [
        (2, "value_m3 is not a number: abc."),
        (3, "value_m3 cannot be negative."),
        (4, "value_m3 is not a number: 1000000000."),
        (5, "value_m3 is not a number: ."),
        (8, "external_id N5 appears again with different content."),
        (9, "value_m3 is not a number: x."),
    ]
