"""Every answer of the API is JSON with a Spanish `detail` (and `errors`, a map of field →
messages, when fields are at fault): never an HTML page, never a traceback."""

import logging
import math

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("integrations.api")


# Every error status any operation may answer (published in the schema for each operation).
ERROR_CODES = frozenset({400, 401, 403, 404, 412, 413, 422, 429, 500})


class ApiError(Exception):
    def __init__(self, status: int, detail: str, *, errors: dict | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def error_response(status: int, detail: str, errors: dict | None = None, headers: dict | None = None) -> JsonResponse:
    body = {"detail": detail}
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# ninja's own English messages, said in Spanish.
_HTTP_MESSAGES = {
    "Cannot parse request body": "El cuerpo de la petición no es JSON válido.",
    "Unauthorized": "Falta el token: envíe «Authorization: Bearer <token>».",
    "Forbidden": "El token no tiene permiso para esta operación.",
}

# Pydantic error types → what a person fixing the integration should read.
_TYPE_MESSAGES = {
    "missing": "Este campo es obligatorio.",
    "string_type": "Debe ser texto.",
    "string_too_long": "Es demasiado largo.",
    "bool_type": "Debe ser true o false.",
    "bool_parsing": "Debe ser true o false.",
    "int_type": "Debe ser un número entero.",
    "int_parsing": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero.",
    "list_type": "Debe ser una lista.",
    "dict_type": "Debe ser un objeto JSON.",
    "model_type": "Debe ser un objeto JSON.",
    "model_attributes_type": "Debe ser un objeto JSON.",
    "decimal_parsing": 'Debe ser un número decimal escrito como texto, p. ej. "150.50".',
    "decimal_type": 'Debe ser un número decimal escrito como texto, p. ej. "150.50".',
    "finite_number": "Debe ser un número finito.",
    "datetime_parsing": "Debe ser una fecha y hora ISO 8601, p. ej. 2026-12-01T10:00:00-05:00.",
    "datetime_type": "Debe ser una fecha y hora ISO 8601, p. ej. 2026-12-01T10:00:00-05:00.",
    "extra_forbidden": "Este campo no existe.",
    "greater_than": "Debe ser mayor que cero.",
}


def field_errors_from_pydantic(errors: list[dict]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header", "payload")]
        field = ".".join(loc) or "body"
        message = _TYPE_MESSAGES.get(error.get("type", ""), "Valor inválido.")
        if error.get("type") == "string_too_long":
            limit = (error.get("ctx") or {}).get("max_length")
            message = f"Máximo {limit} caracteres." if limit else message
        result.setdefault(field, [])
        if message not in result[field]:
            result[field].append(message)
    return result


def field_errors_from_django(exc: DjangoValidationError) -> tuple[str, dict]:
    if hasattr(exc, "error_dict"):
        errors = {_api_field(field): [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        first = next(iter(errors.values()))[0] if errors else "Datos inválidos."
        return f"Datos inválidos: {first}" if len(errors) == 1 else "Datos inválidos: revise cada campo.", errors
    return " ".join(exc.messages), {}


def _api_field(field: str) -> str:
    """The service's form-shaped field names, as the API's JSON names them."""
    if field.startswith("address_"):
        return "address." + field.removeprefix("address_")
    if field.startswith("attr_"):
        return "attributes." + field.removeprefix("attr_")
    return field


def install_handlers(api) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return error_response(exc.status, exc.detail, exc.errors, exc.headers)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc: NinjaValidationError):
        errors = field_errors_from_pydantic(exc.errors)
        return error_response(422, "Datos inválidos: revise cada campo.", errors)

    @api.exception_handler(DjangoValidationError)
    def _rules(request, exc: DjangoValidationError):
        detail, errors = field_errors_from_django(exc)
        return error_response(422, detail, errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        detail = getattr(request, "_api_auth_problem", None) or _HTTP_MESSAGES["Unauthorized"]
        return error_response(401, detail, headers={"WWW-Authenticate": 'Bearer realm="clientes"'})

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        return error_response(exc.status_code, _HTTP_MESSAGES.get(exc.message, exc.message))

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return error_response(403, _HTTP_MESSAGES["Forbidden"])

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return error_response(404, "No encontrado.")

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("Error inesperado en la API: %s %s", request.method, request.path)
        return error_response(
            500, "Error interno del servidor. Inténtelo de nuevo; si persiste, avise al administrador."
        )


def retry_after_seconds(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
