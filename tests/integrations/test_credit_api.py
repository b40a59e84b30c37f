"""/api/v1 comprobantes, pagos, cupo/bloqueo and credit authorizations; the credit fields, ETag
and If-Match of the customer; idempotency; scopes; attribution to the token; credit webhooks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from credit import events, services
from credit.models import CreditAccount, CreditAuthorization, Document, Payment
from customers.models import CustomerNote
from customers.services import suspend_customer, trash_customer, update_customer
from integrations.models import ApiToken, OutboxEvent, Scope, WebhookEndpoint
from tests.credit.factories import make_document
from tests.factories import company_data, make_company
from tests.integrations.conftest import ApiClient, make_token
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _today() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def invoicing(db):
    return ApiClient(make_token(name="Facturación", scopes=[Scope.DOCUMENTS])[1])


@pytest.fixture
def pos(db):
    return ApiClient(make_token(name="Punto de venta Tienda 1", scopes=[Scope.CREDIT, Scope.CUSTOMERS_READ])[1])


def _customer(limit="1000.00"):
    customer = make_company()
    if limit is not None:
        services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": limit})
    return customer


def _document_body(customer, **kw):
    body = {"customer_id": customer.pk, "doc_type": "01", "series": "F001", "number": 501, "issue_date": _today(),
            "total": "300.00"}  # fmt: skip
    body.update(kw)
    return body


# --- comprobantes ---------------------------------------------------------------------------------


def test_a_comprobante_moves_the_balance_and_is_attributed_to_the_token(invoicing):
    customer = _customer()
    response = invoicing.post("/api/v1/documents", _document_body(customer))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["serie_number"] == "F001-00000501" and body["status"] == "pendiente"
    assert body["outstanding"] == "300.00"
    assert CreditAccount.objects.get(customer=customer).balance == Decimal("300.00")
    assert Document.objects.get().created_by.get_full_name() == "vía API: Facturación"


def test_the_same_comprobante_twice_counts_once(invoicing):
    customer = _customer()
    first = invoicing.post("/api/v1/documents", _document_body(customer))
    again = invoicing.post("/api/v1/documents", _document_body(customer))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Document.objects.count() == 1
    assert CreditAccount.objects.get(customer=customer).balance == Decimal("300.00")


def test_the_same_serie_numero_with_other_data_is_a_duplicate(invoicing):
    customer = _customer()
    invoicing.post("/api/v1/documents", _document_body(customer))
    response = invoicing.post("/api/v1/documents", _document_body(customer, total="999.00"))
    assert response.status_code == 422
    assert "number" in response.json()["errors"]
    assert CreditAccount.objects.get(customer=customer).balance == Decimal("300.00")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"total": "-5"}, "total"),
        ({"total": "0"}, "total"),
        ({"total": "NaN"}, "total"),
        ({"total": "1e400"}, "total"),
        ({"total": 300.5}, "total"),
        ({"series": "X001"}, "series"),
        ({"number": 0}, "number"),
        ({"doc_type": "99"}, "doc_type"),
        ({"issue_date": "ayer"}, "issue_date"),
        ({"currency": "USD"}, "exchange_rate"),
        ({"total": "1" * 30}, "total"),
        ({"series": "F" * 1_000_000}, None),
    ],
)
def test_bad_comprobantes_get_a_field_message_and_write_nothing(invoicing, settings, change, field):
    settings.API_MAX_BODY_BYTES = 2_000_000
    customer = _customer()
    response = invoicing.post("/api/v1/documents", _document_body(customer, **change))
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["detail"]
    if field:
        assert field in body["errors"], body
    assert not Document.objects.exists()


def test_comprobantes_for_unknown_or_trashed_customers_are_not_found(invoicing):
    trashed = _customer()
    trash_customer(actor=None, customer=trashed)
    for customer_id in (999_999, trashed.pk):
        body = {**_document_body(trashed), "customer_id": customer_id}
        assert invoicing.post("/api/v1/documents", body).status_code == 404
    assert not Document.objects.exists()


def test_annul_stops_counting_and_twice_is_once(invoicing):
    customer = _customer()
    document = invoicing.post("/api/v1/documents", _document_body(customer)).json()
    for _ in range(2):
        response = invoicing.post(f"/api/v1/documents/{document['id']}/annul", {"reason": "Error de digitación"})
        assert response.status_code == 200 and response.json()["status"] == "anulado"
    assert CreditAccount.objects.get(customer=customer).balance == 0
    notes = CustomerNote.objects.filter(customer=customer, text__contains="anulado")
    assert notes.count() == 1 and notes.get().author.get_full_name() == "vía API: Facturación"
    assert invoicing.post("/api/v1/documents/999999/annul", {"reason": "x"}).status_code == 404
    assert invoicing.post(f"/api/v1/documents/{document['id']}/annul", {}).status_code == 422


# --- pagos ------------------------------------------------------------------------------------------


def test_a_payment_counts_once_per_reference(invoicing):
    customer = _customer()
    document = make_document(customer, total="300.00")
    body = {"document_id": document.pk, "amount": "100.00", "reference": "OP-123"}
    first = invoicing.post("/api/v1/payments", body)
    assert first.status_code == 201, first.content
    assert first.json()["document"]["outstanding"] == "200.00"
    again = invoicing.post("/api/v1/payments", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Payment.objects.count() == 1
    assert CreditAccount.objects.get(customer=customer).balance == Decimal("200.00")
    other = invoicing.post("/api/v1/payments", {**body, "amount": "50.00"})
    assert other.status_code == 422 and "reference" in other.json()["errors"]


def test_a_payment_above_what_is_owed_is_refused(invoicing):
    customer = _customer()
    document = make_document(customer, total="300.00")
    response = invoicing.post("/api/v1/payments", {"document_id": document.pk, "amount": "300.01", "reference": "OP-9"})
    assert response.status_code == 422 and "amount" in response.json()["errors"]
    missing = invoicing.post("/api/v1/payments", {"document_id": document.pk, "amount": "1.00"})
    assert missing.status_code == 422 and "reference" in missing.json()["errors"]
    assert not Payment.objects.exists()
    assert CreditAccount.objects.get(customer=customer).balance == Decimal("300.00")


# --- cupo y bloqueo -----------------------------------------------------------------------------------


def test_put_credit_changes_the_cupo_and_the_block_with_notes_by_the_token(pos):
    customer = _customer("1000.00")
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "2500.00"})
    assert response.status_code == 200, response.content
    assert response.json()["credit_limit"] == "2500.00" and response.json()["available"] == "2500.00"
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"blocked": True, "reason": "Cheque rebotado"})
    assert response.json()["is_blocked"] is True and response.json()["blocked_reason"] == "Cheque rebotado"
    notes = CustomerNote.objects.filter(customer=customer, author__first_name="vía API: Punto de venta Tienda 1")
    assert {n.kind for n in notes} == {"cupo_cambiado", "credito_bloqueado"}
    # The same state again changes nothing.
    assert pos.put(f"/api/v1/customers/{customer.pk}/credit", {"blocked": True}).status_code == 200
    assert notes.count() == 2


def test_put_credit_is_all_or_nothing(pos):
    customer = _customer("1000.00")
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "2500.00", "blocked": True})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    account = CreditAccount.objects.get(customer=customer)
    assert account.credit_limit == Decimal("1000.00") and not account.is_blocked
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "-1"})
    assert response.status_code == 422 and "credit_limit" in response.json()["errors"]


def test_a_programs_2_000_is_a_decimal_as_written_while_a_persons_is_asked_about(pos, invoicing, client):
    # The API's amounts are a program's decimal strings (README, «Comprobantes, pagos, crédito»):
    # "2.000" is 2.00 and a decimal comma is refused; the same text typed in the page is refused
    # as ambiguous (two thousand or two?), never saved as S/ 2.00.
    customer = _customer("1000.00")
    client.force_login(user_with_role("Créditos"))
    page = client.post(reverse("credit:conditions_edit", args=[customer.pk]), {"credit_limit": "2.000"}, **HTMX)
    assert "«2.000» es ambiguo" in page.content.decode()
    assert CreditAccount.objects.get(customer=customer).credit_limit == Decimal("1000.00")

    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "2.000"})
    assert response.status_code == 200 and response.json()["credit_limit"] == "2.00"
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "1500,50"})
    assert response.status_code == 422 and "credit_limit" in response.json()["errors"]
    response = invoicing.post("/api/v1/documents", _document_body(customer, total="1.500"))
    assert response.status_code == 201 and response.json()["total"] == "1.50"
    document = Document.objects.get()
    body = {"document_id": document.pk, "amount": "1.000", "reference": "OP-1"}
    assert invoicing.post("/api/v1/payments", body).json()["amount"] == "1.00"
    body = {"customer_id": customer.pk, "amount": "1.000", "reference": "V-1"}
    assert pos.post("/api/v1/credit/authorizations", body).json()["amount"] == "1.00"


def test_the_old_sol_sign_is_not_read_as_a_point(pos):
    # «S/.» is how many still write the sol: "S/. 1500" was read as ".1500", S/ 0.15.
    customer = _customer("1000.00")
    response = pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "S/. 1500"})
    assert response.status_code == 200 and response.json()["credit_limit"] == "1500.00"


def test_credit_changes_are_webhook_events_in_the_same_transaction(pos):
    customer = _customer("1000.00")
    WebhookEndpoint.objects.create(
        name="POS", url="http://127.0.0.1:9/x", secret="secreto-de-prueba-123456",
        events=[events.BLOCKED, events.UNBLOCKED, events.LIMIT_CHANGED],
    )  # fmt: skip
    pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "1500.00", "blocked": True, "reason": "Mora"})
    pos.put(f"/api/v1/customers/{customer.pk}/credit", {"blocked": False, "reason": "Pagó"})
    assert list(OutboxEvent.objects.order_by("id").values_list("event", flat=True)) == [
        events.LIMIT_CHANGED, events.BLOCKED, events.UNBLOCKED,
    ]  # fmt: skip
    limit = OutboxEvent.objects.get(event=events.LIMIT_CHANGED)
    assert limit.payload["data"]["credit_limit"] == {"before": "1000.00", "after": "1500.00"}
    # A refused change (no reason) writes no event.
    pos.put(f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "9.00", "blocked": True})
    assert OutboxEvent.objects.count() == 3


# --- the customer's read: credit fields, ETag, If-Match ---------------------------------------------


def test_the_customer_read_carries_credit_fields_and_its_etag(pos):
    customer = _customer("1000.00")
    make_document(customer, total="200.00")
    pos.post("/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "300.00", "reference": "V-1"})
    response = pos.get(f"/api/v1/customers/{customer.pk}")
    credit = response.json()["credit"]
    assert credit["credit_limit"] == "1000.00" and credit["balance"] == "200.00" and credit["held"] == "300.00"
    assert credit["available"] == "500.00" and credit["is_blocked"] is False and credit["points"] == 0
    customer.refresh_from_db()
    assert response["ETag"] == f'"{customer.version}"' and response.json()["version"] == customer.version


def test_patch_with_a_stale_etag_on_the_same_field_is_412_and_writes_nothing(api):
    customer = make_company(business_line="Ferretería")
    etag = api.get(f"/api/v1/customers/{customer.pk}")["ETag"]
    data = {
        **company_data(),
        "document_number": customer.document_number,
        "business_name": customer.business_name,
        "business_line": "Panadería",
    }
    update_customer(actor=None, customer=customer, data=data)
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "Textil"}, headers={"If-Match": etag})
    assert response.status_code == 412, response.content
    assert "business_line" in response.json()["errors"]
    customer.refresh_from_db()
    assert customer.business_line == "Panadería"
    assert response["ETag"] == f'"{customer.version}"'
    # With the current ETag it goes through, and answers the new one.
    response = api.patch(
        f"/api/v1/customers/{customer.pk}", {"business_line": "Textil"}, headers={"If-Match": response["ETag"]}
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.business_line == "Textil" and response["ETag"] == f'"{customer.version}"'


def test_patch_with_a_stale_etag_on_other_fields_merges(api):
    customer = make_company(business_line="Ferretería", website="")
    etag = api.get(f"/api/v1/customers/{customer.pk}")["ETag"]
    api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "Panadería"})
    response = api.patch(
        f"/api/v1/customers/{customer.pk}", {"website": "https://ejemplo.pe"}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.business_line == "Panadería" and customer.website == "https://ejemplo.pe"


def test_a_malformed_if_match_is_400(api):
    customer = make_company()
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "X"}, headers={"If-Match": "abc"})
    assert response.status_code == 400


# --- authorizations ---------------------------------------------------------------------------------------


def test_an_authorization_is_approved_with_the_remaining_available(pos):
    customer = _customer("1000.00")
    response = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["approved"] is True and body["status"] == "aprobada" and body["available"] == "600.00"
    assert body["reason"] == "" and body["refusal"] is None
    again = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    )
    assert again.status_code == 200 and again.json() == body
    assert CreditAccount.objects.get(customer=customer).held == Decimal("400.00")
    assert CreditAuthorization.objects.get().requested_by.get_full_name() == "vía API: Punto de venta Tienda 1"


def test_a_refusal_says_why_and_how_much_is_available(pos):
    customer = _customer("100.00")
    body = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-2"}
    ).json()
    assert body["approved"] is False and body["refusal"] == "insufficient" and body["available"] == "100.00"
    assert "S/ 100.00" in body["reason"]
    suspended = _customer()
    suspend_customer(actor=None, customer=suspended)
    body = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": suspended.pk, "amount": "1.00", "reference": "V-3"}
    ).json()
    assert body["approved"] is False and body["refusal"] == "inactive"


@pytest.mark.parametrize("amount", ["0", "-1", "NaN", "1e999", "abc", "0.001", 12.5, None, "9" * 40])
def test_bad_authorization_amounts_are_422(pos, amount):
    customer = _customer()
    response = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": amount, "reference": "V"}
    )
    assert response.status_code == 422 and "amount" in response.json()["errors"]
    assert not CreditAuthorization.objects.exists()


def test_unknown_customers_are_404_and_a_reference_reused_is_422(pos):
    response = pos.post("/api/v1/credit/authorizations", {"customer_id": 999_999, "amount": "1.00", "reference": "V"})
    assert response.status_code == 404
    customer = _customer()
    pos.post("/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "1.00", "reference": "V"})
    response = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "2.00", "reference": "V"}
    )
    assert response.status_code == 422 and "reference" in response.json()["errors"]


def test_an_authorization_costs_a_fixed_number_of_statements(pos, django_assert_num_queries):
    customer = _customer("1000.00")
    pos.post("/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "1.00", "reference": "V-0"})
    # The token with its user's permissions and the rate count (1); the balance row locked with
    # its customer and the expired-holds check, the INSERT that also checks the reference, the
    # held amount (3), inside the savepoint the test's transaction turns BEGIN/COMMIT into (2).
    with django_assert_num_queries(6):
        response = pos.post(
            "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "2.00", "reference": "V-1"}
        )
    assert response.status_code == 201 and response.json()["available"] == "997.00"
    # A replay: the same lock and INSERT, then the first answer read instead of a new hold.
    with django_assert_num_queries(6):
        again = pos.post(
            "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "2.00", "reference": "V-1"}
        )
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert CreditAccount.objects.get(customer=customer).held == Decimal("3.00")


def test_a_permission_taken_from_the_token_user_counts_from_the_next_request(pos):
    customer = _customer("1000.00")
    body = {"customer_id": customer.pk, "amount": "1.00", "reference": "V-1"}
    assert pos.post("/api/v1/credit/authorizations", body).status_code == 201
    user = ApiToken.objects.get(name="Punto de venta Tienda 1").user
    user.user_permissions.remove(Permission.objects.get(codename="add_creditauthorization"))
    response = pos.post("/api/v1/credit/authorizations", {**body, "reference": "V-2"})
    assert response.status_code == 403
    assert list(CreditAuthorization.objects.values_list("reference", flat=True)) == ["V-1"]


def test_an_expired_hold_is_released_by_the_next_authorization_over_the_api(pos):
    customer = _customer("1000.00")
    first = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "900.00", "reference": "V-1"}
    )
    CreditAuthorization.objects.filter(pk=first.json()["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    second = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "800.00", "reference": "V-2"}
    )
    assert second.json()["approved"] is True and second.json()["available"] == "200.00"
    assert CreditAuthorization.objects.get(pk=first.json()["id"]).status == "vencida"
    assert CreditAccount.objects.get(customer=customer).held == Decimal("800.00")
    assert services.recompute_balances() == []


def test_read_and_cancel_an_authorization(pos):
    customer = _customer("1000.00")
    created = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    ).json()
    assert pos.get(f"/api/v1/credit/authorizations/{created['id']}").json()["status"] == "aprobada"
    for _ in range(2):
        response = pos.post(f"/api/v1/credit/authorizations/{created['id']}/cancel")
        assert response.status_code == 200 and response.json()["status"] == "cancelada"
    assert CreditAccount.objects.get(customer=customer).held == 0
    assert pos.get("/api/v1/credit/authorizations/999999").status_code == 404


def test_another_systems_authorizations_are_not_found(pos):
    customer = _customer("1000.00")
    created = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "1.00", "reference": "V-1"}
    ).json()
    other = ApiClient(make_token(name="Tienda 2", scopes=[Scope.CREDIT])[1])
    assert other.get(f"/api/v1/credit/authorizations/{created['id']}").status_code == 404
    assert other.post(f"/api/v1/credit/authorizations/{created['id']}/cancel").status_code == 404


def test_an_expired_authorization_reads_vencida_and_stops_holding(pos):
    customer = _customer("1000.00")
    created = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    ).json()
    CreditAuthorization.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert pos.get(f"/api/v1/credit/authorizations/{created['id']}").json()["status"] == "vencida"
    assert pos.get(f"/api/v1/customers/{customer.pk}").json()["credit"]["available"] == "1000.00"


def test_an_override_is_readable_by_the_point_of_sale(pos):
    from credit.authorizations import override_authorization
    from tests.roles import user_with_role

    customer = _customer("100.00")
    created = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    ).json()
    override_authorization(
        actor=user_with_role("Créditos", first_name="Rosa"),
        authorization=CreditAuthorization.objects.get(pk=created["id"]),
        reason="Cliente antiguo",
    )
    body = pos.get(f"/api/v1/credit/authorizations/{created['id']}").json()
    assert body["approved"] is True and body["status"] == "aprobada" and body["overridden"] is True
    assert body["override_reason"] == "Cliente antiguo" and body["overridden_by"] == "Rosa"


def test_a_comprobante_naming_the_authorization_ends_its_hold(pos, invoicing):
    customer = _customer("1000.00")
    created = pos.post(
        "/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "400.00", "reference": "V-1"}
    ).json()
    response = invoicing.post(
        "/api/v1/documents", _document_body(customer, total="400.00", authorization_id=created["id"])
    )
    assert response.status_code == 201
    account = CreditAccount.objects.get(customer=customer)
    assert account.held == 0 and account.balance == Decimal("400.00")
    assert pos.get(f"/api/v1/credit/authorizations/{created['id']}").json()["status"] == "usada"
    assert pos.get(f"/api/v1/credit/authorizations/{created['id']}").json()["document_id"] == response.json()["id"]


# --- scopes ---------------------------------------------------------------------------------------------

NEW_ENDPOINTS = [
    ("post", "/api/v1/documents", Scope.DOCUMENTS),
    ("post", "/api/v1/documents/{document}/annul", Scope.DOCUMENTS),
    ("post", "/api/v1/payments", Scope.DOCUMENTS),
    ("put", "/api/v1/customers/{customer}/credit", Scope.CREDIT),
    ("post", "/api/v1/credit/authorizations", Scope.CREDIT),
    ("get", "/api/v1/credit/authorizations/{authorization}", Scope.CREDIT),
    ("post", "/api/v1/credit/authorizations/{authorization}/cancel", Scope.CREDIT),
]


@pytest.mark.parametrize("scope", list(Scope.values))
def test_scope_matrix_of_the_credit_endpoints(scope):
    customer = _customer("1000.00")
    document = make_document(customer, total="10.00")
    owner = make_token(name=f"Dueño {scope}", scopes=[Scope.CREDIT])
    authorization = (
        ApiClient(owner[1])
        .post("/api/v1/credit/authorizations", {"customer_id": customer.pk, "amount": "1.00", "reference": "V-S"})
        .json()
    )
    client = ApiClient(make_token(name=f"Token {scope}", scopes=[scope])[1])
    for method, template, needed in NEW_ENDPOINTS:
        url = template.format(customer=customer.pk, document=document.pk, authorization=authorization["id"])
        call = getattr(client, method)
        response = call(url) if method == "get" else call(url, {})
        if scope == needed:
            assert response.status_code not in (401, 403), (scope, method, url, response.status_code)
        else:
            assert response.status_code == 403, (scope, method, url, response.status_code)
        assert ApiClient().post(url, {}).status_code in (401, 405)
