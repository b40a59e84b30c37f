from io import StringIO

import pytest
from django.core.management import call_command

from credit.models import CreditAccount, Document, Payment
from credit.services import recompute_balances
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_seed_credit_loads_consistent_documents_and_balances():
    for _ in range(40):
        make_company()
    call_command("seed_credit", "--per-customer", "6", "--heavy", "300", "--seed", "3", stdout=StringIO())
    assert Document.objects.count() > 300
    assert Payment.objects.exists()
    assert CreditAccount.objects.filter(balance__gt=0).exists()
    assert CreditAccount.objects.filter(credit_limit__isnull=False).exists()
    # The balance rows agree with the documents, and the paid amounts with the payments.
    assert recompute_balances() == []


def test_seed_credit_twice_keeps_numbers_unique():
    make_company()
    call_command("seed_credit", "--per-customer", "0", "--heavy", "50", stdout=StringIO())
    call_command("seed_credit", "--per-customer", "0", "--heavy", "50", stdout=StringIO())
    assert Document.objects.count() == 100
