"""The top navigation (config.context_processors): the sections each role sees, and the
counts of the credit queues on their badges, read in one statement."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.authorizations import hold_duration
from credit.models import CreditAuthorization, CreditRequest
from credit.queries import queue_counts
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def _badge(page: str, url_name: str) -> str | None:
    """The badge of the navigation link to url_name, or None (no badge or no link)."""
    start = page.find(f'href="{reverse(url_name)}"')
    if start < 0:
        return None
    link = page[start : page.index("</a>", start)]
    if "data-badge>" not in link:
        return None
    return link.split("data-badge>")[1].split("<")[0]


@pytest.fixture
def queues():
    customer = make_company()
    for status in ("pendiente", "pendiente", "aprobada"):
        CreditRequest.objects.create(customer=customer, amount=Decimal("500.00"), reason="Campaña", status=status)
    now = timezone.now()
    cases = (("rechazada", timedelta(0)), ("rechazada", hold_duration() * 2), ("aprobada", timedelta(0)))
    for number, (status, age) in enumerate(cases):
        made = CreditAuthorization.objects.create(
            customer=customer, amount=Decimal("10.00"), reference=f"F001-{number}", status=status
        )
        CreditAuthorization.objects.filter(pk=made.pk).update(created_at=now - age)
    return now


@pytest.mark.parametrize("role", ["Créditos", "Administrador"])
def test_who_sees_the_credit_queues_sees_their_counts(client, queues, role):
    client.force_login(user_with_role(role), backend="config.auth.RoleBackend")
    page = client.get(reverse("customers:list")).content.decode()
    assert _badge(page, "credit:requests") == "2"  # the pending ones
    assert _badge(page, "credit:authorizations") == "1"  # refused within the hold, not older


def test_ventas_sees_its_own_requests_without_the_queues(client, queues):
    client.force_login(user_with_role("Ventas"), backend="config.auth.RoleBackend")
    page = client.get(reverse("customers:list")).content.decode()
    assert f'href="{reverse("credit:my_requests")}"' in page
    assert f'href="{reverse("credit:requests")}"' not in page and _badge(page, "credit:authorizations") is None


def test_both_counts_cost_one_query(queues, django_assert_num_queries):
    since = queues - hold_duration()
    with django_assert_num_queries(1):
        assert queue_counts(pending=True, refused_since=since) == (2, 1)
    with django_assert_num_queries(1):
        assert queue_counts(pending=False, refused_since=since) == (None, 1)
    with django_assert_num_queries(1):
        assert queue_counts(pending=True, refused_since=None) == (2, None)
    with django_assert_num_queries(0):
        assert queue_counts(pending=False, refused_since=None) == (None, None)


def test_empty_queues_show_no_badge(client):
    client.force_login(user_with_role("Créditos"), backend="config.auth.RoleBackend")
    page = client.get(reverse("customers:list")).content.decode()
    assert f'href="{reverse("credit:requests")}"' in page
    assert _badge(page, "credit:requests") is None and _badge(page, "credit:authorizations") is None
