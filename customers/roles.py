"""The four roles of Clientes, as Django groups, and the permissions each one holds.

A later feature that adds a permission lists it here and adds a migration that calls
sync_roles again; tests re-create the groups with the same function (transactional tests
flush what data migrations wrote).
"""

import functools

from peru.prepared import prepared_cursor

ADMINISTRADOR = "Administrador"
VENTAS = "Ventas"
CREDITOS = "Créditos"
CONSULTA = "Consulta"

ALL_PERMISSIONS = "__all__"

_VIEW_CUSTOMERS = [
    "customers.view_customer",
    "customers.view_address",
    "customers.view_contact",
    "customers.view_customerphone",
    "customers.view_customeremail",
    "customers.view_customernote",
]
_EDIT_CUSTOMER_DETAILS = [
    f"customers.{action}_{model}"
    for model in ("address", "contact", "customerphone", "customeremail")
    for action in ("add", "change", "delete")
]

# The credit app's permissions (by name: customers never imports credit).
_VIEW_CREDIT = [
    "credit.view_creditaccount",
    "credit.view_document",
    "credit.view_payment",
    "credit.view_project",
    "credit.view_pointsmovement",
]
_MANAGE_CREDIT = [
    "credit.change_creditaccount",
    "credit.block_credit",
    "credit.add_document",
    "credit.change_document",
    "credit.delete_document",
    "credit.add_payment",
    "credit.change_payment",
    "credit.delete_payment",
    "credit.add_project",
    "credit.change_project",
    "credit.delete_project",
    "credit.add_pointsmovement",
    "credit.view_creditrequest",
    "credit.decide_creditrequest",
    # Autorizaciones rechazadas (the integration API's credit authorizations): see, approve by exception.
    "credit.view_creditauthorization",
    "credit.override_authorization",
]

ROLE_PERMISSIONS: dict[str, str | list[str]] = {
    # Everything, including what later features add.
    ADMINISTRADOR: ALL_PERMISSIONS,
    # Sales staff: view, create and edit customers and their addresses (not delete them).
    VENTAS: [
        *_VIEW_CUSTOMERS,
        "customers.add_customer",
        "customers.change_customer",
        *_EDIT_CUSTOMER_DETAILS,
        "customers.add_customernote",
        *_VIEW_CREDIT,
        # Ventas asks Créditos for a higher cupo.
        "credit.add_creditrequest",
        "customers.export_customer",
    ],
    # Credit staff: view customers and write notes; condiciones de venta, cupo, bloqueo,
    # comprobantes, pagos, puntos and the queue of raise-cupo requests (the credit app).
    CREDITOS: [*_VIEW_CUSTOMERS, "customers.add_customernote", *_VIEW_CREDIT, *_MANAGE_CREDIT],
    # Read only.
    CONSULTA: [*_VIEW_CUSTOMERS, *_VIEW_CREDIT],
}

ROLES = list(ROLE_PERMISSIONS)

# Permissions that are of no use, and must grant nothing, without others: exporting downloads the
# customers, and importing shows them (the preview's rows to update with their values, «ya existe»
# errors naming who has a document), so a group given «exportar» or «importar» without «ver
# clientes» may do neither. Applied to every permission check by config.auth.RoleBackend — the
# pages, the top menu, the list's Más opciones, the admin's Importar / Exportar and the services
# (customers.access.require_permission) alike. Which rows an import may create or update is the
# import's own rule (customers.add_customer, customers.change_customer, row by row).
PERMISSION_NEEDS: dict[str, tuple[str, ...]] = {
    "customers.export_customer": ("customers.view_customer",),
    "customers.import_customer": ("customers.view_customer",),
}


def is_administrador(user) -> bool:
    """Active member of the Administrador group; asked once per request (cached on the user)."""
    if user.is_anonymous or not user.is_active:
        return False
    cached = getattr(user, "_is_administrador", None)
    if cached is None:
        load_roles(user)
        cached = user._is_administrador
    return cached


def role_names(user) -> list[str]:
    """The names of the user's groups (the user menu shows them), read with their permissions."""
    if user.is_anonymous:
        return []
    if getattr(user, "_role_names", None) is None:
        load_roles(user)
    return user._role_names


def get_user_with_roles(user_id):
    """The user with that id, active or not (None if there is none), and in the same statement
    its groups and permissions: what is_administrador, role_names and ModelBackend's has_perm would
    each read in a round trip of their own, on every page (config.auth.RoleBackend.get_user)."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.db import connection

    User = get_user_model()
    try:
        user_id = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    statement, fields = _user_statement()
    # Planned once per connection: planning it took longer than running it (0.4 ms, 0.06 ms).
    with prepared_cursor() as cursor:
        cursor.execute(statement, {"user": user_id})
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, fields, row[: len(fields)])
    remember_roles(user, *row[len(fields) :])
    return user


def load_roles(user) -> None:
    """The user's groups and permissions in one query, for a user not read by get_user_with_roles."""
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {_role_columns()}", {"user": user.pk})  # noqa: S608  (names from the models)
        remember_roles(user, *cursor.fetchone())


def remember_roles(user, names, user_perms, group_perms) -> None:
    """File the user's group names and permission codes ("app.codename", its own and its
    groups') where is_administrador, role_names and ModelBackend's has_perm look first.
    ModelBackend's caches hold the rows it would have read; they stay empty for an
    Administrador (None: not read, RoleBackend never asks) and a superuser (ModelBackend gives
    a superuser every permission, not its rows): ModelBackend reads them if asked."""
    user._role_names = list(names)
    user._is_administrador = bool(user.is_active and ADMINISTRADOR in names)
    if user.is_active and not user.is_superuser and user_perms is not None and group_perms is not None:
        user._user_perm_cache, user._group_perm_cache = set(user_perms), set(group_perms)
        user._perm_cache = user._user_perm_cache | user._group_perm_cache


@functools.cache
def _user_statement() -> tuple[str, list[str]]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    fields = [f.attname for f in User._meta.concrete_fields]
    columns = ", ".join(f"u.{User._meta.get_field(name).column}" for name in fields)
    statement = f"SELECT {columns}, {_role_columns()} FROM {User._meta.db_table} u WHERE u.id = %(user)s"  # noqa: S608
    return statement, fields


@functools.cache
def _role_columns() -> str:
    """Three arrays of the user whose id is the parameter %(user)s: its group names (by name),
    its own permissions and its groups' permissions ("app.codename"); NULL permissions for an
    Administrador, who holds them all (config.auth.RoleBackend asks no further)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_permissions = User.user_permissions.through._meta.db_table
    group_permissions = Permission.group_set.through._meta.db_table
    permissions, content_types, groups = Permission._meta.db_table, ContentType._meta.db_table, Group._meta.db_table
    perm = "ct.app_label || '.' || p.codename"
    administrador = f"""EXISTS (SELECT 1 FROM {user_groups} ug JOIN {groups} g ON g.id = ug.group_id
                               WHERE ug.user_id = %(user)s AND g.name = '{ADMINISTRADOR}')"""  # noqa: S608
    return f"""
        ARRAY(SELECT g.name FROM {user_groups} ug JOIN {groups} g ON g.id = ug.group_id
              WHERE ug.user_id = %(user)s ORDER BY g.name),
        CASE WHEN {administrador} THEN NULL ELSE ARRAY(
            SELECT {perm} FROM {user_permissions} up
            JOIN {permissions} p ON p.id = up.permission_id
            JOIN {content_types} ct ON ct.id = p.content_type_id
            WHERE up.user_id = %(user)s) END,
        CASE WHEN {administrador} THEN NULL ELSE ARRAY(
            SELECT {perm} FROM {user_groups} ug
            JOIN {group_permissions} gp ON gp.group_id = ug.group_id
            JOIN {permissions} p ON p.id = gp.permission_id
            JOIN {content_types} ct ON ct.id = p.content_type_id
            WHERE ug.user_id = %(user)s) END"""  # noqa: S608  (names from the models and this module)


def sync_roles(apps=None) -> None:
    """Create the groups and give each exactly its permissions (idempotent).

    `apps` is the migration state inside a data migration, None elsewhere.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    in_migration = apps is not None and apps is not global_apps
    apps = apps or global_apps
    # Permissions are normally created at post_migrate, after every migration has run;
    # a fresh database needs them now. Migration-state app configs carry no models module,
    # which create_permissions takes for "no models" unless told otherwise.
    for app_config in apps.get_app_configs():
        if in_migration:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if wanted == ALL_PERMISSIONS:
            permissions = list(Permission.objects.all())
        else:
            permissions = []
            for dotted in wanted:
                app_label, codename = dotted.split(".")
                found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
                if found is None and in_migration:
                    continue  # an older migration: the model arrives later, and its migration syncs again
                if found is None:
                    raise LookupError(f"El permiso {dotted} no existe: revise customers/roles.py")
                permissions.append(found)
        group.permissions.set(permissions)
