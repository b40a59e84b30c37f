"""Tokens of the integrating systems: create (the secret is returned once), revoke, and find
the token a request's Bearer header names."""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from customers.access import require_permission
from customers.roles import ADMINISTRADOR
from integrations.models import ApiToken, Scope
from integrations.rate import COUNT_CTE
from peru.prepared import prepared_cursor

TOKEN_PREFIX = "cli_"  # noqa: S105 (a marker, not a secret: it tells tokens apart in logs and scanners)
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most this often per token: a write per request would cost more
# than the request itself.
LAST_USED_PRECISION = timedelta(minutes=1)

# The service user's permissions, from the token's scopes: the services check them exactly as
# they check a person's.
SCOPE_PERMISSIONS = {
    Scope.CUSTOMERS_READ: ["customers.view_customer"],
    Scope.CUSTOMERS_WRITE: ["customers.view_customer", "customers.add_customer", "customers.change_customer"],
    # Comprobantes, anulaciones and pagos (credit.intake).
    Scope.DOCUMENTS: [
        "credit.view_document",
        "credit.add_document",
        "credit.change_document",
        "credit.view_payment",
        "credit.add_payment",
    ],
    # Cupo and bloqueo (credit.services), authorizations and their holds (credit.authorizations).
    Scope.CREDIT: [
        "credit.view_creditaccount",
        "credit.change_creditaccount",
        "credit.block_credit",
        "credit.view_creditauthorization",
        "credit.add_creditauthorization",
        "credit.change_creditauthorization",
    ],
}


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(*, actor, name: str, scopes: list[str], expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only its hash is kept). Administrador only."""
    _require_manager(actor)
    name = " ".join(str(name or "").split())
    scopes = list(dict.fromkeys(scopes or []))
    errors = token_errors(name=name, scopes=scopes, expires_days=expires_days)
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        user = get_user_model()(username=f"api:{secrets.token_hex(6)}", first_name=f"vía API: {name}"[:150])
        user.set_unusable_password()
        user.save()
        codenames = {p for scope in scopes for p in SCOPE_PERMISSIONS[scope]}
        for perm in codenames:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        token = ApiToken.objects.create(
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            key_hash=hash_key(raw),
            scopes=scopes,
            user=user,
            created_by=actor if getattr(actor, "pk", None) else None,
            expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        )
    return token, raw


def token_errors(*, name: str, scopes: list[str], expires_days: int | None) -> dict[str, list[str]]:
    name = " ".join(str(name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Ingrese el nombre del sistema que usará el token."]
    elif len(name) > 100:
        errors["name"] = ["El nombre admite hasta 100 caracteres."]
    elif ApiToken.objects.filter(name__iexact=name).exists():
        errors["name"] = [f"Ya existe un token llamado «{name}»."]
    unknown = [s for s in scopes if s not in Scope.values]
    if not scopes:
        errors["scopes"] = ["Elija al menos un permiso: " + ", ".join(Scope.values) + "."]
    elif unknown:
        errors["scopes"] = [f"Permiso desconocido: {', '.join(unknown)}. Use {', '.join(Scope.values)}."]
    if expires_days is not None and not (1 <= expires_days <= MAX_EXPIRY_DAYS):
        errors["expires_days"] = [f"La vigencia va de 1 a {MAX_EXPIRY_DAYS} días."]
    return errors


def revoke_token(*, actor, token: ApiToken) -> ApiToken:
    _require_manager(actor)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            # The service user can do nothing any more, wherever it is used.
            token.user.user_permissions.clear()
    return token


def token_for_request(raw: str, *, minute: int) -> tuple[ApiToken, int] | None:
    """What an API request needs of its token, in one statement (one round trip instead of six):
    the usable token with that secret (not revoked, not expired, read now: a revocation counts
    from the next request), its service user with that user's permissions and role — exactly what
    `has_perm` would read, so the services' checks ask nothing more —, the token's request
    counted for `minute` (integrations.rate), and last_used_at written at most once a minute.
    Returns (token, requests this minute, this one included), or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    statement, token_fields, user_fields = _request_statement()
    now = timezone.now()
    params = {"hash": hash_key(raw), "now": now, "stale": now - LAST_USED_PRECISION, "minute": minute,
              "administrador": ADMINISTRADOR}  # fmt: skip
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None
    token_values, row = row[: len(token_fields)], row[len(token_fields) :]
    user_values, (count, touched, user_perms, group_perms, is_administrador) = (
        row[: len(user_fields)],
        row[len(user_fields) :],
    )
    token = ApiToken.from_db(connection.alias, token_fields, token_values)
    user = get_user_model().from_db(connection.alias, user_fields, user_values)
    # The caches ModelBackend and customers.roles.is_administrador fill on first use, filled
    # from the rows they would have read.
    user._user_perm_cache, user._group_perm_cache = set(user_perms), set(group_perms)
    user._perm_cache = user._user_perm_cache | user._group_perm_cache
    user._is_administrador = is_administrador
    token._state.fields_cache["user"] = user
    if touched:
        token.last_used_at = now
    return token, count


@functools.cache
def _request_statement() -> tuple[str, list[str], list[str]]:
    User = get_user_model()
    token_fields = [f.attname for f in ApiToken._meta.concrete_fields]
    user_fields = [f.attname for f in User._meta.concrete_fields]
    token_columns = ", ".join(f"token.{ApiToken._meta.get_field(name).column}" for name in token_fields)
    user_columns = ", ".join(f"u.{User._meta.get_field(name).column}" for name in user_fields)
    user_permissions = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_permissions = Permission.group_set.through._meta.db_table
    permissions, content_types, groups = Permission._meta.db_table, ContentType._meta.db_table, Group._meta.db_table
    perm = "ct.app_label || '.' || p.codename"
    statement = f"""
        WITH token AS (
            SELECT * FROM {ApiToken._meta.db_table}
            WHERE key_hash = %(hash)s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %(now)s)
        ), counted AS ({COUNT_CTE.format(token_cte="token")}), touched AS (
            UPDATE {ApiToken._meta.db_table} SET last_used_at = %(now)s
            WHERE id = (SELECT id FROM token) AND (last_used_at IS NULL OR last_used_at <= %(stale)s)
            RETURNING id
        )
        SELECT {token_columns}, {user_columns},
            (SELECT count FROM counted),
            EXISTS (SELECT 1 FROM touched),
            ARRAY(SELECT {perm} FROM {user_permissions} up
                  JOIN {permissions} p ON p.id = up.permission_id
                  JOIN {content_types} ct ON ct.id = p.content_type_id
                  WHERE up.user_id = u.id),
            ARRAY(SELECT {perm} FROM {user_groups} ug
                  JOIN {group_permissions} gp ON gp.group_id = ug.group_id
                  JOIN {permissions} p ON p.id = gp.permission_id
                  JOIN {content_types} ct ON ct.id = p.content_type_id
                  WHERE ug.user_id = u.id),
            EXISTS (SELECT 1 FROM {user_groups} ug JOIN {groups} g ON g.id = ug.group_id
                    WHERE ug.user_id = u.id AND g.name = %(administrador)s)
        FROM token JOIN {User._meta.db_table} u ON u.id = token.user_id
    """  # noqa: S608, S106 (table names from the models, values are parameters; "token" is a CTE's name)
    return statement, token_fields, user_fields


def _require_manager(actor) -> None:
    require_permission(actor, "integrations.add_apitoken")
    if actor is not None and not actor.is_active:
        raise PermissionDenied
