"""Logs an administrator can use, and what every answer says about itself (issue 19, point 9):
security events with time, user (or "anónimo"), address and path and never a password; a
Content-Security-Policy; "Cache-Control: no-store" on signed-in pages; no Server banner from
the development server or gunicorn. The browser check of the policy is in
tests/browser/test_content_security_policy.py."""

import logging
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.factories import make_company
from tests.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SECRET_PASSWORD = "mi-clave-secreta-77"


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "clientes.security"]


@pytest.fixture
def ana():
    return user_with_role("Ventas", username="ana")


# --- the security log ----------------------------------------------------------------------------


def test_a_failed_sign_in_is_logged_with_user_address_and_path_never_the_password(client, ana, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    client.post(reverse("login"), {"username": "ana", "password": SECRET_PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert security_lines(caplog) == ["Ingreso fallido | usuario=ana | dirección=10.0.0.7 | POST /ingresar/"]
    assert SECRET_PASSWORD not in caplog.text


def test_a_lockout_is_logged_unmasked(client, ana, settings, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ana", "password": "no"}, REMOTE_ADDR="10.0.0.8")
    assert "Ingreso bloqueado por intentos fallidos | usuario=ana | dirección=10.0.0.8 | POST /ingresar/" in (
        security_lines(caplog)
    )
    assert "****" not in "\n".join(security_lines(caplog))


def test_signing_in_is_logged(client, ana, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    client.post(reverse("login"), {"username": "ana", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert security_lines(caplog) == ["Ingreso | usuario=ana | dirección=10.0.0.9 | POST /ingresar/"]
    assert PASSWORD not in caplog.text


def test_a_permission_denial_is_logged_with_the_user(client, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    client.force_login(user_with_role("Consulta", username="carla"))
    response = client.get(reverse("customers:create"), REMOTE_ADDR="10.0.0.10")
    assert response.status_code == 403
    assert security_lines(caplog) == ["Acceso denegado | usuario=carla | dirección=10.0.0.10 | GET /clientes/nuevo/"]


def test_a_csrf_failure_is_logged_with_the_user_and_no_token(ana, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    customer = make_company()
    url = reverse("customers:note_create", args=[customer.pk])
    response = client.post(url, {"text": "hola", "csrfmiddlewaretoken": "token-falso-123"}, REMOTE_ADDR="10.0.0.11")
    assert response.status_code == 403
    lines = security_lines(caplog)
    assert len(lines) == 1
    assert lines[0].startswith(f"Formulario rechazado (CSRF) | usuario=ana | dirección=10.0.0.11 | POST {url} | ")
    assert "token-falso-123" not in caplog.text


def test_an_anonymous_refusal_names_anonimo(client, caplog):
    caplog.set_level(logging.INFO, logger="clientes.security")
    client.get("/clientes/ubigeo/provincias/?department=%00", REMOTE_ADDR="10.0.0.12")
    assert security_lines(caplog)[-1] == (
        "Parámetro con caracteres de control (quitados) | usuario=anónimo | dirección=10.0.0.12 | "
        "GET /clientes/ubigeo/provincias/"
    )


def test_console_lines_start_with_the_time():
    console = django_settings.LOGGING["handlers"]["console"]
    formatter_config = django_settings.LOGGING["formatters"][console["formatter"]]
    formatter = logging.Formatter(formatter_config["format"], formatter_config.get("datefmt"))
    record = logging.LogRecord("clientes.security", logging.WARNING, __file__, 1, "Acceso denegado", None, None)
    assert re.match(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} WARNING clientes.security: Acceso denegado$",
        formatter.format(record),
    )


# --- headers -------------------------------------------------------------------------------------


def test_every_page_has_the_content_security_policy(client, ana):
    anonymous = client.get(reverse("login"))
    client.force_login(ana)
    signed_in = client.get(reverse("customers:list"))
    for response in (anonymous, signed_in):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_signed_in_pages_are_not_stored(client, ana):
    client.force_login(ana)
    customer = make_company()
    for url in (reverse("customers:list"), reverse("customers:detail", args=[customer.pk])):
        assert "no-store" in client.get(url)["Cache-Control"]


def test_no_page_has_an_inline_script_or_style(client):
    client.force_login(user_with_role("Administrador"))
    customer = make_company()
    for url in (
        reverse("customers:list"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:history", args=[customer.pk]),
        reverse("customers:trash"),
        reverse("customers:create"),
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\s(style|on[a-z]+)=\"", html), url


@pytest.mark.django_db(transaction=True)
def test_the_development_server_announces_no_software(live_server):
    with urllib.request.urlopen(live_server.url + "/ingresar/") as response:  # noqa: S310  (loopback)
        assert response.headers.get("Server") is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_announces_no_software():
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603  (our own server on loopback)
        [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # until it listens (a bounded wait, not an assertion on time)
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css")  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn no respondió")
        with response:
            assert response.status == 200
            assert response.headers.get("Server") is None
    finally:
        server.terminate()
        server.wait(10)


def test_with_debug_on_the_error_pages_keep_their_inline_styles_but_pages_keep_the_policy(client, ana, settings):
    settings.DEBUG = True
    client.force_login(ana)
    assert "Content-Security-Policy" not in client.get("/no-existe/")
    assert "Content-Security-Policy" in client.get(reverse("customers:list"))
