"""Limits and errors: a per-token rate limit (429 + Retry-After), a body size limit, malformed
JSON and wrong types, Django's own errors under /api/: always JSON with a Spanish detail,
never HTML or a traceback, nothing written."""

import json

import pytest

from customers import services
from customers.models import Customer
from tests.factories import company_data, make_company
from tests.integrations.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _is_json_error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.content.decode() and "<html" not in response.content.decode().lower()
    return body


def test_rate_limit_answers_429_with_retry_after_per_token(api, settings):
    settings.API_RATE_LIMIT = 3
    customer = make_company()
    statuses = [api.get(f"/api/v1/customers/{customer.pk}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get(f"/api/v1/customers/{customer.pk}")
    body = _is_json_error(response)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "3 por minuto" in body["detail"]
    # Another token has its own budget.
    other = ApiClient(make_token(name="Otra caja")[1])
    assert other.get(f"/api/v1/customers/{customer.pk}").status_code == 200


def test_a_tokens_first_request_of_a_minute_forgets_its_earlier_minutes(api, monkeypatch):
    from integrations.api import auth
    from integrations.models import RateCounter

    customer = make_company()
    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(auth.time, "time", lambda: clock["now"])
    for _ in range(2):
        api.get(f"/api/v1/customers/{customer.pk}")
    assert list(RateCounter.objects.values_list("minute", "count")) == [(30_000_000, 2)]
    clock["now"] += 60
    api.get(f"/api/v1/customers/{customer.pk}")
    assert list(RateCounter.objects.values_list("minute", "count")) == [(30_000_001, 1)]


def test_a_body_over_the_limit_is_refused_before_reading_it(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api.post("/api/v1/customers", company_data(description="x" * 2000))
    assert response.status_code == 413
    _is_json_error(response)
    assert not Customer.objects.exists()


def test_a_megabyte_of_text_in_a_field_is_a_4xx_and_writes_nothing(api):
    response = api.post("/api/v1/customers", company_data(business_name="A" * 1_000_000))
    assert 400 <= response.status_code < 500
    _is_json_error(response)
    assert not Customer.objects.exists()


def test_a_long_field_under_the_body_limit_gets_the_services_message(api):
    response = api.post("/api/v1/customers", company_data(business_name="A" * 4000))
    assert response.status_code == 422
    assert "business_name" in _is_json_error(response)["errors"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "raw", ["{nope", "[1, 2]", '"texto"', "null", "\xff\xfe"], ids=["broken", "list", "string", "null", "bytes"]
)
def test_a_body_that_is_not_a_json_object_is_400(api, raw):
    response = api.post("/api/v1/customers", raw_body=raw)
    assert response.status_code in (400, 422)
    _is_json_error(response)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", 5), ("is_foreign", "quizá"), ("phones", "987654321x"), ("category", "Oro"), ("address", [1]), ("zzz", 1)],
)
def test_wrong_types_name_the_field(api, field, value):
    response = api.post("/api/v1/customers", company_data(**{field: value}))
    assert response.status_code == 422
    errors = _is_json_error(response)["errors"]
    assert any(key == field or key.startswith(field + ".") for key in errors), errors
    assert not Customer.objects.exists()


def test_an_unknown_address_under_the_api_is_404_json(api):
    _is_json_error(api.get("/api/v1/no-existe"))
    _is_json_error(api.get("/api/v1/customers/abc"))


def test_a_method_the_path_does_not_take_is_405_json(api):
    customer = make_company()
    response = api.delete(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 405
    _is_json_error(response)
    assert "PATCH" in response["Allow"]


def test_an_unexpected_failure_is_a_500_json_without_details(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secreto interno")

    monkeypatch.setattr(services, "create_customer", broken)
    response = api.post("/api/v1/customers", company_data())
    assert response.status_code == 500
    body = _is_json_error(response)
    assert "secreto interno" not in json.dumps(body)


def test_a_service_permission_refusal_is_403_json(db, monkeypatch):
    from django.core.exceptions import PermissionDenied

    def denied(**kwargs):
        raise PermissionDenied

    monkeypatch.setattr(services, "suspend_customer", denied)
    customer = make_company()
    response = ApiClient(make_token()[1]).post(f"/api/v1/customers/{customer.pk}/deactivate")
    assert response.status_code == 403
    _is_json_error(response)


def test_the_schema_is_public_and_the_docs_page_is_for_signed_in_staff(client):
    from tests.roles import user_with_role

    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.get("/api/v1/docs")
    assert response.status_code == 302 and "/ingresar/" in response["Location"]
    client.force_login(user_with_role("Consulta"))
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"cdn" not in page.content.lower()  # Swagger UI from the ninja package, not a CDN
