from django.conf import settings
from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from config.audit import log_event
from peru.text import has_control_characters, strip_control_characters

API_PREFIX = "/api/"

# What an integrator reads when Django itself answers an API address (no such path, a method
# the path does not take, a failure before the API's own handlers).
_API_STATUS_DETAIL = {
    400: "Petición inválida.",
    403: "Acceso denegado.",
    404: "No encontrado: revise la dirección (las rutas empiezan por /api/v1/).",
    405: "Método no permitido en esta dirección.",
    413: "El cuerpo de la petición es demasiado grande.",
    500: "Error interno del servidor. Inténtelo de nuevo; si persiste, avise al administrador.",
}


class MethodNotAllowedPage:
    """An action's address opened as a page (a bookmark, a copied link) gets Django's empty 405,
    which browsers replace with their own English error page: answer with the Spanish page of
    the layout instead, keeping the status and its Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response


class ApiErrorsAsJson:
    """Under /api/ every error is JSON with a Spanish ``detail``, never an HTML page: Django's
    own 404/405/500 pages included (the API's handlers already answer JSON for the rest)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            detail = (
                _API_STATUS_DETAIL.get(response.status_code)
                or _API_STATUS_DETAIL[500 if response.status_code >= 500 else 400]
            )
            replaced = JsonResponse(
                {"detail": detail}, status=response.status_code, json_dumps_params={"ensure_ascii": False}
            )
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if response.has_header(header):
                    replaced[header] = response[header]
            return replaced
        return response


class DropControlCharacters:
    """Control characters — NUL and the like, which PostgreSQL refuses in a query — are taken
    out of the query parameters (keys and values) before any view or filter sees them: the
    list's search, the ubigeo selects, the admin's changelist filters. A search pasted with
    one finds what it would without it; nobody types them in an address, so the event is
    logged. What people type in forms is checked by the services, with a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            has_control_characters(key) or any(map(has_control_characters, values))
            for key, values in request.GET.lists()
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(strip_control_characters(key), [strip_control_characters(v) for v in values])
            cleaned._mutable = False
            request.GET = cleaned
            log_event(request, "Parámetro con caracteres de control (quitados)")
        return self.get_response(request)


class SecurityHeaders:
    """What every answer says about itself: a Content-Security-Policy (settings.CSP: scripts
    and styles only from our own static files, so an injected <script> or inline handler does
    not run), "Cache-Control: no-store" on whatever a signed-in user sees (a shared computer's
    back button or disk cache must not show customers after Cerrar sesión), and a log line
    for every refusal (403) that no one logged yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # With DEBUG on, Django's own error pages (tracebacks, URL lists) are inline styles and
        # scripts: they keep working for the developer. Production never has DEBUG on.
        if not (settings.DEBUG and response.status_code >= 400):
            response.setdefault("Content-Security-Policy", settings.CSP)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        if response.status_code == 403 and not getattr(request, "_security_logged", False):
            log_event(request, "Acceso denegado")
        return response
