"""Eliminar and Eliminar definitivamente meet credit's guards (registered in CreditConfig.ready)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services as customer_services
from customers.models import Customer
from tests.credit.factories import make_document, pay
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def test_eliminar_is_refused_while_documents_are_unpaid():
    customer = make_company(business_name="Deudor S.A.C.")
    for total in ("1000", "200", "50"):
        make_document(customer, total=total)
    with pytest.raises(ValidationError) as exc:
        customer_services.trash_customer(actor=None, customer=customer)
    assert exc.value.messages == [
        "No se puede eliminar «Deudor S.A.C.»: tiene 3 comprobantes por cobrar (S/ 1,250.00). Desactívelo en su lugar."
    ]
    customer.refresh_from_db()
    assert customer.deleted_at is None


def test_paid_up_customer_goes_to_the_papelera_but_is_not_purged():
    customer = make_company(business_name="Pagador S.A.C.")
    invoice = make_document(customer, total="100")
    pay(invoice, "100")
    customer_services.trash_customer(actor=None, customer=customer)
    with pytest.raises(ValidationError) as exc:
        customer_services.purge_customer(actor=None, customer=customer)
    assert "tiene 1 comprobante registrado" in exc.value.messages[0]
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert invoice.__class__.objects.filter(customer=customer).count() == 1  # trashed customers keep their documents


def test_a_customer_without_documents_is_purged():
    customer = make_company()
    customer_services.trash_customer(actor=None, customer=customer)
    customer_services.purge_customer(actor=None, customer=customer)
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_deactivated_customer_keeps_its_documents():
    customer = make_company()
    make_document(customer, total="10")
    customer_services.deactivate_customer(actor=None, customer=customer)
    assert customer.documents.count() == 1


def test_the_delete_page_shows_the_refusal(client):
    customer = make_company(business_name="Deudor S.A.C.")
    make_document(customer, total="1250")
    client.force_login(user_with_role("Administrador"))
    page = client.get(reverse("customers:delete", args=[customer.pk])).content.decode()
    assert "tiene 1 comprobante por cobrar (S/ 1,250.00)" in page
