"""Concurrent credit authorizations on real PostgreSQL: 20 sessions at once, each asking an
amount, whose sum exceeds the customer's crédito disponible; repeated many rounds. The lock on
the balance row must never let them approve more than was available, and afterwards the
balance row equals the ledger (comprobantes and holds: recompute_balances finds nothing)."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from credit import authorizations, services
from credit.intake import register_document_once
from credit.models import CreditAccount, CreditAuthorization
from customers.reference import load_reference_data
from tests.credit.factories import make_document
from tests.factories import make_company

SESSIONS = 20
ROUNDS = 8


def _round(customer_id: int, amounts: list[Decimal], tag: str) -> list[CreditAuthorization]:
    start = threading.Barrier(len(amounts))
    results: list = [None] * len(amounts)

    def ask(i: int):
        try:
            start.wait(15)  # every session asks at the same moment
            results[i] = authorizations.authorize_credit(
                actor=None, customer_id=customer_id, amount=amounts[i], reference=f"{tag}-{i}"
            )[0]
        except Exception as exc:  # noqa: BLE001 — the assertion below names it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(amounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [r for r in results if not isinstance(r, CreditAuthorization)]
    assert not errors, errors[:3]
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_authorizations_never_approve_more_than_available():
    load_reference_data()  # a transactional test starts from a flushed database
    rng = random.Random(16)
    customer = make_company()
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "5000.00"})
    make_document(customer, total="1000.00")
    for round_number in range(ROUNDS):
        account = CreditAccount.objects.get(customer=customer)
        available = account.available
        amounts = [Decimal(rng.randint(300, 700)) for _ in range(SESSIONS)]
        assert sum(amounts) > available  # the round asks more than there is
        results = _round(customer.pk, amounts, f"R{round_number}")
        approved = sum((a.amount for a in results if a.status == "aprobada"), Decimal("0"))
        assert approved <= available, (round_number, approved, available)
        assert any(a.status == "aprobada" for a in results) and any(a.status == "rechazada" for a in results)
        # Every refusal saw less available than it asked, and never a negative figure.
        assert all(a.available >= 0 for a in results)
        account.refresh_from_db()
        assert account.held == account.held.quantize(Decimal("0.01"))
        assert account.available >= 0
        assert account.available == available - approved
        # The balance row is the ledger: comprobantes and the authorizations still holding.
        assert services.recompute_balances() == []
        # Free the round's holds: cancel half, the comprobante of the sale uses the rest.
        for i, authorization in enumerate(a for a in results if a.status == "aprobada"):
            if i % 2:
                authorizations.cancel_authorization(actor=None, authorization=authorization)
            else:
                register_document_once(
                    actor=None,
                    customer=customer,
                    data={"doc_type": "03", "series": "B001", "number": round_number * 100 + i + 1,
                          "issue_date": timezone.localdate(), "total": str(authorization.amount)},
                    authorization_id=authorization.pk,
                )  # fmt: skip
        services.update_sales_conditions(
            actor=None, customer=customer, data={"credit_limit": str(CreditAccount.objects.get(customer=customer).balance + 5000)}
        )
    account = CreditAccount.objects.get(customer=customer)
    assert account.held == 0
    assert services.recompute_balances() == []
