"""manage.py import_billing KIND FILE: the import of the API, from the command line, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.imports import ImportFileError, run_import
from billing.models import ImportKind, ImportRun

BAR_WIDTH = 40


class Command(BaseCommand):
    help = "Import meters, readings or bills from the billing system's CSV file (idempotent on external_id)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")

    def handle(self, *args, kind, file, **options):
        now = timezone.now()
        run = ImportRun.objects.create(kind=kind, file_name=file[-200:], created_at=now)
        try:
            with open(file, "rb") as binary:
                run_import(run, binary, today=timezone.localtime(now).date(), progress=self._bar)
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}") from None
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("")
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.failure)
        for refusal in run.refusals.all()[:50]:
            self.stdout.write(f"row {refusal.row_number}: {refusal.message}")
        if run.refused > 50:
            self.stdout.write(f"... and {run.refused - 50} more refused rows (import {run.pk})")
        self.stdout.write(
            f"import {run.pk}: {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.refused} refused of {run.done_rows} rows"
        )

    def _bar(self, run):
        filled = BAR_WIDTH * run.percent // 100
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {run.percent:3d}% "
            f"{run.done_rows}/{run.total_rows} rows, {run.refused} refused",
            ending="",
        )
        self.stdout.flush()
