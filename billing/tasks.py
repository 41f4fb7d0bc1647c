"""Celery tasks of the billing app: a large import runs in the worker."""

from celery import shared_task


@shared_task(name="billing.run_import", acks_late=True, soft_time_limit=3600, time_limit=3700)
def run_billing_import(import_id: int) -> dict:
    """Run a queued import once (a second delivery of the message finds it claimed and does nothing)."""
    from .imports import run_queued_import

    run = run_queued_import(import_id)
    if run is None:
        return {"import": import_id, "skipped": True}
    return {"import": run.pk, "status": run.status, "created": run.created, "refused": run.refused}
