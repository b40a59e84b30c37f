"""The four roles of Clientes, as Django groups, and the permissions each one holds.

A later feature that adds a permission lists it here and adds a migration that calls
sync_roles again; tests re-create the groups with the same function (transactional tests
flush what data migrations wrote).
"""

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


def load_roles(user) -> None:
    """The user's groups and permissions, in one statement: what is_administrador, role_names
    and ModelBackend's has_perm would each read (a round trip each, on every page: the list
    asks all three). ModelBackend's caches are filled from the rows it would have read; a
    superuser's stay empty (ModelBackend gives a superuser every permission, not its rows)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_permissions = User.user_permissions.through._meta.db_table
    group_permissions = Permission.group_set.through._meta.db_table
    permissions, content_types, groups = Permission._meta.db_table, ContentType._meta.db_table, Group._meta.db_table
    perm = "ct.app_label || '.' || p.codename"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT ARRAY(SELECT g.name FROM {user_groups} ug JOIN {groups} g ON g.id = ug.group_id
                         WHERE ug.user_id = %(user)s ORDER BY ug.id),
                   ARRAY(SELECT {perm} FROM {user_permissions} up
                         JOIN {permissions} p ON p.id = up.permission_id
                         JOIN {content_types} ct ON ct.id = p.content_type_id
                         WHERE up.user_id = %(user)s),
                   ARRAY(SELECT {perm} FROM {user_groups} ug
                         JOIN {group_permissions} gp ON gp.group_id = ug.group_id
                         JOIN {permissions} p ON p.id = gp.permission_id
                         JOIN {content_types} ct ON ct.id = p.content_type_id
                         WHERE ug.user_id = %(user)s)
            """,  # noqa: S608  (table names from the models; the user's id is a parameter)
            {"user": user.pk},
        )
        names, user_perms, group_perms = cursor.fetchone()
    user._role_names = list(names)
    user._is_administrador = bool(user.is_active and ADMINISTRADOR in names)
    if user.is_active and not user.is_superuser:
        user._user_perm_cache, user._group_perm_cache = set(user_perms), set(group_perms)
        user._perm_cache = user._user_perm_cache | user._group_perm_cache


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
