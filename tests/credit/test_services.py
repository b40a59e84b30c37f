from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from credit import services
from credit.models import CreditAccount, Document, Payment, PaymentTerm, PriceList
from customers.models import CustomerNote
from tests.credit.factories import balance_of, make_document, pay
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def _account(customer):
    return CreditAccount.objects.get(customer=customer)


# --- Configuración ---------------------------------------------------------------------------


def test_lists_come_seeded():
    assert list(PriceList.objects.values_list("name", flat=True)) == ["Lista general"]
    assert list(PaymentTerm.objects.values_list("name", "kind", "term_days")) == [
        ("Contado", "contado", 0),
        ("Crédito 30 días", "credito", 30),
        ("Transferencia", "contado", 0),
        ("Tarjeta", "contado", 0),
    ]


def test_a_credit_payment_term_needs_a_plazo():
    with pytest.raises(ValidationError) as exc:
        services.save_payment_term(actor=None, data={"name": "Crédito", "kind": "credito", "term_days": "0"})
    assert "term_days" in exc.value.message_dict
    assert not PaymentTerm.objects.filter(name="Crédito").exists()


def test_a_list_in_use_cannot_be_deleted_only_deactivated():
    customer = make_company()
    price_list = PriceList.objects.get(name="Lista general")
    services.update_sales_conditions(actor=None, customer=customer, data={"price_list": price_list.pk})
    with pytest.raises(ValidationError, match="desactívela"):
        services.delete_list_item(actor=None, item=price_list)
    services.save_price_list(actor=None, price_list=price_list, data={"name": "Lista general", "is_active": False})
    price_list.refresh_from_db()
    assert not price_list.is_active


def test_an_unused_list_is_deleted():
    item = services.save_price_list(actor=None, data={"name": "Mayorista"})
    services.delete_list_item(actor=None, item=item)
    assert not PriceList.objects.filter(name="Mayorista").exists()


def test_only_administrador_edits_the_lists():
    with pytest.raises(PermissionDenied):
        services.save_price_list(actor=user_with_role("Créditos"), data={"name": "Mayorista"})
    services.save_price_list(actor=user_with_role("Administrador"), data={"name": "Mayorista"})


def test_points_program_is_validated():
    with pytest.raises(ValidationError) as exc:
        services.update_points_program(
            actor=None, data={"enabled": True, "points_per_sol": "-1", "point_value": "0.01", "expiry_months": "0"}
        )
    assert set(exc.value.message_dict) == {"points_per_sol", "expiry_months"}


def test_the_points_program_reads_its_values_as_people_type_them():
    # «0,05» soles a point was read as 5 (the comma dropped); «1.000» points is asked about.
    data = {"enabled": True, "points_per_sol": "1", "point_value": "0,05", "expiry_months": "12"}
    program = services.update_points_program(actor=None, data=data)
    assert program.point_value == Decimal("0.05")
    with pytest.raises(ValidationError) as exc:
        services.update_points_program(actor=None, data={**data, "points_per_sol": "1.000"})
    assert "«1.000» es ambiguo: escriba 1,000 si son miles o 1 si no" in exc.value.message_dict["points_per_sol"][0]


# --- Condiciones de venta, cupo, bloqueo -------------------------------------------------


def test_conditions_change_leaves_notes_and_history():
    customer = make_company()
    term = PaymentTerm.objects.get(name="Crédito 30 días")
    user = user_with_role("Créditos")
    services.update_sales_conditions(
        actor=user, customer=customer, data={"payment_term": term.pk, "credit_limit": "1,500.00"}
    )
    account = _account(customer)
    assert account.credit_limit == Decimal("1500.00") and account.payment_term == term
    notes = list(CustomerNote.objects.filter(customer=customer).values_list("kind", "text"))
    assert (CustomerNote.Kind.CREDIT_LIMIT, "Cupo de crédito: sin crédito → S/ 1,500.00.") in notes
    assert any(kind == CustomerNote.Kind.EDITED and "Crédito 30 días" in text for kind, text in notes)
    assert account.history.first().history_user == user


@pytest.mark.parametrize("value", ["-1", "abc", "10.123", "99999999999999"])
def test_a_bad_cupo_is_refused_at_the_field(value):
    customer = make_company()
    with pytest.raises(ValidationError) as exc:
        services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": value})
    assert "credit_limit" in exc.value.message_dict
    assert not CreditAccount.objects.filter(customer=customer).exists()


def test_empty_cupo_means_no_credit():
    customer = make_company()
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "100"})
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": ""})
    assert _account(customer).credit_limit is None


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_ventas_and_consulta_cannot_change_conditions(role):
    customer = make_company()
    with pytest.raises(PermissionDenied):
        services.update_sales_conditions(actor=user_with_role(role), customer=customer, data={"credit_limit": "10"})
    assert not CreditAccount.objects.filter(customer=customer).exists()


def test_an_inactive_price_list_cannot_be_chosen():
    item = services.save_price_list(actor=None, data={"name": "Vieja", "is_active": False})
    with pytest.raises(ValidationError) as exc:
        services.update_sales_conditions(actor=None, customer=make_company(), data={"price_list": item.pk})
    assert "price_list" in exc.value.message_dict


def test_block_needs_a_reason():
    customer = make_company()
    with pytest.raises(ValidationError) as exc:
        services.block_credit(actor=None, customer=customer, reason="  ")
    assert "reason" in exc.value.message_dict
    assert not CustomerNote.objects.filter(customer=customer, kind=CustomerNote.Kind.CREDIT_BLOCKED).exists()


def test_block_and_unblock_leave_notes():
    customer = make_company()
    services.block_credit(actor=None, customer=customer, reason="Cheque devuelto")
    account = _account(customer)
    assert account.is_blocked and account.blocked_reason == "Cheque devuelto"
    assert CustomerNote.objects.get(customer=customer, kind=CustomerNote.Kind.CREDIT_BLOCKED).text == (
        "Crédito bloqueado. Motivo: Cheque devuelto"
    )
    with pytest.raises(ValidationError):
        services.block_credit(actor=None, customer=customer, reason="otra vez")
    services.unblock_credit(actor=None, customer=customer, reason="Pagó")
    assert not _account(customer).is_blocked
    assert CustomerNote.objects.filter(customer=customer, kind=CustomerNote.Kind.CREDIT_UNBLOCKED).exists()


def test_ventas_cannot_block():
    with pytest.raises(PermissionDenied):
        services.block_credit(actor=user_with_role("Ventas"), customer=make_company(), reason="x")


# --- comprobantes, pagos and the balance row ----------------------------------------------


def test_invoice_and_partial_payments_move_the_balance():
    customer = make_company()
    invoice = make_document(customer, total="1,250.00")
    assert balance_of(customer) == Decimal("1250.00")
    pay(invoice, "250.50")
    pay(invoice, "99.50")
    invoice.refresh_from_db()
    assert invoice.paid == Decimal("350.00")
    assert invoice.status_on(timezone.localdate()) == Document.Status.PARTIAL
    assert balance_of(customer) == Decimal("900.00")
    assert _account(customer).open_documents == 1
    pay(invoice, "900")
    invoice.refresh_from_db()
    assert invoice.status_on(timezone.localdate()) == Document.Status.PAID
    account = _account(customer)
    assert (account.balance, account.open_documents, account.oldest_due_date) == (Decimal("0.00"), 0, None)


def test_a_payment_above_what_is_owed_is_refused():
    customer = make_company()
    invoice = make_document(customer, total="100")
    pay(invoice, "60")
    with pytest.raises(ValidationError) as exc:
        pay(invoice, "40.01")
    assert exc.value.message_dict["amount"] == [
        f"El pago supera lo que se debe de F001-{invoice.number:08d}: S/ 40.00."
    ]
    assert Payment.objects.filter(document=invoice).count() == 1
    assert balance_of(customer) == Decimal("40.00")


def test_credit_note_reduces_and_debit_note_adds():
    customer = make_company()
    invoice = make_document(customer, total="1000")
    make_document(customer, doc_type="07", total="200", related=invoice.pk)
    assert balance_of(customer) == Decimal("800.00")
    make_document(customer, doc_type="08", total="50", related=invoice.pk)
    assert balance_of(customer) == Decimal("850.00")
    assert _account(customer).open_documents == 2


def test_a_credit_note_above_its_invoice_is_refused():
    customer = make_company()
    invoice = make_document(customer, total="100")
    with pytest.raises(ValidationError) as exc:
        make_document(customer, doc_type="07", total="100.01", related=invoice.pk)
    assert "total" in exc.value.message_dict
    assert Document.objects.filter(customer=customer).count() == 1
    assert balance_of(customer) == Decimal("100.00")


def test_voided_documents_stop_counting():
    customer = make_company()
    invoice = make_document(customer, total="300")
    note = make_document(customer, doc_type="07", total="100", related=invoice.pk)
    with pytest.raises(ValidationError, match="notas"):
        services.void_document(actor=None, document=invoice, reason="Error")
    services.void_document(actor=None, document=note, reason="Error de monto")
    assert balance_of(customer) == Decimal("300.00")
    services.void_document(actor=None, document=invoice, reason="Duplicada")
    invoice.refresh_from_db()
    assert invoice.status_on(timezone.localdate()) == Document.Status.VOIDED
    assert balance_of(customer) == Decimal("0.00")
    assert _account(customer).open_documents == 0


def test_usd_documents_count_in_soles_at_their_rate():
    customer = make_company()
    invoice = make_document(customer, total="100.00", currency="USD", exchange_rate="3.7555")
    assert balance_of(customer) == Decimal("375.55")
    pay(invoice, "33.33")
    # 66.67 × 3.7555 = 250.379… → 250.38
    assert balance_of(customer) == Decimal("250.38")


def test_usd_without_exchange_rate_is_refused():
    with pytest.raises(ValidationError) as exc:
        make_document(make_company(), currency="USD")
    assert "exchange_rate" in exc.value.message_dict


def test_duplicate_serie_number_is_refused():
    customer = make_company()
    make_document(customer, number=123)
    with pytest.raises(ValidationError) as exc:
        make_document(make_company(), number=123)
    assert exc.value.message_dict["number"] == ["Ya existe la factura F001-00000123."]


@pytest.mark.parametrize(
    "field,data",
    [
        ("due_date", {"term_days": -1}),
        ("total", {"total": "-5"}),
        ("total", {"total": "0"}),
        ("total", {"total": "1e12"}),
        ("series", {"series": "B001"}),
        ("issue_date", {"days_ago": -2}),
    ],
)
def test_bad_documents_are_refused_at_the_field(field, data):
    customer = make_company()
    with pytest.raises(ValidationError) as exc:
        make_document(customer, **data)
    assert field in exc.value.message_dict
    assert not Document.objects.filter(customer=customer).exists()


def test_consulta_cannot_register_documents_or_payments():
    customer = make_company()
    with pytest.raises(PermissionDenied):
        services.register_document(actor=user_with_role("Consulta"), customer=customer, data={})
    invoice = make_document(customer)
    with pytest.raises(PermissionDenied):
        services.register_payment(actor=user_with_role("Ventas"), document=invoice, data={})


def test_oldest_due_date_follows_open_documents():
    customer = make_company()
    old = make_document(customer, days_ago=60)
    new = make_document(customer, days_ago=10)
    assert _account(customer).oldest_due_date == old.due_date
    pay(old, "100")
    assert _account(customer).oldest_due_date == new.due_date


# --- delete guards ---------------------------------------------------------------------------


def test_unpaid_reasons_name_the_count_and_amount():
    customer = make_company()
    for total in ("1000", "200", "50"):
        make_document(customer, total=total)
    assert services.unpaid_document_reasons(customer) == ["tiene 3 comprobantes por cobrar (S/ 1,250.00)"]


def test_paid_documents_still_refuse_the_purge():
    customer = make_company()
    invoice = make_document(customer)
    pay(invoice, "100")
    assert services.unpaid_document_reasons(customer) == []
    assert services.referencing_document_reasons(customer) == ["tiene 1 comprobante registrado"]


# --- recompute -------------------------------------------------------------------------------


def test_recompute_finds_nothing_after_the_services():
    customer = make_company()
    invoice = make_document(customer, total="500", currency="USD", exchange_rate="3.8")
    pay(invoice, "120.55")
    make_document(customer, doc_type="07", total="10", related=invoice.pk, currency="USD", exchange_rate="3.8")
    make_document(make_company(), total="99.99", days_ago=100)
    assert services.recompute_balances() == []


def test_recompute_reports_and_fixes_a_corrupted_balance():
    customer = make_company()
    invoice = make_document(customer, total="500")
    pay(invoice, "100")
    CreditAccount.objects.filter(customer=customer).update(balance=Decimal("123.45"), open_documents=7)
    differences = services.recompute_balances()
    assert {(d.customer_id, d.field, d.computed) for d in differences} == {
        (customer.pk, "balance", Decimal("400.00")),
        (customer.pk, "open_documents", 1),
    }
    services.recompute_balances(fix=True)
    assert services.recompute_balances() == []
    assert balance_of(customer) == Decimal("400.00")


def test_recompute_command_reports_then_fixes():
    from io import StringIO

    from django.core.management import call_command

    customer = make_company()
    make_document(customer, total="80")
    CreditAccount.objects.filter(customer=customer).update(balance=Decimal("1.00"))
    out = StringIO()
    call_command("recompute_balances", stdout=out)
    assert f"balance de {customer.pk}: guardado 1.00, calculado 80.00" in out.getvalue()
    call_command("recompute_balances", "--fix", stdout=StringIO())
    out = StringIO()
    call_command("recompute_balances", stdout=out)
    assert "Sin diferencias" in out.getvalue()
