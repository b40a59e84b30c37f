"""Comprobantes, pagos and proyectos in the Django admin go through the credit services:
the balance row moves, refusals show in Spanish at their field, nothing is half written,
and only Créditos and Administrador write."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from credit import services
from credit.models import CreditAccount, Document, Payment, PaymentTerm, PointsMovement, Project
from customers.models import CustomerNote
from tests.credit.factories import balance_of, make_document, pay
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return make_company()


def login(client, role="Créditos"):
    # The admin needs a staff user (or the Administrador role); the role decides what it may do.
    client.force_login(user_with_role(role, is_staff=True))


def dmy(day):
    return day.strftime("%d/%m/%Y")


def invoice_data(customer, **overrides):
    today = timezone.localdate()
    data = {
        "customer": customer.pk,
        "doc_type": "01",
        "series": "F001",
        "number": "123",
        "issue_date": dmy(today - timedelta(days=10)),
        "due_date": dmy(today + timedelta(days=20)),
        "currency": "PEN",
        "exchange_rate": "",
        "total": "1,250.00",
        "project": "",
        "related": "",
    }
    data.update(overrides)
    return data


def errors_at(response, field):
    return [str(e) for e in response.context["adminform"].form.errors.get(field, [])]


def test_creditos_registers_a_factura_and_the_balance_row_moves(client, customer):
    login(client)
    response = client.post(reverse("admin:credit_document_add"), invoice_data(customer))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    document = Document.objects.get(customer=customer)
    assert (document.serie_number, document.total) == ("F001-00000123", Decimal("1250.00"))
    account = CreditAccount.objects.get(customer=customer)
    assert (account.balance, account.open_documents) == (Decimal("1250.00"), 1)


@pytest.mark.parametrize(
    "overrides,field,words",
    [
        ({"series": "B001"}, "series", "empieza con F"),
        ({"currency": "USD"}, "exchange_rate", "tipo de cambio"),
        ({"total": "-5"}, "total", "mayor que cero"),
        # Typed in the admin too: «1.250» is asked about, not saved as S/ 1.25.
        ({"total": "1.250"}, "total", "«1.250» es ambiguo: escriba 1,250.00 si son miles o 1.25 si no"),
        ({"due_date": "01/01/2000"}, "due_date", "anterior a la de emisión"),
    ],
)
def test_bad_comprobante_is_refused_at_its_field(client, customer, overrides, field, words):
    login(client)
    response = client.post(reverse("admin:credit_document_add"), invoice_data(customer, **overrides))
    assert response.status_code == 200
    assert any(words in message for message in errors_at(response, field)), response.context["adminform"].form.errors
    assert not Document.objects.exists()
    assert balance_of(customer) == Decimal("0.00")


def test_duplicate_serie_numero_is_refused_at_the_number(client, customer):
    make_document(customer, number=123)
    login(client)
    response = client.post(reverse("admin:credit_document_add"), invoice_data(customer, number="123"))
    assert errors_at(response, "number") == ["Ya existe la factura F001-00000123."]
    assert Document.objects.count() == 1


def test_customer_in_the_trash_is_refused_above_the_form(client, customer):
    customer.deleted_at = timezone.now()
    customer.save(update_fields=["deleted_at"])
    login(client)
    response = client.post(reverse("admin:credit_document_add"), invoice_data(customer))
    assert "Papelera" in " ".join(errors_at(response, "__all__"))
    assert not Document.objects.exists()


def test_payment_above_what_is_owed_is_refused_and_a_good_one_moves_the_balance(client, customer):
    document = make_document(customer, total="100.00", days_ago=5)
    login(client)
    url = reverse("admin:credit_payment_add")
    data = {"document": document.pk, "date": dmy(timezone.localdate()), "amount": "150", "method": "", "reference": ""}
    response = client.post(url, data)
    assert "supera lo que se debe" in " ".join(errors_at(response, "amount"))
    assert not Payment.objects.exists()
    assert balance_of(customer) == Decimal("100.00")
    response = client.post(url, {**data, "amount": "40.00", "reference": "OP-1"})
    assert response.status_code == 302
    assert balance_of(customer) == Decimal("60.00")
    document.refresh_from_db()
    assert document.paid == Decimal("40.00")


def test_deleting_a_payment_puts_the_debt_back_with_a_note(client, customer):
    document = make_document(customer, total="100.00", days_ago=5)
    pay(document, "100.00")
    assert balance_of(customer) == Decimal("0.00")
    payment = Payment.objects.get()
    login(client)
    response = client.post(reverse("admin:credit_payment_delete", args=[payment.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Payment.objects.exists()
    account = CreditAccount.objects.get(customer=customer)
    assert (account.balance, account.open_documents, account.oldest_due_date) == (
        Decimal("100.00"),
        1,
        document.due_date,
    )
    assert CustomerNote.objects.filter(customer=customer, text__contains="eliminado").exists()
    assert services.recompute_balances() == []


def test_a_payment_that_earned_points_is_not_deleted(client):
    services.update_points_program(
        actor=None, data={"enabled": True, "points_per_sol": "1", "point_value": "0.01", "expiry_months": "12"}
    )
    customer = make_company(loyalty_enrolled=True)
    document = make_document(customer, total="100.00")
    pay(document, "100.00")
    payment = Payment.objects.get()
    login(client)
    response = client.post(reverse("admin:credit_payment_delete", args=[payment.pk]), {"post": "yes"}, follow=True)
    assert "ganó 100 puntos" in response.content.decode()
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert PointsMovement.objects.filter(customer=customer).count() == 1


def test_correcting_a_payment_changes_date_and_reference_not_the_amount(client, customer):
    document = make_document(customer, total="100.00", days_ago=5)
    pay(document, "30.00")
    payment = Payment.objects.get()
    login(client)
    url = reverse("admin:credit_payment_change", args=[payment.pk])
    day = timezone.localdate() - timedelta(days=2)
    response = client.post(url, {"date": dmy(day), "method": "", "reference": "OP-9", "amount": "99"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.date, payment.reference, payment.amount) == (day, "OP-9", Decimal("30.00"))
    response = client.post(url, {"date": dmy(timezone.localdate() - timedelta(days=30)), "reference": "x"})
    assert "anterior a la emisión" in " ".join(errors_at(response, "date"))
    payment.refresh_from_db()
    assert payment.reference == "OP-9"


def test_correcting_the_due_date_moves_the_oldest_due_date(client, customer):
    document = make_document(customer, total="100.00", days_ago=40, term_days=30)  # 10 days overdue
    login(client)
    new_due = document.issue_date + timedelta(days=60)
    url = reverse("admin:credit_document_change", args=[document.pk])
    response = client.post(url, {"due_date": dmy(new_due), "project": ""})
    assert response.status_code == 302
    assert CreditAccount.objects.get(customer=customer).oldest_due_date == new_due
    assert services.recompute_balances() == []


def test_voiding_in_the_admin_needs_a_reason_and_then_stops_the_debt(client, customer):
    document = make_document(customer, total="100.00")
    login(client)
    url = reverse("admin:credit_document_change", args=[document.pk])
    data = {"due_date": dmy(document.due_date), "project": "", "void": "on", "void_reason": ""}
    response = client.post(url, data)
    assert "motivo" in " ".join(errors_at(response, "void_reason"))
    assert not Document.objects.get(pk=document.pk).is_voided
    # The due date change in the same refused form was not written either.
    response = client.post(url, {**data, "due_date": dmy(document.due_date + timedelta(days=5))})
    assert Document.objects.get(pk=document.pk).due_date == document.due_date
    response = client.post(url, {**data, "void_reason": "Emitido por error"})
    assert response.status_code == 302
    assert Document.objects.get(pk=document.pk).is_voided
    assert balance_of(customer) == Decimal("0.00")


def test_deleting_a_comprobante_with_payments_is_refused_without_them_it_goes(client, customer):
    paid = make_document(customer, total="100.00")
    pay(paid, "10.00")
    mistake = make_document(customer, total="50.00")
    login(client)
    response = client.post(reverse("admin:credit_document_delete", args=[paid.pk]), {"post": "yes"}, follow=True)
    assert "tiene pagos registrados" in response.content.decode()
    assert Document.objects.filter(pk=paid.pk).exists()
    response = client.post(reverse("admin:credit_document_delete", args=[mistake.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Document.objects.filter(pk=mistake.pk).exists()
    account = CreditAccount.objects.get(customer=customer)
    assert (account.balance, account.open_documents) == (Decimal("90.00"), 1)
    assert services.recompute_balances() == []


def test_deleting_a_nota_de_credito_gives_the_invoice_its_debt_back(client, customer):
    invoice = make_document(customer, total="100.00")
    note = make_document(customer, doc_type="07", total="30.00", related=invoice.pk)
    assert balance_of(customer) == Decimal("70.00")
    login(client)
    client.post(reverse("admin:credit_document_delete", args=[note.pk]), {"post": "yes"})
    assert balance_of(customer) == Decimal("100.00")
    assert services.recompute_balances() == []


def test_projects_through_the_service_and_one_in_use_is_not_deleted(client, customer):
    login(client)
    response = client.post(
        reverse("admin:credit_project_add"),
        {"customer": customer.pk, "code": "obra 1", "name": "Obra", "is_active": "on"},
    )
    assert "código admite" in " ".join(errors_at(response, "code"))
    assert not Project.objects.exists()
    response = client.post(
        reverse("admin:credit_project_add"),
        {"customer": customer.pk, "code": "obra-1", "name": "Obra", "is_active": "on"},
    )
    project = Project.objects.get(customer=customer)
    assert project.code == "OBRA-1"
    make_document(customer, project=project.pk)
    login(client, "Administrador")
    response = client.post(reverse("admin:credit_project_delete", args=[project.pk]), {"post": "yes"}, follow=True)
    assert "desactívelo" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_ventas_and_consulta_only_read_in_the_admin(client, customer, role):
    document = make_document(customer, total="100.00")
    pay(document, "10.00")
    payment = Payment.objects.get()
    login(client, role)
    assert client.get(reverse("admin:credit_document_changelist")).status_code == 200
    assert client.get(reverse("admin:credit_document_change", args=[document.pk])).status_code == 200
    assert client.get(reverse("admin:credit_document_add")).status_code == 403
    assert client.post(reverse("admin:credit_document_add"), invoice_data(customer, number="777")).status_code == 403
    response = client.post(
        reverse("admin:credit_document_change", args=[document.pk]),
        {"due_date": dmy(document.due_date + timedelta(days=5)), "void": "on", "void_reason": "x"},
    )
    assert response.status_code == 403
    assert client.post(reverse("admin:credit_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:credit_document_delete", args=[document.pk]), {"post": "yes"}).status_code == 403
    assert Document.objects.count() == 1 and Payment.objects.count() == 1
    assert not Document.objects.get().is_voided
    assert balance_of(customer) == Decimal("90.00")


def test_creditos_may_write_each_of_the_three(client, customer):
    login(client)
    for model in ("document", "payment", "project"):
        assert client.get(reverse(f"admin:credit_{model}_add")).status_code == 200
    method = PaymentTerm.objects.get(name="Transferencia")
    document = make_document(customer)
    response = client.post(
        reverse("admin:credit_payment_add"),
        {
            "document": document.pk,
            "date": dmy(timezone.localdate()),
            "amount": "5",
            "method": method.pk,
            "reference": "",
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.method == method
    project = services.save_project(actor=None, customer=customer, data={"code": "P1", "name": "Obra"})
    for model, pk in (("document", document.pk), ("payment", payment.pk), ("project", project.pk)):
        response = client.get(reverse(f"admin:credit_{model}_change", args=[pk]))
        assert response.status_code == 200
        assert response.context["has_change_permission"] and response.context["has_delete_permission"]
