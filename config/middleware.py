from django.http import JsonResponse
from django.shortcuts import render

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
