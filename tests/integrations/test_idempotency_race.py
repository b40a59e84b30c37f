"""Two requests with the same Idempotency-Key at the same moment, on real PostgreSQL: the second
waits for the first and replays its answer; one customer is created."""

import threading

import pytest
from django.db import connection

from customers import services
from customers.models import Customer
from customers.reference import load_reference_data
from integrations.idempotency import run_once
from tests.concurrency import backend_pid, release_when_blocked
from tests.factories import company_data
from tests.integrations.conftest import make_token


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_key_create_one_customer():
    load_reference_data()  # a transactional test starts from a flushed database
    token, _ = make_token()
    data = company_data()
    inserted, release = threading.Event(), threading.Event()
    answers = {}

    def create(wait: bool):
        def action():
            if wait:
                inserted.set()  # the key's row is written, not committed
                release.wait(15)
            customer = services.create_customer(actor=token.user, data=dict(data))
            return 201, {"id": customer.pk}

        return action

    def first():
        try:
            answers["first"] = run_once(token=token, key="k", operation="op", body=data, action=create(True))
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inserted.wait(15)
    watcher = release_when_blocked(backend_pid(), release)
    answers["second"] = run_once(token=token, key="k", operation="op", body=data, action=create(False))
    thread.join(15)
    watcher.join(15)
    assert watcher.saw_wait  # the second really waited on the first's key
    assert answers["first"] == (201, answers["first"][1], False)
    assert answers["second"] == (201, answers["first"][1], True)
    assert Customer.objects.count() == 1
