"""Bearer tokens only (no session cookie, no token in the URL), the per-token rate limit and
the body size limit, checked before anything is read or written."""

import time

from django.conf import settings
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from integrations.api.errors import ApiError, retry_after_seconds
from integrations.models import ApiToken, Scope
from integrations.rate import forget_older_minutes
from integrations.tokens import token_for_request

# Query parameters where clients commonly put tokens: refused, so a token never ends up in
# access logs or browser history.
_TOKEN_PARAMS = {"token", "access_token", "api_key", "apikey", "key", "auth"}


class TokenAuth(HttpBearer):
    """`TokenAuth(*scopes)` on an operation also needs one of those scopes, checked before the
    body is read: a token without the scope gets 403 whatever it sent."""

    def __init__(self, *scopes: str):
        super().__init__()
        self.scopes = frozenset(scopes)

    def __call__(self, request):
        if _TOKEN_PARAMS & {name.lower() for name in request.GET}:
            raise ApiError(400, "No envíe el token en la URL: use la cabecera «Authorization: Bearer <token>».")
        header = request.headers.get("Authorization", "")
        if header and not header.lower().startswith("bearer "):
            request._api_auth_problem = "Solo se acepta «Authorization: Bearer <token>»."
        return super().__call__(request)

    def authenticate(self, request, token: str) -> ApiToken | None:
        now = time.time()
        minute = int(now // 60)
        # The token, its service user's permissions and this request's count: one statement.
        answer = token_for_request(token.strip(), minute=minute)
        if answer is None:
            request._api_auth_problem = "El token no es válido, fue revocado o venció."
            raise AuthenticationError()
        found, count = answer
        check_rate_limit(found, count=count, now=now)
        check_body_size(request)
        request.api_token = found
        # The services see the token's service user, as they see a person signed in.
        request.user = found.user
        if self.scopes and not self.scopes & set(found.scopes):
            names = " o ".join(f"«{Scope(s).label}»" for s in sorted(self.scopes))
            raise ApiError(403, f"El token no tiene el permiso {names}.")
        return found


def check_rate_limit(token: ApiToken, *, count: int, now: float) -> None:
    """API_RATE_LIMIT requests per token per clock minute, counted in the database so every app
    server counts against the same limit (integrations.rate, with the token's lookup): `count`
    is the token's requests in the minute of `now`, this one included."""
    limit = settings.API_RATE_LIMIT
    minute = int(now // 60)
    if count == 1:
        forget_older_minutes(token_id=token.pk, minute=minute)
    if count > limit:
        wait = retry_after_seconds((minute + 1) * 60 - now)
        raise ApiError(
            429,
            f"Demasiadas peticiones: este token admite {limit} por minuto. Reintente en {wait} s.",
            headers={"Retry-After": wait},
        )


def check_body_size(request) -> None:
    limit = settings.API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ApiError(413, f"El cuerpo de la petición supera el máximo de {limit:,} bytes.".replace(",", "."))
