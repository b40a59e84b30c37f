"""Webhooks against a real HTTP receiver on 127.0.0.1: the outbox is written in the change's
transaction, deliveries are signed, retried with back-off, in order per customer, never follow
a redirect, and survive a receiver that is down."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from customers import services
from customers.events import CREATED, DEACTIVATED, UPDATED
from integrations import webhooks
from integrations.models import DeliveryAttempt, OutboxEvent, WebhookDelivery, WebhookEndpoint
from tests.factories import company_data, make_company
from tests.integrations.receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET = "secreto-de-prueba-123456"


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="Punto de venta", url=receiver.url, secret=SECRET, events=[CREATED, UPDATED, DEACTIVATED]
    )


def _due_now():
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def _verify(request) -> dict:
    timestamp = request["headers"]["X-Clientes-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Clientes-Signature"], "sha256=" + expected)
    return json.loads(request["body"])


def test_a_change_is_delivered_signed(receiver, endpoint):
    customer = services.create_customer(actor=None, data=company_data())
    sent, _ = webhooks.deliver_due()
    assert sent == 1
    [request] = receiver.received
    body = _verify(request)
    assert body["event"] == CREATED and body["customer"]["id"] == customer.pk
    assert request["headers"]["X-Clientes-Event"] == CREATED
    assert request["headers"]["X-Clientes-Event-Id"] == str(body["id"])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert DeliveryAttempt.objects.get().status_code == 200


def test_the_event_is_written_in_the_changes_transaction(endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_customer(actor=None, data=company_data())
        assert OutboxEvent.objects.count() == 1
        raise RuntimeError("the change rolls back")
    assert not OutboxEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_committed_change_asks_the_worker_to_deliver(endpoint, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    with django_capture_on_commit_callbacks(execute=True):
        services.create_customer(actor=None, data=company_data())
    assert [r.task.name for r in default_task_backend.results] == ["deliver_webhooks"]


def test_only_subscribed_events_are_written(endpoint):
    customer = make_company()
    services.trash_customer(actor=None, customer=customer)  # customer.deleted: not subscribed
    assert not OutboxEvent.objects.exists()
    services.suspend_customer(actor=None, customer=make_company())
    assert list(OutboxEvent.objects.values_list("event", flat=True)) == [DEACTIVATED]


def test_a_failing_receiver_is_retried_with_growing_waits(receiver, endpoint):
    receiver.behaviour = "error"
    services.create_customer(actor=None, data=company_data())
    waits = []
    for _ in range(3):
        before = timezone.now()
        webhooks.deliver_due()
        delivery = WebhookDelivery.objects.get()
        waits.append((delivery.next_attempt_at - before).total_seconds())
        _due_now()
    assert waits[0] < waits[1] < waits[2]
    assert WebhookDelivery.objects.get().attempts == 3
    attempts = list(DeliveryAttempt.objects.all())
    assert [a.status_code for a in attempts] == [500, 500, 500]
    assert attempts[0].response_excerpt == "fallo del receptor"
    # Same event id on every retry: the receiver drops repeats by it.
    assert len({r["headers"]["X-Clientes-Event-Id"] for r in receiver.received}) == 1
    receiver.behaviour = "ok"
    _due_now()
    assert webhooks.deliver_due()[0] == 1
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_retry_waits_until_it_is_due(receiver, endpoint):
    receiver.behaviour = "error"
    services.create_customer(actor=None, data=company_data())
    webhooks.deliver_due()
    receiver.behaviour = "ok"
    assert webhooks.deliver_due()[0] == 0  # not due yet
    assert len(receiver.received) == 1


def test_a_delivery_is_given_up_after_the_last_attempt(receiver, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.behaviour = "error"
    services.create_customer(actor=None, data=company_data())
    webhooks.deliver_due()
    _due_now()
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    # The admin's re-send puts it back.
    from tests.roles import user_with_role

    webhooks.resend(actor=user_with_role("Administrador"), deliveries=[delivery])
    receiver.behaviour = "ok"
    assert webhooks.deliver_due()[0] == 1


def test_events_of_one_customer_arrive_in_order(receiver, endpoint):
    receiver.behaviour = "error"
    customer = services.create_customer(actor=None, data=company_data())
    webhooks.deliver_due()  # the creation fails
    services.update_customer(
        actor=None,
        customer=customer,
        data=company_data(document_number=customer.document_number, business_line="Panadería"),
    )
    services.suspend_customer(actor=None, customer=customer)
    receiver.behaviour = "ok"
    assert webhooks.deliver_due()[0] == 0  # the later events wait for the creation
    _due_now()
    webhooks.deliver_due()
    events = [json.loads(r["body"])["event"] for r in receiver.received[1:]]
    assert events == [CREATED, UPDATED, DEACTIVATED]


def test_another_customers_events_do_not_wait(receiver, endpoint):
    receiver.behaviour = "error"
    services.create_customer(actor=None, data=company_data())
    webhooks.deliver_due()
    receiver.behaviour = "ok"
    other = services.create_customer(actor=None, data=company_data())
    assert webhooks.deliver_due()[0] == 1
    assert json.loads(receiver.received[-1]["body"])["customer"]["id"] == other.pk


def test_a_receiver_down_for_an_hour_gets_everything_when_back(receiver, endpoint):
    receiver.stop()
    customers = [services.create_customer(actor=None, data=company_data()) for _ in range(3)]
    for _ in range(5):  # an hour of retries against a closed port
        webhooks.deliver_due()
        _due_now()
    assert WebhookDelivery.objects.filter(status="pending").count() == 3
    assert all("ConnectionError" in a.error for a in DeliveryAttempt.objects.all())
    receiver.start()  # back, on the same address
    assert webhooks.deliver_due()[0] == 3
    assert sorted(json.loads(r["body"])["customer"]["id"] for r in receiver.received) == [c.pk for c in customers]


def test_a_hanging_receiver_times_out_and_is_retried(receiver, endpoint, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.behaviour = "hang"
    services.create_customer(actor=None, data=company_data())
    assert webhooks.deliver_due()[0] == 0
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "Timeout" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


def test_a_redirect_is_never_followed(receiver, endpoint):
    elsewhere = Receiver().start()
    try:
        receiver.behaviour = "redirect"
        receiver.redirect_to = elsewhere.url
        services.create_customer(actor=None, data=company_data())
        assert webhooks.deliver_due()[0] == 0
        assert elsewhere.received == []
        attempt = DeliveryAttempt.objects.get()
        assert attempt.status_code == 302 and "no se sigue" in attempt.error
        assert WebhookDelivery.objects.get().status == "pending"
    finally:
        elsewhere.stop()


def test_an_api_change_is_delivered_too(receiver, endpoint, api):
    response = api.post("/api/v1/customers", company_data())
    webhooks.deliver_due()
    assert _verify(receiver.received[0])["customer"]["id"] == response.json()["id"]


def test_the_admin_shows_attempts_and_resends(client, receiver, endpoint):
    from django.urls import reverse

    from tests.roles import user_with_role

    receiver.behaviour = "error"
    services.create_customer(actor=None, data=company_data())
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    client.force_login(user_with_role("Administrador"))
    page = client.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "fallo del receptor" in page and "500" in page
    response = client.post(
        reverse("admin:integrations_webhookdelivery_changelist"),
        {"action": "resend", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().next_attempt_at is None  # due now


def test_one_delivery_run_per_transaction_however_many_customers_change(endpoint, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    customers = [make_company() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.bulk_lifecycle(actor=None, action="suspender", customer_ids=[c.pk for c in customers])
    assert WebhookDelivery.objects.count() == 3
    assert len(default_task_backend.results) == 1
