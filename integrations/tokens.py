"""Tokens of the integrating systems: create (the secret is returned once), revoke, and find
the token a request's Bearer header names."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from customers.access import require_permission
from integrations.models import ApiToken, Scope

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


def token_for_key(raw: str) -> ApiToken | None:
    """The usable token with that secret: not revoked, not expired; None otherwise."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _require_manager(actor) -> None:
    require_permission(actor, "integrations.add_apitoken")
    if actor is not None and not actor.is_active:
        raise PermissionDenied
