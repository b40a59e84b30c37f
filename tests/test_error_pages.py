"""Error pages: Spanish, inside the layout, and giving nothing away (no traceback, no paths,
no settings). DEBUG is False, as pytest-django runs tests and as production runs."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from config import urls as project_urls

pytestmark = pytest.mark.django_db

SECRET_DETAIL = "detalle-interno-que-no-debe-verse"


def _server_error(request):
    raise RuntimeError(f"{SECRET_DETAIL} en /work/main/customers/services.py")


def _bad_request(request):
    raise SuspiciousOperation(SECRET_DETAIL)


def _forbidden(request):
    raise PermissionDenied(SECRET_DETAIL)


def _ok(request):
    return HttpResponse("ok")


# The urlconf of the tests marked @pytest.mark.urls(__name__): views that fail on purpose,
# then the project's URLs, with the project's error handlers if it ever defines any.
urlpatterns = [
    path("prueba/error/", _server_error),
    path("prueba/solicitud-no-valida/", _bad_request),
    path("prueba/prohibido/", _forbidden),
    path("prueba/ok/", _ok),
    *project_urls.urlpatterns,
]
for _handler in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(project_urls, _handler):
        globals()[_handler] = getattr(project_urls, _handler)

# Anything that would betray the code, the machine or the configuration.
GIVEAWAYS = [
    "Traceback",
    "traceback",
    'File "',
    ".py",
    "/work/",
    "site-packages",
    SECRET_DETAIL,
    "RuntimeError",
    "SuspiciousOperation",
    "PermissionDenied",
    "DisallowedHost",
    "settings",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_FAILURE_VIEW",
    "CSRF verification failed",
    "Reason given",
    "Django",
    "urlpatterns",
]


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def assert_spanish_error_page(response, status, heading):
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="es-PE">' in html
    assert 'aria-label="Navegación principal"' in html  # the layout's navbar
    assert f'<h1 class="h3">{heading}</h1>' in html
    assert f"<title>{heading} · Clientes</title>" in html
    assert "Ir al inicio" in html
    found = [word for word in GIVEAWAYS if word in html]
    assert not found, f"la página de error {status} muestra {found}"
    return html


def test_404_for_an_anonymous_visitor(client):
    assert_spanish_error_page(client.get("/no-existe/"), 404, "Página no encontrada")


def test_404_for_a_signed_in_user_keeps_the_menu(client, consulta):
    client.force_login(consulta)
    html = assert_spanish_error_page(client.get("/clientes/no-existe/"), 404, "Página no encontrada")
    assert "Cerrar sesión" in html


def test_403_when_the_role_lacks_the_permission(client, sin_rol):
    client.force_login(sin_rol)
    html = assert_spanish_error_page(client.get(reverse("customers:list")), 403, "No tiene permiso")
    assert "Cerrar sesión" in html


@pytest.mark.urls(__name__)
def test_403_from_permission_denied_hides_its_message(client, consulta):
    client.force_login(consulta)
    assert_spanish_error_page(client.get("/prueba/prohibido/"), 403, "No tiene permiso")


@pytest.mark.urls(__name__)
def test_500_shows_the_spanish_page_and_no_traceback(consulta):
    client = Client(raise_request_exception=False)
    client.force_login(consulta)
    assert client.get("/prueba/ok/").status_code == 200  # the test urlconf is in place
    assert_spanish_error_page(client.get("/prueba/error/"), 500, "Ocurrió un error inesperado")


@pytest.mark.urls(__name__)
def test_400_from_a_suspicious_request(client, consulta):
    client.force_login(consulta)
    assert_spanish_error_page(client.get("/prueba/solicitud-no-valida/"), 400, "Solicitud no válida")


def test_400_for_a_host_not_in_allowed_hosts(client):
    response = client.get(reverse("login"), HTTP_HOST="malo.example.com")
    assert_spanish_error_page(response, 400, "Solicitud no válida")


def test_csrf_failure_on_the_login_form(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "ana", "password": "x"})
    assert_spanish_error_page(response, 403, "El formulario caducó")


def test_csrf_failure_for_a_signed_in_user(consulta):
    client = Client(enforce_csrf_checks=True)
    client.force_login(consulta)
    response = client.post(reverse("logout"))
    assert_spanish_error_page(response, 403, "El formulario caducó")
    assert "_auth_user_id" in client.session  # not signed out


def test_no_template_comment_leaks_into_a_page():
    """Django's {# #} comments end at the line's end; a multi-line one is printed as text."""
    from pathlib import Path

    from django.conf import settings

    leaking = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if line.count("{#") > line.count("#}"):
                leaking.append(f"{template.name}:{number}")
    assert leaking == []
