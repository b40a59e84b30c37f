"""Concurrent credit authorizations on real PostgreSQL: 20 sessions at once, each asking an
amount, whose sum exceeds the customer's crédito disponible; repeated many rounds. The lock on
the balance row must never let them approve more than was available, and afterwards the
balance row equals the ledger (comprobantes and holds: recompute_balances finds nothing)."""

import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
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


def _at_once(requests: list[dict]) -> list:
    """authorize_credit(**request) for every request, each in its own session, all at the same
    moment; the (authorization, replayed) answers, or the exception raised."""
    start = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def ask(i: int):
        try:
            start.wait(15)  # every session asks at the same moment
            results[i] = authorizations.authorize_credit(actor=None, **requests[i])
        except Exception as exc:  # noqa: BLE001 — the assertions name it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _round(customer_id: int, amounts: list[Decimal], tag: str) -> list[CreditAuthorization]:
    results = _at_once(
        [{"customer_id": customer_id, "amount": amount, "reference": f"{tag}-{i}"} for i, amount in enumerate(amounts)]
    )
    errors = [r for r in results if not isinstance(r, tuple)]
    assert not errors, errors[:3]
    return [authorization for authorization, _ in results]


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
            actor=None,
            customer=customer,
            data={"credit_limit": str(CreditAccount.objects.get(customer=customer).balance + 5000)},
        )
    account = CreditAccount.objects.get(customer=customer)
    assert account.held == 0
    assert services.recompute_balances() == []


@pytest.mark.django_db(transaction=True)
def test_parallel_retries_of_one_sale_hold_once():
    """The same sale's reference sent by 20 sessions at once, for two customers: the first to
    INSERT wins; the retries for its customer get its answer, those for the other customer are
    refused (another sale), and nothing is held twice."""
    load_reference_data()
    one, other = make_company(), make_company()
    for customer in (one, other):
        services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "5000.00"})
    for round_number in range(ROUNDS):
        reference = f"VENTA-{round_number}"
        requests = [{"customer_id": (one if i % 2 else other).pk, "amount": "100.00", "reference": reference}
                    for i in range(SESSIONS)]  # fmt: skip
        results = _at_once(requests)
        first = CreditAuthorization.objects.get(reference=reference)
        for request, result in zip(requests, results, strict=True):
            if request["customer_id"] == first.customer_id:
                assert isinstance(result, tuple) and result[0].pk == first.pk, result
            else:
                assert isinstance(result, ValidationError) and "reference" in result.message_dict, result
        assert sum(1 for r in results if isinstance(r, tuple) and not r[1]) == 1  # one new, the rest replays
    assert CreditAccount.objects.get(customer=one).held + CreditAccount.objects.get(customer=other).held == 100 * ROUNDS
    assert services.recompute_balances() == []
