"""Comprobantes and pagos through credit.services (actor None: the system), so the balance
row is kept exactly as in production."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from credit import services
from credit.models import Document

_numbers = itertools.count(1)


def make_document(customer, *, total="100.00", doc_type="01", days_ago=0, term_days=30, **data) -> Document:
    """A factura (by default) issued `days_ago` days ago, due `term_days` after issue."""
    today = timezone.localdate()
    issue = today - timedelta(days=days_ago)
    values = {
        "doc_type": doc_type,
        "series": {"01": "F001", "03": "B001", "07": "F001", "08": "F001"}[doc_type],
        "number": next(_numbers),
        "issue_date": issue,
        "due_date": issue + timedelta(days=term_days),
        "total": total,
    }
    values.update(data)
    return services.register_document(actor=None, customer=customer, data=values)


def pay(document, amount, **data) -> None:
    values = {"date": timezone.localdate(), "amount": amount}
    values.update(data)
    services.register_payment(actor=None, document=document, data=values)


def balance_of(customer):
    account = services.CreditAccount.objects.filter(customer_id=customer.pk).first()
    return account.balance if account else Decimal("0.00")
