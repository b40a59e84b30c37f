"""Contract tests: every answer of the API, successes and errors, validated against the
OpenAPI schema the API publishes at /api/v1/openapi.json (JSON Schema 2020-12, as OpenAPI 3.1
uses); and every operation of the schema is exercised here."""

import re

import pytest
from django.test import Client
from jsonschema import Draft202012Validator

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
    response = call(url, body, **kw) if method in ("post", "patch") else call(url, **kw)
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
    # Errors of authentication and scope, on every operation.
    for method, template in sorted(contract.operations):
        url = template.replace("{customer_id}", str(customer.pk))
        if method == "GET" and template == "/api/v1/customers":
            url += "?q=abc"
        response, _ = _call(contract, nobody, method.lower(), url, {} if method in ("POST", "PATCH") else None)
        assert response.status_code == 401
        if method != "GET":
            response, _ = _call(contract, reader, method.lower(), url, {} if method in ("POST", "PATCH") else None)
            assert response.status_code == 403


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
