"""Users with a role, and one-line permission checks for feature tests.

    user = user_with_role("Créditos")
    assert_can(client, "Ventas", "get", reverse("customers:list"))
    assert_cannot(client, "Consulta", "post", url, {"name": "x"})

Transactional tests (``transaction=True``, ``live_server``) flush the tables after each test,
including the groups and permissions that the roles data migration wrote, so user_with_role
re-creates them with customers.roles.sync_roles — the same function the migration calls —
when three queries show it has something to do (ensure_roles).
"""

import itertools
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import _get_all_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.text import slugify

from customers.roles import ALL_PERMISSIONS, ROLE_PERMISSIONS, sync_roles

PASSWORD = "clave-de-prueba-9"

_numbers = itertools.count(1)


def user_with_role(role_name: str, **kw):
    """A new active user in the group `role_name` (one of customers.roles.ROLES).

    Keyword arguments go to create_user (username, password, first_name, is_staff…); the
    password defaults to PASSWORD and the username to the role's slug plus a number.
    """
    ensure_roles()
    group = Group.objects.get(name=role_name)  # an unknown role fails here, loudly
    kw.setdefault("username", f"{slugify(role_name)}-{next(_numbers)}")
    kw.setdefault("password", PASSWORD)
    user = get_user_model().objects.create_user(**kw)
    user.groups.add(group)
    return user


def ensure_roles() -> None:
    """Leave the groups and permissions as customers.roles.sync_roles leaves them, cheaply.

    sync_roles runs a few hundred queries; the thousands of users the suite makes would spend
    minutes in it. Three queries tell whether it has anything to do; when only a group's
    permissions differ — right after the migrations, the Administrador group lacks those of
    the apps migrated after the roles — that group gets exactly the permissions sync_roles
    gives it. Anything else (a content type, a permission or a group missing, a listed
    permission unknown) goes through sync_roles itself. test_roles checks that both end alike.
    """
    content_types = set(ContentType.objects.values_list("app_label", "model"))
    permissions = list(
        Permission.objects.values_list("pk", "content_type__app_label", "content_type__model", "codename")
    )
    existing = {(app_label, model, codename) for _, app_label, model, codename in permissions}
    for config in apps.get_app_configs():
        if not config.models_module:
            continue  # create_permissions skips such an app too
        for model in config.get_models():
            opts = model._meta
            if (opts.app_label, opts.model_name) not in content_types or any(
                (opts.app_label, opts.model_name, codename) not in existing
                for codename, _ in _get_all_permissions(opts)
            ):
                sync_roles()
                return
    # sync_roles takes, for "app.codename", the first such permission in Permission's ordering.
    by_name = {}
    for pk, app_label, _, codename in permissions:
        by_name.setdefault(f"{app_label}.{codename}", pk)
    wanted = {
        role: {pk for pk, *_ in permissions} if names == ALL_PERMISSIONS else {by_name.get(name) for name in names}
        for role, names in ROLE_PERMISSIONS.items()
    }
    groups, granted = {}, {role: set() for role in ROLE_PERMISSIONS}
    for group_id, name, pk in Group.objects.filter(name__in=ROLE_PERMISSIONS).values_list("pk", "name", "permissions"):
        groups[name] = group_id
        if pk is not None:
            granted[name].add(pk)
    if set(groups) != set(ROLE_PERMISSIONS) or any(None in pks for pks in wanted.values()):
        sync_roles()  # creates the group, or fails loudly on a permission that does not exist
        return
    for role, pks in wanted.items():
        if granted[role] != pks:
            Group(pk=groups[role], name=role).permissions.set(pks)


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
