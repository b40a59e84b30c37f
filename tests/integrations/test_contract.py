"""Contract tests: every answer of the API, successes and errors, validated against the
OpenAPI schema the API publishes at /api/v1/openapi.json (JSON Schema 2020-12, as OpenAPI 3.1
uses); and every operation of the schema is exercised here."""

import re

import pytest
from django.test import Client
from jsonschema import Draft202012Validator

from credit.models import CreditAuthorization
from customers.services import trash_customer
from tests.factories import company_data, make_address, make_company
from tests.integrations.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


class Contract:
    def __init__(self):
        self.schema = Client().get("/api/v1/openapi.json").json()
        self.seen: set[tuple[str, str]] = set()
        self.operations = {(method.upper(), path) for path, item in self.schema["paths"].items() for method in item}

    def _operation(self, method: str, url: str) -> tuple[str, dict]:
        path = url.split("?")[0]
        for template, item in self.schema["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return template, item[method.lower()]
        raise AssertionError(f"{method} {path} is not in the published schema")

    def check(self, method: str, url: str, response) -> dict:
        template, operation = self._operation(method, url)
        status = str(response.status_code)
        documented = operation["responses"].get(status)
        assert documented is not None, f"{method} {template} answered {status}, not in the schema"
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        schema = {**documented["content"]["application/json"]["schema"], "components": self.schema["components"]}
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        assert not errors, f"{method} {template} {status}: {errors[0].message} at {list(errors[0].path)}"
        self.seen.add((method.upper(), template))
        return body


@pytest.fixture
def contract():
    return Contract()


def _call(contract, client, method, url, body=None, **kw):
    call = getattr(client, method)
    response = call(url, body, **kw) if method in ("post", "patch", "put") else call(url, **kw)
    return response, contract.check(method.upper(), url, response)


def test_every_answer_matches_the_published_schema(contract, api):
    customer = make_company()
    make_address(customer=customer)
    trashed = make_company()
    trash_customer(actor=None, customer=trashed)
    reader = ApiClient(make_token(name="Lector", scopes=["customers:read"])[1])
    nobody = ApiClient()
    calls = [
        ("get", f"/api/v1/customers?q={customer.document_number}", None, 200),
        ("get", "/api/v1/customers?q=x&limit=0", None, 422),
        ("get", f"/api/v1/customers/{customer.pk}", None, 200),
        ("get", f"/api/v1/customers/{trashed.pk}", None, 404),
        ("get", "/api/v1/customers/changes", None, 200),
        ("get", "/api/v1/customers/changes?since=ayer", None, 422),
        ("post", "/api/v1/customers", company_data(), 201),
        ("post", "/api/v1/customers", {"kind": "empresa"}, 422),
        ("post", "/api/v1/customers", {"kind": 1}, 422),
        ("patch", f"/api/v1/customers/{customer.pk}", {"business_line": "Textil"}, 200),
        ("patch", f"/api/v1/customers/{customer.pk}", {"website": "nada"}, 422),
        ("post", f"/api/v1/customers/{customer.pk}/deactivate", None, 200),
        ("post", f"/api/v1/customers/{customer.pk}/activate", None, 200),
    ]
    for method, url, body, status in calls:
        response, _ = _call(contract, api, method, url, body)
        assert response.status_code == status, (method, url, response.content[:300])
    ids = _credit_calls(contract, customer)
    # Errors of authentication and scope, on every operation.
    for method, template in sorted(contract.operations):
        url = template.replace("{customer_id}", str(customer.pk))
        url = url.replace("{document_id}", str(ids["document"])).replace(
            "{authorization_id}", str(ids["authorization"])
        )
        if method == "GET" and template == "/api/v1/customers":
            url += "?q=abc"
        with_body = method in ("POST", "PATCH", "PUT")
        response, _ = _call(contract, nobody, method.lower(), url, {} if with_body else None)
        assert response.status_code == 401
        if method != "GET" or "authorizations" in template:
            response, _ = _call(contract, reader, method.lower(), url, {} if with_body else None)
            assert response.status_code == 403


def _credit_calls(contract, customer) -> dict:
    """Comprobantes, pagos, cupo and authorizations, successes and errors."""
    from django.utils import timezone

    from credit.services import update_sales_conditions

    update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "1000.00"})
    docs = ApiClient(make_token(name="Facturación", scopes=["documents"])[1])
    pos = ApiClient(make_token(name="Caja", scopes=["credit"])[1])
    today = timezone.localdate().isoformat()
    document = {"customer_id": customer.pk, "doc_type": "01", "series": "F001", "number": 7, "issue_date": today,
                "total": "100.00"}  # fmt: skip
    _, created = _call(contract, docs, "post", "/api/v1/documents", document)
    other = {**document, "number": 8}
    _, voidable = _call(contract, docs, "post", "/api/v1/documents", other)
    auth = {"customer_id": customer.pk, "amount": "50.00", "reference": "V-1"}
    calls = [
        (docs, "post", "/api/v1/documents", document, 200),
        (docs, "post", "/api/v1/documents", {**document, "total": "-1", "number": 9}, 422),
        (docs, "post", "/api/v1/documents", {**document, "customer_id": 999999}, 404),
        (docs, "post", f"/api/v1/documents/{voidable['id']}/annul", {"reason": "Error"}, 200),
        (docs, "post", "/api/v1/documents/999999/annul", {"reason": "Error"}, 404),
        (docs, "post", "/api/v1/payments", {"document_id": created["id"], "amount": "10.00", "reference": "OP-1"}, 201),
        (docs, "post", "/api/v1/payments", {"document_id": created["id"], "amount": "10.00", "reference": "OP-1"}, 200),
        (
            docs,
            "post",
            "/api/v1/payments",
            {"document_id": created["id"], "amount": "999.00", "reference": "OP-2"},
            422,
        ),
        (pos, "put", f"/api/v1/customers/{customer.pk}/credit", {"credit_limit": "2000.00"}, 200),
        (pos, "put", f"/api/v1/customers/{customer.pk}/credit", {"blocked": True}, 422),
        (pos, "post", "/api/v1/credit/authorizations", auth, 201),
        (pos, "post", "/api/v1/credit/authorizations", auth, 200),
        (pos, "post", "/api/v1/credit/authorizations", {**auth, "reference": "V-2", "amount": "99999.00"}, 201),
        (pos, "post", "/api/v1/credit/authorizations", {**auth, "amount": 5}, 422),
        (pos, "post", "/api/v1/credit/authorizations", {**auth, "customer_id": 999999, "reference": "V-3"}, 404),
    ]
    for client, method, url, body, status in calls:
        response, _ = _call(contract, client, method, url, body)
        assert response.status_code == status, (method, url, response.content[:300])
    authorization = CreditAuthorization.objects.get(reference="V-1")
    for method, url, status in [
        ("get", f"/api/v1/credit/authorizations/{authorization.pk}", 200),
        ("get", "/api/v1/credit/authorizations/999999", 404),
        ("post", f"/api/v1/credit/authorizations/{authorization.pk}/cancel", 200),
    ]:
        response, _ = _call(contract, pos, method, url, None if method == "get" else {})
        assert response.status_code == status, (method, url, response.content[:300])
    # A stale If-Match on PATCH.
    api = ApiClient(make_token(name="Escritura", scopes=["customers:write"])[1])
    response, _ = _call(contract, api, "patch", f"/api/v1/customers/{customer.pk}", {"business_line": "Uno"})
    response, _ = _call(
        contract,
        api,
        "patch",
        f"/api/v1/customers/{customer.pk}",
        {"business_line": "Dos"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 412
    return {"document": created["id"], "authorization": authorization.pk}


def test_idempotent_replays_and_rate_limits_match_the_schema(contract, api, settings):
    data = company_data()
    _call(contract, api, "post", "/api/v1/customers", data, headers={"Idempotency-Key": "c-1"})
    response, _ = _call(contract, api, "post", "/api/v1/customers", data, headers={"Idempotency-Key": "c-1"})
    assert response.status_code == 200
    settings.API_RATE_LIMIT = 0
    response, _ = _call(contract, api, "get", "/api/v1/customers/changes")
    assert response.status_code == 429


def test_every_operation_of_the_schema_is_exercised(contract, api):
    test_every_answer_matches_the_published_schema(contract, api)
    assert contract.operations <= contract.seen, contract.operations - contract.seen
