"""Tokens: shown once and stored hashed, scopes, expiry, last use, revocation, Bearer only."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from integrations.models import ApiToken, Scope
from integrations.tokens import hash_key, revoke_token
from tests.factories import make_company
from tests.integrations.conftest import ApiClient, make_token
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def test_only_the_hash_of_the_secret_is_stored(api_token):
    token, raw = api_token
    assert raw.startswith("cli_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_key(raw)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}


def test_a_token_acts_through_its_own_service_user_who_cannot_sign_in(api_token):
    token, raw = api_token
    user = token.user
    assert user.get_full_name() == "vía API: Punto de venta Tienda 1"
    assert not user.has_usable_password()
    assert not user.check_password(raw) and not user.check_password("")
    assert user.has_perm("customers.change_customer")
    assert not user.has_perm("customers.delete_customer")


def test_a_read_token_user_cannot_write():
    token, _ = make_token(name="Lector", scopes=[Scope.CUSTOMERS_READ])
    assert token.user.has_perm("customers.view_customer")
    assert not token.user.has_perm("customers.add_customer")


def test_unknown_scopes_and_duplicate_names_are_refused(api_token):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        make_token(name="punto de venta tienda 1")
    assert "Ya existe" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        make_token(name="Otro", scopes=["admin"])
    assert "Permiso desconocido" in str(exc.value)


def test_a_valid_token_is_let_in_and_its_last_use_recorded(api):
    customer = make_company()
    assert api.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer cli_wrong", "Bearer ", "Token {raw}", "Basic {raw}", "bearer{raw}"],
    ids=["none", "wrong", "empty", "other-scheme", "basic", "no-space"],
)
def test_requests_without_a_valid_bearer_token_get_401_json(api_token, header):
    customer = make_company()
    headers = {"Authorization": header.format(raw=api_token[1])} if header else {}
    response = ApiClient().get(f"/api/v1/customers/{customer.pk}", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(api_token):
    token, raw = api_token
    customer = make_company()
    revoke_token(actor=None, token=token)
    response = ApiClient(raw).get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 401
    assert "revocado" in response.json()["detail"]
    assert not ApiToken.objects.get().user.has_perm("customers.view_customer")


def test_an_expired_token_is_refused(db):
    token, raw = make_token(expires_days=1)
    customer = make_company()
    assert ApiClient(raw).get(f"/api/v1/customers/{customer.pk}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(raw).get(f"/api/v1/customers/{customer.pk}").status_code == 401


def test_a_token_in_the_query_string_is_refused(api_token):
    customer = make_company()
    response = ApiClient().get(f"/api/v1/customers/{customer.pk}", {"token": api_token[1]})
    assert response.status_code == 400
    assert "URL" in response.json()["detail"]


def test_a_session_cookie_is_not_a_token(client):
    customer = make_company()
    client.force_login(user_with_role("Administrador"))
    response = client.get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_the_api_sets_no_cookies(api):
    customer = make_company()
    response = api.get(f"/api/v1/customers/{customer.pk}")
    assert not response.cookies


def test_command_creates_prints_and_revokes_a_token():
    out = StringIO()
    call_command(
        "api_token",
        "create",
        "Facturación",
        "--scope",
        "customers:read",
        "--expires",
        "30",
        stdout=out,
        stderr=StringIO(),
    )
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(name="Facturación")
    assert token.key_hash == hash_key(raw) and token.scopes == ["customers:read"]
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    customer = make_company()
    assert ApiClient(raw).get(f"/api/v1/customers/{customer.pk}").status_code == 200
    call_command("api_token", "revoke", "facturación", stdout=StringIO())
    assert ApiClient(raw).get(f"/api/v1/customers/{customer.pk}").status_code == 401


def test_command_refuses_a_bad_request_with_a_message():
    with pytest.raises(CommandError, match="revocar|No existe"):
        call_command("api_token", "revoke", "Nadie", stdout=StringIO())
    with pytest.raises(CommandError, match="vigencia"):
        call_command("api_token", "create", "X", "--scope", "customers:read", "--expires", "0", stderr=StringIO())


def test_an_administrador_creates_a_token_in_the_admin_and_sees_it_once(client):
    client.force_login(user_with_role("Administrador"))
    response = client.post(
        reverse("admin:integrations_apitoken_add"),
        {"name": "Punto de venta Tienda 2", "scopes": ["customers:read"], "expires_days": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Punto de venta Tienda 2")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(word for m in shown for word in m.split() if word.startswith("cli_"))
    assert hash_key(raw) == token.key_hash
    # Never again: the change page shows the prefix only.
    page = client.get(reverse("admin:integrations_apitoken_change", args=[token.pk])).content.decode()
    assert raw not in page and token.prefix in page


def test_other_roles_cannot_manage_tokens(client):
    client.force_login(user_with_role("Ventas"))
    response = client.get(reverse("admin:integrations_apitoken_add"))
    assert response.status_code in (302, 403)
    from django.core.exceptions import PermissionDenied

    from integrations.tokens import create_token

    with pytest.raises(PermissionDenied):
        create_token(actor=user_with_role("Ventas"), name="x", scopes=["customers:read"])


def test_the_admin_form_says_when_the_name_is_taken(client, api_token):
    client.force_login(user_with_role("Administrador"))
    response = client.post(
        reverse("admin:integrations_apitoken_add"),
        {"name": "PUNTO DE VENTA TIENDA 1", "scopes": ["customers:read"], "expires_days": ""},
    )
    assert response.status_code == 200
    assert "Ya existe un token" in response.content.decode()
    assert ApiToken.objects.count() == 1
