from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import queries
from tests.credit.factories import make_document, pay
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def _buckets(customer, today):
    return {b["key"]: b["amount"] for b in queries.aging(customer, today=today)}


@pytest.mark.parametrize(
    "days_overdue,bucket",
    [
        (0, "al_dia"),
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (60, "d31_60"),
        (61, "d61_90"),
        (90, "d61_90"),
        (91, "d90"),
    ],
)
def test_aging_buckets_at_their_edges(days_overdue, bucket):
    customer = make_company()
    # Issued 200 days ago, due 100 days later: overdue by (100 - …) days on `today`.
    document = make_document(customer, total="10", days_ago=200, term_days=100)
    today = document.due_date + timedelta(days=days_overdue)
    buckets = _buckets(customer, today)
    assert buckets[bucket] == Decimal("10.00")
    assert sum(buckets.values()) == Decimal("10.00")


def test_ver_credito_figures():
    customer = make_company()
    from credit import services

    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "1000"})
    old = make_document(customer, total="300", days_ago=50, term_days=30)  # 20 days overdue
    make_document(customer, total="200", days_ago=0)
    pay(old, "100")
    summary = queries.credit_summary(customer)
    assert summary.balance == Decimal("400.00")
    assert summary.available == Decimal("600.00")
    assert summary.overdue == Decimal("200.00")
    assert summary.oldest_overdue_days == 20
    assert not summary.is_blocked


def test_a_document_due_today_is_not_overdue():
    customer = make_company()
    make_document(customer, total="50", days_ago=30, term_days=30)
    summary = queries.credit_summary(customer)
    assert summary.overdue == Decimal("0") and summary.oldest_overdue_days is None
    assert _buckets(customer, timezone.localdate())["al_dia"] == Decimal("50.00")
