"""/api/v1/customers: search and pick, read, create (idempotent), update, Desactivar / Activar,
changes since a cursor; attributed to the token in history and notes; scopes."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from attributes.models import AttributeDefinition
from customers.models import Customer, CustomerNote
from customers.services import suspend_customer, trash_customer
from integrations.models import IdempotencyRecord, Scope
from tests.factories import company_data, make_address, make_company, make_person, valid_ruc
from tests.integrations.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _settle(*customers):
    """The changes feed leaves out the last seconds (transactions still committing): age them."""
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(updated_at=timezone.now() - timedelta(minutes=1))


# --- search ----------------------------------------------------------------------------------


def test_search_finds_by_document_name_fragment_and_phone(api):
    target = make_company(business_name="Ferretería El Tornillo Feliz S.A.C.", phone="+51987001122")
    make_company(business_name="Panadería La Espiga S.A.C.")
    for q in (target.document_number, "tornillo", "987001122"):
        response = api.get("/api/v1/customers", {"q": q})
        assert response.status_code == 200, q
        assert [row["id"] for row in response.json()["results"]] == [target.pk], q


def test_search_leaves_out_suspended_and_trashed_customers(api):
    active = make_company(business_name="Tornillos Activos S.A.C.")
    suspended = make_company(business_name="Tornillos Suspendidos S.A.C.")
    trashed = make_company(business_name="Tornillos Papelera S.A.C.")
    suspend_customer(actor=None, customer=suspended)
    trash_customer(actor=None, customer=trashed)
    ids = [row["id"] for row in api.get("/api/v1/customers", {"q": "tornillos"}).json()["results"]]
    assert ids == [active.pk]


def test_search_says_when_there_are_more_than_the_limit(api):
    for _ in range(3):
        make_company(business_name="Distribuidora Repetida S.A.C.")
    body = api.get("/api/v1/customers", {"q": "repetida", "limit": 2}).json()
    assert len(body["results"]) == 2 and body["more"] is True


def test_search_needs_a_term_and_a_sane_limit(api):
    assert api.get("/api/v1/customers").status_code == 422
    response = api.get("/api/v1/customers", {"q": "x", "limit": 10_000})
    assert response.status_code == 422
    assert "limit" in response.json()["errors"]


# --- read ------------------------------------------------------------------------------------


def test_read_gives_data_addresses_contacts_and_attributes_by_name(api):
    definition = AttributeDefinition.objects.create(name="Zona de reparto", kind="text")
    customer = make_company(attributes={definition.key: "Norte"})
    make_address(customer=customer, street="Jr. Puno 100")
    body = api.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["id"] == customer.pk and body["document_number"] == customer.document_number
    assert body["attributes"] == {"Zona de reparto": "Norte"}
    assert [a["street"] for a in body["addresses"]] == ["Jr. Puno 100"]
    assert body["addresses"][0]["district"] and body["addresses"][0]["department_name"]
    assert body["contacts"] == []


def test_read_of_an_unknown_or_trashed_customer_is_404_json(api):
    customer = make_company()
    trash_customer(actor=None, customer=customer)
    for pk in (customer.pk, 999_999):
        response = api.get(f"/api/v1/customers/{pk}")
        assert response.status_code == 404
        assert response.json()["detail"]


# --- create ----------------------------------------------------------------------------------


def test_create_goes_through_the_services_and_answers_the_customer(api):
    data = company_data(phones=[{"number": "987654321", "whatsapp": True}], emails=["Compras@Quispe.pe"])
    response = api.post("/api/v1/customers", data)
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.document_number == data["document_number"]
    assert body["phones"] == [{"number": "+51987654321", "whatsapp": True}]
    assert body["emails"] == ["compras@quispe.pe"]  # the service's normalisation


def test_create_errors_name_each_field_in_spanish_and_write_nothing(api):
    response = api.post(
        "/api/v1/customers",
        {"kind": "empresa", "document_type": "6", "document_number": "20100070971", "emails": ["no-es-correo"]},
    )
    assert response.status_code == 422
    body = response.json()
    assert "document_number" in body["errors"] and "emails" in body["errors"]
    assert "business_name" in body["errors"]
    assert any("razón social" in m for m in body["errors"]["business_name"])
    assert "address.street" in body["errors"] or "address.district" in body["errors"]
    assert not Customer.objects.exists()


def test_create_of_a_duplicate_document_names_the_holder(api):
    holder = make_company()
    response = api.post("/api/v1/customers", company_data(document_number=holder.document_number))
    assert response.status_code == 422
    assert holder.name in response.json()["errors"]["document_number"][0]
    assert Customer.objects.count() == 1


def test_create_with_the_same_idempotency_key_twice_creates_one_customer(api):
    data = company_data()
    first = api.post("/api/v1/customers", data, headers={"Idempotency-Key": "venta-0001"})
    second = api.post("/api/v1/customers", data, headers={"Idempotency-Key": "venta-0001"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json() == second.json()
    assert Customer.objects.count() == 1


def test_an_idempotency_key_reused_with_other_data_is_refused(api):
    api.post("/api/v1/customers", company_data(), headers={"Idempotency-Key": "k1"})
    response = api.post("/api/v1/customers", company_data(), headers={"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert Customer.objects.count() == 1


def test_a_refused_create_keeps_its_key_free(api):
    bad = api.post("/api/v1/customers", company_data(business_name=""), headers={"Idempotency-Key": "k2"})
    assert bad.status_code == 422 and not IdempotencyRecord.objects.exists()
    good = api.post("/api/v1/customers", company_data(), headers={"Idempotency-Key": "k2"})
    assert good.status_code == 201


def test_idempotency_keys_belong_to_their_token(api):
    data = company_data()
    api.post("/api/v1/customers", data, headers={"Idempotency-Key": "same"})
    other = ApiClient(make_token(name="Otra tienda")[1])
    data2 = company_data()
    assert other.post("/api/v1/customers", data2, headers={"Idempotency-Key": "same"}).status_code == 201
    assert Customer.objects.count() == 2


# --- update, deactivate, activate ------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(api):
    customer = make_company(business_line="Ferretería")
    phones_before = list(customer.phones.values_list("number", flat=True))
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "Panadería"})
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.business_line == "Panadería"
    assert list(customer.phones.values_list("number", flat=True)) == phones_before
    assert response.json()["business_line"] == "Panadería"


def test_patch_with_invalid_data_changes_nothing(api):
    customer = make_company()
    response = api.patch(f"/api/v1/customers/{customer.pk}", {"business_name": "", "website": "no es web"})
    assert response.status_code == 422
    assert {"business_name", "website"} <= set(response.json()["errors"])
    assert Customer.objects.get(pk=customer.pk).business_name == customer.business_name


def test_patch_of_a_trashed_customer_is_404(api):
    customer = make_company()
    trash_customer(actor=None, customer=customer)
    assert api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "X"}).status_code == 404


def test_deactivate_then_activate(api):
    customer = make_company(business_name="Suspendible S.A.C.")
    response = api.post(f"/api/v1/customers/{customer.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert api.get("/api/v1/customers", {"q": "suspendible"}).json()["results"] == []
    response = api.post(f"/api/v1/customers/{customer.pk}/activate")
    assert response.json()["is_active"] is True
    assert Customer.objects.get(pk=customer.pk).is_active


def test_history_and_notes_name_the_token(api):
    response = api.post("/api/v1/customers", company_data())
    customer = Customer.objects.get(pk=response.json()["id"])
    api.patch(f"/api/v1/customers/{customer.pk}", {"business_line": "Panadería"})
    api.post(f"/api/v1/customers/{customer.pk}/deactivate")
    records = list(customer.history.order_by("history_id"))
    assert len(records) == 3
    assert {r.history_user.get_full_name() for r in records} == {"vía API: Punto de venta Tienda 1"}
    notes = CustomerNote.objects.filter(customer=customer)
    assert notes.count() == 3
    assert {n.author.get_full_name() for n in notes} == {"vía API: Punto de venta Tienda 1"}


# --- changes since ---------------------------------------------------------------------------


def test_changes_since_walks_every_change_once_with_the_cursor(api):
    customers = [make_company() for _ in range(5)]
    _settle(*customers)
    first = api.get("/api/v1/customers/changes", {"limit": 3}).json()
    assert [r["id"] for r in first["results"]] == [c.pk for c in customers[:3]] and first["more"]
    second = api.get("/api/v1/customers/changes", {"since": first["next"], "limit": 3}).json()
    assert [r["id"] for r in second["results"]] == [c.pk for c in customers[3:]] and not second["more"]
    third = api.get("/api/v1/customers/changes", {"since": second["next"]}).json()
    assert third["results"] == [] and third["next"] == second["next"]


def test_changes_report_edits_suspensions_and_the_papelera(api):
    kept, suspended, trashed = make_company(), make_company(), make_company()
    _settle(kept, suspended, trashed)
    cursor = api.get("/api/v1/customers/changes").json()["next"]
    suspend_customer(actor=None, customer=suspended)
    trash_customer(actor=None, customer=trashed)
    _settle(suspended, trashed)
    results = api.get("/api/v1/customers/changes", {"since": cursor}).json()["results"]
    by_id = {r["id"]: r for r in results}
    assert set(by_id) == {suspended.pk, trashed.pk}
    assert by_id[suspended.pk]["customer"]["is_active"] is False
    assert by_id[trashed.pk] == {"id": trashed.pk, "deleted": True, "customer": None}


def test_changes_leave_the_last_seconds_for_the_next_call(api):
    make_company()  # just written: a transaction of the same moment may still be committing
    assert api.get("/api/v1/customers/changes").json()["results"] == []


def test_a_bad_cursor_is_a_422_naming_since(api):
    response = api.get("/api/v1/customers/changes", {"since": "ayer"})
    assert response.status_code == 422
    assert "since" in response.json()["errors"]


# --- scopes ----------------------------------------------------------------------------------

ENDPOINTS = [
    # (method, path, needs write)
    ("get", "/api/v1/customers?q=abc", False),
    ("get", "/api/v1/customers/{id}", False),
    ("get", "/api/v1/customers/changes", False),
    ("post", "/api/v1/customers", True),
    ("patch", "/api/v1/customers/{id}", True),
    ("post", "/api/v1/customers/{id}/deactivate", True),
    ("post", "/api/v1/customers/{id}/activate", True),
]
SCOPE_SETS = {
    "read": [Scope.CUSTOMERS_READ],
    "write": [Scope.CUSTOMERS_WRITE],
    "documents": [Scope.DOCUMENTS],
    "credit": [Scope.CREDIT],
}


@pytest.mark.parametrize("scope_name", SCOPE_SETS)
@pytest.mark.parametrize(("method", "path", "needs_write"), ENDPOINTS)
def test_scope_matrix(scope_name, method, path, needs_write):
    customer = make_person()
    client = ApiClient(make_token(name=f"Token {scope_name}", scopes=SCOPE_SETS[scope_name])[1])
    body = company_data(document_number=valid_ruc()) if path == "/api/v1/customers" else {}
    if method == "patch":
        body = {"note": "x"}
    url = path.format(id=customer.pk)
    before = list(customer.history.values_list("history_id", flat=True))
    call = getattr(client, method)
    response = call(url, body) if method in ("post", "patch") else call(url)
    allowed = scope_name == "write" or (scope_name == "read" and not needs_write)
    if allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["detail"].startswith("El token no tiene el permiso")
        assert list(customer.history.values_list("history_id", flat=True)) == before
        assert Customer.objects.count() == 1


def test_answers_are_json_in_utf8(api):
    customer = make_company(business_name="Ñandú Peña S.A.C.")
    response = api.get(f"/api/v1/customers/{customer.pk}")
    assert json.loads(response.content.decode("utf-8"))["name"] == "Ñandú Peña S.A.C."
