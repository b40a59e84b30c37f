"""Tokens and a client that speaks to the API with one."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from integrations.models import Scope
from integrations.tokens import create_token


class ApiClient:
    """Django's test client with a Bearer token; bodies are JSON."""

    def __init__(self, raw: str | None = None):
        self.raw = raw
        self.client = Client()

    def _headers(self, headers):
        result = dict(headers or {})
        if self.raw is not None:
            result.setdefault("Authorization", f"Bearer {self.raw}")
        return result

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path, body=None, headers=None, raw_body=None):
        data = raw_body if raw_body is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", headers=self._headers(headers))

    def patch(self, path, body=None, headers=None, raw_body=None):
        data = raw_body if raw_body is not None else json.dumps(body if body is not None else {})
        return self.client.patch(path, data, content_type="application/json", headers=self._headers(headers))

    def put(self, path, body=None, headers=None):
        return self.client.put(
            path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))


def make_token(name="Punto de venta Tienda 1", scopes=(Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE), **kw):
    return create_token(actor=None, name=name, scopes=list(scopes), **kw)


@pytest.fixture
def api_token(db):
    """A token that reads and writes customers, and its secret."""
    cache.clear()
    return make_token()


@pytest.fixture
def api(api_token):
    return ApiClient(api_token[1])


@pytest.fixture
def reader(db):
    cache.clear()
    return ApiClient(make_token(name="Solo lectura", scopes=[Scope.CUSTOMERS_READ])[1])
