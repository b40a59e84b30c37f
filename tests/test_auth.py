"""Signing in and out: Spanish pages, session handling, and login throttling (django-axes).

Axes keeps failed attempts in its own tables (AccessAttempt…); each test runs in a rolled-back
transaction, so a lockout made here never reaches another test.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from config.security import client_ip
from tests.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

LOCKED_OUT = "Demasiados intentos fallidos"
WRONG_PASSWORD = "Usuario o contraseña incorrectos"


@pytest.fixture
def ana(db):
    return user_with_role("Ventas", username="ana")


def sign_in(client, password=PASSWORD, username="ana", **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def session_cookie(client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times, **meta):
    for _ in range(times):
        sign_in(client, password="no-es-la-clave", **meta)


# Login page


def test_the_login_page_is_in_spanish(client):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="es-PE">' in html
    assert "Ingresar a Clientes" in html
    assert ">Usuario<" in html
    assert ">Contraseña<" in html
    assert ">Ingresar</button>" in html


def test_a_wrong_password_shows_the_spanish_error(client, ana):
    response = sign_in(client, password="no-es-la-clave")
    assert response.status_code == 200
    assert WRONG_PASSWORD in response.content.decode()
    assert not is_signed_in(client)


def test_an_unknown_user_gets_the_same_error(client, db):
    response = sign_in(client, username="nadie")
    assert WRONG_PASSWORD in response.content.decode()


def test_an_inactive_user_cannot_sign_in(client, ana):
    ana.is_active = False
    ana.save()
    sign_in(client)
    assert not is_signed_in(client)


def test_signing_in_goes_to_the_customer_list(client, ana):
    response = sign_in(client)
    assert response.status_code == 302
    assert client.get(response.headers["Location"], follow=True).request["PATH_INFO"] == reverse("customers:list")
    assert is_signed_in(client)


def test_signing_in_follows_next_within_the_site_only(client, ana):
    login = reverse("login")
    response = client.post(f"{login}?next=https://malo.example.com/", {"username": "ana", "password": PASSWORD})
    assert response.headers["Location"] == reverse("home")


# Sessions


def test_signing_in_rotates_the_session_key(client, ana):
    # An anonymous session exists before signing in (a fixated one, say).
    session = client.session
    session["visto"] = True
    session.save()
    before = session_cookie(client)
    assert Session.objects.filter(session_key=before).exists()

    sign_in(client)

    after = session_cookie(client)
    assert is_signed_in(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_signing_out_kills_the_session(client, ana):
    sign_in(client)
    old_key = session_cookie(client)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("login")
    assert not Session.objects.filter(session_key=old_key).exists()
    # Someone who kept the old cookie is not signed in.
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('login')}?next={reverse('customers:list')}"


def test_signing_out_needs_post(client, ana):
    sign_in(client)
    assert client.get(reverse("logout")).status_code == 405
    assert is_signed_in(client)


def test_sessions_last_a_working_day_at_most(client, ana):
    assert 0 < django_settings.SESSION_COOKIE_AGE <= 12 * 60 * 60

    response = sign_in(client)

    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == django_settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    row = Session.objects.get(session_key=cookie.value)
    expected = timezone.now() + timedelta(seconds=django_settings.SESSION_COOKIE_AGE)
    assert abs(row.expire_date - expected) < timedelta(minutes=1)


def test_an_expired_session_is_sent_to_sign_in(client, ana):
    sign_in(client)
    Session.objects.filter(session_key=session_cookie(client)).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("login"))


def test_session_age_follows_the_setting(client, ana, settings):
    settings.SESSION_COOKIE_AGE = 600
    sign_in(client)
    assert client.session.get_expiry_age() == 600


# Throttling (django-axes): per (user, address)


def test_failures_below_the_limit_do_not_lock(client, ana, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    sign_in(client)
    assert is_signed_in(client)


def test_after_the_limit_even_the_right_password_gets_the_locked_out_page(client, ana, settings):
    fail(client, settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="10.0.0.1")

    response = sign_in(client, REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED_OUT in html
    assert "Volver a la página de ingreso" in html
    assert '<html lang="es-PE">' in html
    assert not is_signed_in(client)


def test_the_lockout_is_per_address(client, ana, settings):
    fail(client, settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="10.0.0.1")
    sign_in(client, REMOTE_ADDR="10.0.0.2")
    assert is_signed_in(client)


def test_the_lockout_is_per_user(client, ana, settings):
    user_with_role("Consulta", username="beto")
    fail(client, settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="10.0.0.1")
    sign_in(client, username="beto", REMOTE_ADDR="10.0.0.1")
    assert is_signed_in(client)


def test_the_admin_login_shares_the_lockout(client, ana, settings):
    fail(client, settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="10.0.0.1")
    response = client.post(reverse("admin:login"), {"username": "ana", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert LOCKED_OUT in response.content.decode()


def test_a_spoofed_forwarded_for_does_not_reset_the_count_without_trusted_proxies(client, ana, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    # Every failure claims to come from somewhere else.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="no-es-la-clave", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = sign_in(client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.200")

    assert LOCKED_OUT in response.content.decode()
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.1"]


def test_with_one_trusted_proxy_the_address_comes_from_forwarded_for(client, ana, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.254"}
    fail(client, settings.AXES_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)

    locked = sign_in(client, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    # The client may put anything before the address our proxy appends: still the same client.
    spoofed = sign_in(client, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5", **proxy)
    assert LOCKED_OUT in locked.content.decode()
    assert LOCKED_OUT in spoofed.content.decode()
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]

    # Another client behind the same proxy is not locked.
    sign_in(client, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy)
    assert is_signed_in(client)


def test_a_successful_sign_in_resets_the_failures(client, ana, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    sign_in(client)
    client.post(reverse("logout"))
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    sign_in(client)
    assert is_signed_in(client)


# Throttling per account, whatever the address


def fail_from_many_addresses(client, times, first=1, **meta):
    for n in range(first, first + times):
        sign_in(client, password="no-es-la-clave", REMOTE_ADDR=f"10.1.{n // 250}.{n % 250 + 1}", **meta)


def test_failures_of_one_account_from_many_addresses_lock_it(client, ana, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 20
    fail_from_many_addresses(client, 20)  # never more than one failure per address

    response = sign_in(client, REMOTE_ADDR="10.9.9.9")  # the right password, from a new address

    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()
    assert not is_signed_in(client)


def test_failures_below_the_account_limit_from_many_addresses_do_not_lock(client, ana, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 20
    fail_from_many_addresses(client, 19)
    sign_in(client, REMOTE_ADDR="10.9.9.9")
    assert is_signed_in(client)


def test_the_account_lockout_holds_behind_a_trusted_proxy(client, ana, settings):
    settings.TRUSTED_PROXY_COUNT, settings.AXES_ACCOUNT_FAILURE_LIMIT = 1, 20
    for n in range(120):
        sign_in(client, password="no-es-la-clave", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = sign_in(client, REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="198.51.100.200")

    assert LOCKED_OUT in response.content.decode()
    assert not is_signed_in(client)


def test_the_account_lockout_leaves_other_accounts_alone(client, ana, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 20
    user_with_role("Consulta", username="beto")
    fail_from_many_addresses(client, 20)
    sign_in(client, username="beto", REMOTE_ADDR="10.1.0.2")
    assert is_signed_in(client)


def test_an_administrator_unlocks_an_account_with_axes_reset_username(client, ana, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 20
    fail_from_many_addresses(client, 20)
    call_command("axes_reset_username", "ana", verbosity=0)  # as README says
    sign_in(client, REMOTE_ADDR="10.9.9.9")
    assert is_signed_in(client)


def test_a_lockout_does_not_outlive_its_test(client, ana):
    # Runs after the lockout tests above, with the same user and the default address.
    assert not AccessAttempt.objects.exists()


def test_an_administrator_unlocks_a_locked_out_user_with_axes_reset(client, ana, settings):
    # What README tells an administrator to run when a person is locked out.
    fail(client, settings.AXES_FAILURE_LIMIT)
    sign_in(client)
    assert not is_signed_in(client)

    call_command("axes_reset_username", "ana", verbosity=0)

    assert not AccessAttempt.objects.filter(username="ana").exists()
    sign_in(client)
    assert is_signed_in(client)


# config.security.client_ip, directly


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "198.51.100.1", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.1, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),  # fewer entries than proxies: a misconfiguration, not a client
        (1, " , ", "10.0.0.1"),
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
