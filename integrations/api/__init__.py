"""The integration API (django-ninja) under /api/v1/: the point of sale and the invoicing
system call it with a Bearer token. config/urls.py mounts ``urlpatterns()``."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from ninja import NinjaAPI
from ninja.parser import Parser

from integrations.api import credit, customers
from integrations.api.auth import TokenAuth
from integrations.api.errors import install_handlers


class ObjectParser(Parser):
    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


def _office_staff_only(view):
    """The docs page is for people signed in to the office app, not for API service users
    (LoginRequiredMiddleware sends anyone else to the sign-in page)."""

    def wrapped(request, *args, **kwargs):
        if hasattr(request.user, "api_token"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="Clientes — API de integración",
    version="1",
    description=(
        "Para el punto de venta y la facturación. Autenticación: `Authorization: Bearer <token>` "
        "(tokens creados por un Administrador). Errores: JSON con `detail` en español y `errors` por campo."
    ),
    auth=TokenAuth(),
    parser=ObjectParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=None,
)
install_handlers(api)
api.add_router("", customers.router)
api.add_router("", credit.router)


def urlpatterns() -> list:
    """The API's URLs: the schema is public (integrators read it before they hold a token),
    the docs page needs a signed-in office user, and every endpoint answers without a
    session (Bearer only)."""
    patterns, _, _ = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) == "openapi-view":
            pattern.callback = _office_staff_only(pattern.callback)
        else:
            pattern.callback = login_not_required(pattern.callback)
    return patterns
