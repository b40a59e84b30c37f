from django.conf import settings
from django.http import QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from config.audit import log_event
from peru.text import has_control_characters, strip_control_characters


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
