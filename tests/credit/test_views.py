from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import CreditAccount, CreditRequest, Document, Payment, PriceList
from customers.models import CustomerNote
from tests.credit.factories import make_document, pay
from tests.factories import make_company
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer():
    return make_company()


# Who may open what: (url name, needs a document, method, allowed roles).
PAGES = [
    ("credit:conditions", False, "get", {"Administrador", "Créditos", "Ventas", "Consulta"}),
    ("credit:panel", False, "get", {"Administrador", "Créditos", "Ventas", "Consulta"}),
    ("credit:documents", False, "get", {"Administrador", "Créditos", "Ventas", "Consulta"}),
    ("credit:points", False, "get", {"Administrador", "Créditos", "Ventas", "Consulta"}),
    ("credit:conditions_edit", False, "get", {"Administrador", "Créditos"}),
    ("credit:block", False, "get", {"Administrador", "Créditos"}),
    ("credit:document_create", False, "get", {"Administrador", "Créditos"}),
    ("credit:project_create", False, "get", {"Administrador", "Créditos"}),
    ("credit:points_adjust", False, "get", {"Administrador", "Créditos"}),
    ("credit:request_create", False, "get", {"Administrador", "Ventas"}),
    ("credit:payment_create", True, "get", {"Administrador", "Créditos"}),
    ("credit:document_void", True, "get", {"Administrador", "Créditos"}),
]
ROLES = ["Administrador", "Créditos", "Ventas", "Consulta"]


@pytest.mark.parametrize("name,with_document,method,allowed", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_customer_page_checks_the_role(client, customer, name, with_document, method, allowed, role):
    args = [customer.pk]
    if with_document:
        args.append(make_document(customer).pk)
    url = reverse(name, args=args)
    if role in allowed:
        assert_can(client, role, method, url, **HTMX)
    else:
        assert_cannot(client, role, method, url, **HTMX)


@pytest.mark.parametrize("role", ROLES)
def test_settings_and_queue_check_the_role(client, role):
    check = assert_can if role == "Administrador" else assert_cannot
    check(client, role, "get", reverse("credit:settings"))
    check = assert_can if role in ("Administrador", "Créditos") else assert_cannot
    check(client, role, "get", reverse("credit:requests"))


def test_ventas_posting_a_cupo_by_hand_is_refused(client, customer):
    assert_cannot(
        client, "Ventas", "post", reverse("credit:conditions_edit", args=[customer.pk]), {"credit_limit": "9000"}
    )
    assert not CreditAccount.objects.filter(customer=customer).exists()


def test_creditos_sets_the_cupo_and_sees_it(client, customer):
    url = reverse("credit:conditions_edit", args=[customer.pk])
    term = CreditAccount._meta.get_field("payment_term").related_model.objects.get(name="Crédito 30 días")
    assert_can(
        client, "Créditos", "post", url, {"credit_limit": "2,500.00", "payment_term": term.pk, "price_list": ""}, **HTMX
    )
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("2500.00")
    page = client.get(reverse("credit:conditions", args=[customer.pk]), **HTMX).content.decode()
    assert "S/ 2,500.00" in page and "Crédito 30 días" in page


def test_a_bad_cupo_shows_the_message_at_the_field(client, customer):
    url = reverse("credit:conditions_edit", args=[customer.pk])
    response = assert_can(client, "Créditos", "post", url, {"credit_limit": "-5"}, **HTMX)
    assert 'id="id_credit_limit-error"' in response.content.decode()
    assert "no puede ser negativo" in response.content.decode()


# --- amounts as people type them (peru.numbers: the import's rule, in every form) --------------


def test_a_cupo_of_2_000_is_asked_about_at_the_field_and_nothing_is_saved(client, customer):
    # «2.000»: two thousand to whoever typed it; saving S/ 2.00 without a word was the bug.
    url = reverse("credit:conditions_edit", args=[customer.pk])
    response = assert_can(client, "Créditos", "post", url, {"credit_limit": "2.000"}, **HTMX)
    page = response.content.decode()
    assert 'id="id_credit_limit-error"' in page
    assert (
        "El cupo de crédito «2.000» es ambiguo: escriba 2,000.00 si son miles o 2.00 si no "
        "(coma para los miles, punto para los decimales)."
    ) in page
    assert 'name="credit_limit" id="id_credit_limit" value="2.000"' in page  # what was typed, kept
    assert not CreditAccount.objects.filter(customer=customer, credit_limit__isnull=False).exists()


@pytest.mark.parametrize("typed", ["1.500,50", "1500,50", "S/ 1.500,50", "1,500.50"])
def test_a_cupo_typed_with_a_decimal_comma_or_ours_is_saved(client, customer, typed):
    url = reverse("credit:conditions_edit", args=[customer.pk])
    assert_can(client, "Créditos", "post", url, {"credit_limit": typed, "payment_term": "", "price_list": ""}, **HTMX)
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("1500.50")
    page = client.get(reverse("credit:conditions", args=[customer.pk]), **HTMX).content.decode()
    assert "S/ 1,500.50" in page


def test_every_money_field_of_the_pages_reads_the_typed_rule(client, customer):
    client.force_login(user_with_role("Administrador"))
    data = {"doc_type": "01", "series": "F001", "number": "7", "issue_date": "01/11/2026", "currency": "PEN"}
    create = reverse("credit:document_create", args=[customer.pk])
    page = client.post(create, {**data, "total": "12.500"}, **HTMX).content.decode()
    assert "El total «12.500» es ambiguo: escriba 12,500.00 si son miles o 12.50 si no" in page
    client.post(create, {**data, "total": "12.500,00"}, **HTMX)
    document = Document.objects.get(customer=customer)
    assert document.total == Decimal("12500.00")
    pay_url = reverse("credit:payment_create", args=[customer.pk, document.pk])
    page = client.post(pay_url, {"date": "02/11/2026", "amount": "2.000"}, **HTMX).content.decode()
    assert "El monto del pago «2.000» es ambiguo" in page and not Payment.objects.exists()
    client.post(pay_url, {"date": "02/11/2026", "amount": "2000,50"}, **HTMX)
    assert Payment.objects.get(document=document).amount == Decimal("2000.50")
    request_url = reverse("credit:request_create", args=[customer.pk])
    page = client.post(request_url, {"amount": "5.000", "reason": "Pedido grande"}, **HTMX).content.decode()
    assert "El cupo solicitado «5.000» es ambiguo" in page and not CreditRequest.objects.exists()
    client.post(request_url, {"amount": "5.000,00", "reason": "Pedido grande"}, **HTMX)
    credit_request = CreditRequest.objects.get(customer=customer)
    assert credit_request.amount == Decimal("5000.00")
    decide = reverse("credit:request_decide", args=[credit_request.pk])
    page = client.post(decide, {"decision": "aprobar", "amount": "4.000"}, follow=True).content.decode()
    assert "El cupo aprobado «4.000» es ambiguo" in page
    client.post(decide, {"decision": "aprobar", "amount": "4.000,00"})
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("4000.00")


def test_block_without_reason_is_refused_at_the_field(client, customer):
    url = reverse("credit:block", args=[customer.pk])
    response = assert_can(client, "Créditos", "post", url, {"operation": "bloquear", "reason": ""}, **HTMX)
    assert "Escriba el motivo del bloqueo." in response.content.decode()
    assert not CreditAccount.objects.filter(customer=customer, is_blocked=True).exists()


def test_block_with_reason_leaves_the_note(client, customer):
    url = reverse("credit:block", args=[customer.pk])
    assert_can(client, "Créditos", "post", url, {"operation": "bloquear", "reason": "Cheque rebotado"}, **HTMX)
    assert CustomerNote.objects.filter(
        customer=customer, kind="credito_bloqueado", text__contains="Cheque rebotado"
    ).exists()


def test_document_and_payment_through_the_forms(client, customer):
    url = reverse("credit:document_create", args=[customer.pk])
    data = {
        "doc_type": "01",
        "series": "F001",
        "number": "123",
        "issue_date": "01/11/2026",
        "due_date": "01/12/2026",
        "currency": "PEN",
        "total": "1,000.00",
    }
    assert_can(client, "Créditos", "post", url, data, **HTMX)
    document = Document.objects.get(customer=customer)
    assert document.serie_number == "F001-00000123"
    pay_url = reverse("credit:payment_create", args=[customer.pk, document.pk])
    response = client.post(pay_url, {"date": "02/11/2026", "amount": "2000"}, **HTMX)
    assert "El pago supera lo que se debe de F001-00000123: S/ 1,000.00." in response.content.decode()
    client.post(pay_url, {"date": "02/11/2026", "amount": "400"}, **HTMX)
    assert Payment.objects.get(document=document).amount == Decimal("400.00")
    tab = client.get(reverse("credit:documents", args=[customer.pk]), **HTMX).content.decode()
    assert "S/ 600.00" in tab and "F001-00000123" in tab


def test_documents_tab_filters_by_status(client, customer):
    paid = make_document(customer, total="10")
    pay(paid, "10")
    make_document(customer, total="20", days_ago=40)
    client.force_login(user_with_role("Consulta"))
    page = client.get(reverse("credit:documents", args=[customer.pk]), {"estado": "pagado"}, **HTMX).content.decode()
    assert paid.serie_number in page and page.count("data-document=") == 1


def test_list_in_use_is_refused_in_settings(client, customer):
    price_list = PriceList.objects.get(name="Lista general")
    CreditAccount.objects.create(customer=customer, price_list=price_list)
    url = reverse("credit:list_item_update", args=["listas-de-precios", price_list.pk])
    response = assert_can(client, "Administrador", "post", url, {"delete": "1"}, follow=True)
    assert "desactívela" in response.content.decode()
    assert PriceList.objects.filter(pk=price_list.pk).exists()


def test_request_queue_approval(client, customer):
    assert_can(
        client,
        "Ventas",
        "post",
        reverse("credit:request_create", args=[customer.pk]),
        {"amount": "5000", "reason": "Pedido grande"},
        **HTMX,
    )
    credit_request = CreditRequest.objects.get(customer=customer)
    assert_cannot(
        client, "Ventas", "post", reverse("credit:request_decide", args=[credit_request.pk]), {"decision": "aprobar"}
    )
    assert_can(
        client,
        "Créditos",
        "post",
        reverse("credit:request_decide", args=[credit_request.pk]),
        {"decision": "aprobar", "amount": "4000"},
    )
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("4000.00")


def test_admin_lists_credit_and_refuses_deleting_a_list_in_use(client, customer):
    price_list = PriceList.objects.get(name="Lista general")
    CreditAccount.objects.create(customer=customer, price_list=price_list)
    make_document(customer)
    client.force_login(user_with_role("Administrador", is_staff=True))
    for model in (
        "document",
        "payment",
        "creditaccount",
        "pricelist",
        "paymentterm",
        "creditrequest",
        "pointsmovement",
    ):
        assert client.get(reverse(f"admin:credit_{model}_changelist")).status_code == 200
    # The admin itself names the customers that use it (PROTECT); the service would refuse too.
    response = client.post(reverse("admin:credit_pricelist_delete", args=[price_list.pk]), {"post": "yes"}, follow=True)
    assert "No se puede eliminar" in response.content.decode()
    assert PriceList.objects.filter(pk=price_list.pk).exists()


def test_credit_pages_have_no_inline_script_or_style(client, customer):
    # The Content-Security-Policy (script-src/style-src 'self') would block them.
    import re

    document = make_document(customer)
    client.force_login(user_with_role("Administrador"))
    urls = [reverse("credit:settings"), reverse("credit:requests"), reverse("credit:my_requests")]
    urls += [
        reverse(name, args=[customer.pk])
        for name in (
            "credit:conditions",
            "credit:conditions_edit",
            "credit:block",
            "credit:panel",
            "credit:documents",
            "credit:document_create",
            "credit:project_create",
            "credit:points",
            "credit:points_adjust",
            "credit:request_create",
        )
    ]
    urls += [reverse("credit:payment_create", args=[customer.pk, document.pk])]
    for url in urls:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\s(style|on[a-z]+)=\"", html), url
