"""Background work of the integrations app: webhook delivery by the task worker."""

from django.core.cache import cache
from django.db import connection, transaction
from django_tasks import task

from integrations import webhooks


@task()
def deliver_webhooks() -> int:
    """Send the webhook deliveries that are due, then book one run for the next retry."""
    sent, upcoming = webhooks.deliver_due()
    if upcoming is not None:
        schedule_delivery(upcoming)
    return sent


def schedule_delivery(when=None) -> None:
    """Ask the worker to deliver (now, or at `when`). Runs booked for the same retry time are
    booked once (every run that finds the receiver down computes the same next time)."""
    if when is not None:
        if not cache.add(f"webhooks:run:{int(when.timestamp()) // 5}", 1, timeout=7200):
            return
        transaction.on_commit(lambda: deliver_webhooks.using(run_after=when).enqueue())
    elif not any(func is _enqueue_now for _, func, _ in connection.run_on_commit):
        # One run per transaction, however many customers it changed (a bulk action).
        transaction.on_commit(_enqueue_now)


def _enqueue_now() -> None:
    deliver_webhooks.enqueue()


def record_customer_event(kind: str, customer, data: dict) -> None:
    """The listener customers.events calls in the change's transaction."""
    if webhooks.write_outbox_event(kind, customer, data) is not None:
        schedule_delivery()
