"""Security events in the log, one line each, for an administrator to read (README,
"Security log"): what happened, who (the user, the name typed at a failed sign-in, or
"anónimo"), from which address (config.security.client_ip) and on which path. Never a
password, a token or a query string (it may carry one)."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from config.security import client_ip

logger = logging.getLogger("clientes.security")


def _user(request, username: str | None = None) -> str:
    if username:
        return str(username)[:150]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    return "anónimo"


def log_event(request, event: str, *, username: str | None = None, detail: str = "", level=logging.WARNING) -> None:
    """`event` in Spanish ("Acceso denegado"); `detail` must hold no secret."""
    if request is None:
        logger.log(level, "%s | usuario=%s%s", event, username or "anónimo", f" | {detail}" if detail else "")
        return
    request._security_logged = True
    logger.log(
        level,
        "%s | usuario=%s | dirección=%s | %s %s%s",
        event,
        _user(request, username),
        client_ip(request) or "?",
        request.method,
        request.path,
        f" | {detail}" if detail else "",
    )


def _logged_in(sender, request, user, **kwargs):
    if request is None or request.method is None:  # a session made in code (force_login), not a sign-in
        return
    log_event(request, "Ingreso", username=user.get_username(), level=logging.INFO)


def _logged_out(sender, request, user, **kwargs):
    log_event(request, "Salida", username=user.get_username() if user else None, level=logging.INFO)


def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials`; only the name is used.
    log_event(request, "Ingreso fallido", username=credentials.get("username") or "anónimo")


def _locked_out(sender, request, username, ip_address, **kwargs):
    log_event(request, "Ingreso bloqueado por intentos fallidos", username=username or "anónimo")


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="clientes.security.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="clientes.security.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="clientes.security.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="clientes.security.locked_out")
