"""Users with a role, and one-line permission checks for feature tests.

    user = user_with_role("Créditos")
    assert_can(client, "Ventas", "get", reverse("customers:list"))
    assert_cannot(client, "Consulta", "post", url, {"name": "x"})

Transactional tests (``transaction=True``, ``live_server``) flush the tables after each test,
including the groups and permissions that the roles data migration wrote, so user_with_role
re-creates them with customers.roles.sync_roles — the same function the migration calls.
"""

import itertools
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.text import slugify

from customers.roles import sync_roles

PASSWORD = "clave-de-prueba-9"

_numbers = itertools.count(1)


def user_with_role(role_name: str, **kw):
    """A new active user in the group `role_name` (one of customers.roles.ROLES).

    Keyword arguments go to create_user (username, password, first_name, is_staff…); the
    password defaults to PASSWORD and the username to the role's slug plus a number.
    """
    sync_roles()
    group = Group.objects.get(name=role_name)  # an unknown role fails here, loudly
    kw.setdefault("username", f"{slugify(role_name)}-{next(_numbers)}")
    kw.setdefault("password", PASSWORD)
    user = get_user_model().objects.create_user(**kw)
    user.groups.add(group)
    return user


def _request(client, role_name, method, url, data=None, **extra):
    # force_login, not login: django-axes' backend refuses to authenticate without a request.
    client.force_login(user_with_role(role_name))
    return getattr(client, method.lower())(url, data, **extra)


def assert_can(client, role_name, method, url, data=None, **extra):
    """A user with `role_name` gets through: no 4xx/5xx and no redirect to the login page.

    Only the response is checked (200, or a redirect after a successful POST); assert the
    effect itself in the test. Returns the response.
    """
    response = _request(client, role_name, method, url, data, **extra)
    assert response.status_code < 400, (
        f"{role_name} debería poder {method.upper()} {url}, recibió {response.status_code}"
    )
    location = urlsplit(response.headers.get("Location", "")).path
    assert location not in (reverse("login"), reverse("admin:login")), (
        f"{role_name} fue enviado a ingresar: {response.headers['Location']}"
    )
    return response


def assert_cannot(client, role_name, method, url, data=None, **extra):
    """A signed-in user with `role_name` is refused with 403 Forbidden.

    Only the status is checked: a test of a write should also assert that nothing changed
    (the row count, the saved values). Returns the response.
    """
    response = _request(client, role_name, method, url, data, **extra)
    assert response.status_code == 403, (
        f"{role_name} no debería poder {method.upper()} {url}, recibió {response.status_code}"
    )
    return response
