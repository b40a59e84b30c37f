from io import StringIO

import pytest
from django.core.management import call_command

from credit.models import CreditAccount, CreditRequest, Document, PointsMovement
from credit.services import recompute_balances

pytestmark = pytest.mark.django_db


def test_demo_credit_shows_credit_debts_and_points(settings):
    call_command("load_demo_data", stdout=StringIO())
    call_command("load_credit_demo", stdout=StringIO())
    assert CreditAccount.objects.filter(credit_limit__gt=0).exists()
    assert CreditAccount.objects.filter(is_blocked=True).exists()
    assert CreditAccount.objects.filter(balance__gt=0).exists()
    assert Document.objects.filter(doc_type="07").exists()
    assert PointsMovement.objects.filter(kind="ganado").exists()
    assert CreditRequest.objects.filter(status="pendiente").exists()
    assert recompute_balances() == []
    before = Document.objects.count()
    call_command("load_credit_demo", stdout=StringIO())  # only once
    assert Document.objects.count() == before
