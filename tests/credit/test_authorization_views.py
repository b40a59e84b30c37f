"""Autorizaciones rechazadas: Créditos (and Administrador) see the API's refusals and approve
them by exception with a reason; nobody else."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit import authorizations, services
from credit.models import CreditAccount, CreditAuthorization
from customers.models import CustomerNote
from tests.factories import make_company
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused():
    customer = make_company(business_name="Bodega Don Lucho S.A.C.")
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "100.00"})
    authorization, _ = authorizations.authorize_credit(
        actor=None, customer_id=customer.pk, amount="450.00", reference="T1-000123"
    )
    assert authorization.status == "rechazada"
    return authorization


@pytest.mark.parametrize("role", ["Administrador", "Créditos"])
def test_creditos_and_administrador_see_the_refusals_in_the_menu(client, refused, role):
    response = assert_can(client, role, "get", reverse("credit:authorizations"))
    page = response.content.decode()
    assert "Bodega Don Lucho" in page and "T1-000123" in page and "S/ 450.00" in page
    assert "Aprobar por excepción" in page
    assert f'href="{reverse("credit:authorizations")}"' in page  # the menu entry


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_other_roles_neither_see_nor_override(client, refused, role):
    assert_cannot(client, role, "get", reverse("credit:authorizations"))
    assert_cannot(client, role, "post", reverse("credit:authorization_override", args=[refused.pk]), {"reason": "x"})
    refused.refresh_from_db()
    assert refused.status == "rechazada"


def test_approving_by_exception_needs_a_reason(client, refused):
    client.force_login(user_with_role("Créditos"))
    response = client.post(reverse("credit:authorization_override", args=[refused.pk]), {"reason": " "}, follow=True)
    assert "Escriba el motivo de la excepción" in response.content.decode()
    refused.refresh_from_db()
    assert refused.status == "rechazada"


def test_approving_by_exception_holds_notes_and_leaves_the_queue(client, refused):
    user = user_with_role("Créditos", first_name="Rosa", last_name="Quispe")
    client.force_login(user)
    response = client.post(
        reverse("credit:authorization_override", args=[refused.pk]), {"reason": "Cliente de confianza"}, follow=True
    )
    page = response.content.decode()
    assert "aprobada por excepción" in page
    refused.refresh_from_db()
    assert refused.status == CreditAuthorization.Status.APPROVED and refused.overridden_by == user
    assert CreditAccount.objects.get(customer_id=refused.customer_id).held == Decimal("450.00")
    note = CustomerNote.objects.filter(customer_id=refused.customer_id).latest("id")
    assert "Cliente de confianza" in note.text and note.author == user
    # Out of the pending list, into the recent overrides.
    queue = client.get(reverse("credit:authorizations")).content.decode()
    assert "No hay autorizaciones rechazadas pendientes" in queue and "Cliente de confianza" in queue
