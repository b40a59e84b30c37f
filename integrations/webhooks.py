"""Webhooks: events written to an outbox in the transaction of the change, delivered by the
task worker with retries and back-off, in order per customer and endpoint, signed with
HMAC-SHA256 over "<timestamp>.<body>".

Headers of each delivery (README shows how to verify them):
    X-Clientes-Event: customer.updated
    X-Clientes-Event-Id: 123          (the same on every retry: receivers drop repeats by it)
    X-Clientes-Timestamp: 1764590400  (Unix seconds of this attempt)
    X-Clientes-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from credit import events as credit_events
from customers import events
from customers.access import require_permission
from customers.models import Customer
from integrations.models import DeliveryAttempt, OutboxEvent, WebhookDelivery, WebhookEndpoint
from integrations.representation import summary

logger = logging.getLogger("integrations.webhooks")

# What an Administrador can subscribe to, with the label the admin shows.
EVENT_LABELS = {
    events.CREATED: "Cliente creado",
    events.UPDATED: "Cliente actualizado",
    events.DEACTIVATED: "Cliente desactivado",
    events.ACTIVATED: "Cliente activado",
    events.TRASHED: "Cliente eliminado (a la Papelera)",
    events.RESTORED: "Cliente restaurado",
    events.PURGED: "Cliente eliminado definitivamente",
    # The credit app's (credit.events): crédito bloqueado/desbloqueado, cupo cambiado,
    # autorización aprobada por excepción.
    **credit_events.LABELS,
}

BACKOFF_FIRST = 10  # seconds before the first retry; doubles each time
BACKOFF_MAX = 3600  # never more than an hour between attempts
EXCERPT = 500


def register_event_kind(kind: str, label: str) -> None:
    EVENT_LABELS[kind] = label


def write_outbox_event(kind: str, customer: Customer, data: dict) -> OutboxEvent | None:
    """Called by customers.events inside the change's transaction: the event and one delivery
    per subscribed endpoint commit or roll back with the change."""
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True, events__contains=[kind]).only("pk"))
    if not endpoints:
        return None
    payload = {"customer": summary(customer), **({"data": data} if data else {})}
    event = OutboxEvent.objects.create(
        event=kind, customer_id=customer.pk, payload=json.loads(json.dumps(payload, default=str))
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=event, customer_id=customer.pk) for endpoint in endpoints
    )
    return event


def body_of(event: OutboxEvent) -> bytes:
    document = {"id": event.pk, "event": event.event, "created_at": event.created_at.isoformat(), **event.payload}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_FIRST * 2 ** max(0, attempts - 1), BACKOFF_MAX))


def deliver_due(*, limit: int = 1000) -> tuple[int, datetime | None]:
    """Send every delivery that is due, oldest first, one at a time per (endpoint, customer):
    a later event waits while an earlier one for the same customer is still pending. Returns
    how many were delivered and when the next retry is due (None: nothing left to retry)."""
    sent = 0
    for _ in range(limit):
        outcome = _deliver_one()
        if outcome is None:
            break
        sent += outcome
    return sent, next_due()


def _deliver_one() -> int | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint", "event")
            .filter(status=WebhookDelivery.Status.PENDING)
            .exclude(next_attempt_at__gt=now)
            .extra(
                # Order per customer: the oldest pending delivery of its (endpoint, customer) only.
                where=[
                    """NOT EXISTS (SELECT 1 FROM integrations_webhookdelivery older
                       WHERE older.endpoint_id = integrations_webhookdelivery.endpoint_id
                         AND older.customer_id IS NOT DISTINCT FROM integrations_webhookdelivery.customer_id
                         AND older.status = 'pending' AND older.id < integrations_webhookdelivery.id)"""
                ]
            )
            .order_by("id")
            .first()
        )
        if delivery is None:
            return None
        ok = _attempt(delivery)
    return 1 if ok else 0


def _attempt(delivery: WebhookDelivery) -> bool:
    endpoint, event = delivery.endpoint, delivery.event
    body = body_of(event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Clientes-Webhooks/1",
        "X-Clientes-Event": event.event,
        "X-Clientes-Event-Id": str(event.pk),
        "X-Clientes-Delivery": str(delivery.pk),
        "X-Clientes-Timestamp": timestamp,
        "X-Clientes-Signature": signature(endpoint.secret, timestamp, body),
    }
    started = time.monotonic()
    status_code, excerpt, error = None, "", ""
    try:
        # Never follow a redirect: it could send the customer's data to another host.
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=(3, settings.WEBHOOK_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
        try:
            status_code = response.status_code
            excerpt = response.raw.read(EXCERPT, decode_content=True).decode("utf-8", "replace")
        finally:
            response.close()
        if 300 <= status_code < 400:
            error = f"Redirección a {response.headers.get('Location', '?')[:200]} (no se sigue)."
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration = int((time.monotonic() - started) * 1000)
    DeliveryAttempt.objects.create(
        delivery=delivery, status_code=status_code, duration_ms=duration, response_excerpt=excerpt, error=error
    )
    delivery.attempts += 1
    ok = status_code is not None and 200 <= status_code < 300
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.Status.DELIVERED,
            timezone.now(),
            None,
        )
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        logger.warning("Webhook %s abandonado tras %s intentos", delivery.pk, delivery.attempts)
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
    return ok


def next_due() -> datetime | None:
    return (
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def resend(*, actor, deliveries) -> int:
    """Re-send from the admin: the deliveries go back to pending, due now."""
    require_permission(actor, "integrations.change_webhookdelivery")
    ids = [d.pk for d in deliveries]
    if not ids:
        raise ValidationError("Elija al menos un envío.")
    return WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=None, attempts=0
    )
