"""RUC and DNI lookup: the registry's data for the customer form (the lupa).

A provider answers `find(kind, number)` with a RegistryRecord, or None when the registry does
not have the number, and raises ProviderError when it cannot say. HttpProvider, configured by
the LOOKUP_* settings, is the only one; another service with another protocol is a subclass of
RegistryProvider returned by get_provider().

lookup_document() adds what any provider needs: the number's own rules first (a mistyped RUC
never reaches the network), a cache of answers shared by every process (settings.CACHES), a
per-user rate limit, and one exception type, LookupFailed, whose Spanish message tells the user
to type the data by hand. README.md ("RUC/DNI lookup") lists the answers HttpProvider understands.
"""

import json
import logging
import re
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.models import Department, District, Province
from peru.text import clean_spaces, fold
from peru.validators import validate_dni, validate_ruc

logger = logging.getLogger(__name__)

RUC, DNI = "ruc", "dni"
LABELS = {RUC: "RUC", DNI: "DNI"}
VALIDATORS = {RUC: validate_ruc, DNI: validate_dni}

CACHE_PREFIX = "lookup:v1"
MAX_ANSWER_BYTES = 256 * 1024  # a registry answer is about 1 KB; anything this big is not one
MAX_TEXT = 250  # longest text kept from an answer (razón social, address…)
MAX_REGISTRY_VALUE = 40  # Customer.registry_status / registry_condition
USER_AGENT = "Clientes/0.1 (+consulta RUC/DNI)"

NOT_CONFIGURED = "La consulta de RUC/DNI no está configurada; ingrese los datos manualmente."


class LookupFailed(Exception):
    """No data from the registry; `message` (Spanish) says why and asks for manual entry."""

    code = "unavailable"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LookupNotConfigured(LookupFailed):
    code = "not_configured"


class LookupRateLimited(LookupFailed):
    code = "rate_limited"


class ProviderError(Exception):
    """A provider could not answer; `reason` completes "No se pudo consultar el RUC … (reason)"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RegistryRecord:
    kind: str  # RUC or DNI
    number: str
    found: bool
    name: str = ""  # razón social (RUC), or the full name as the registry writes it
    first_names: str = ""
    last_names: str = ""
    status: str = ""  # estado del contribuyente: ACTIVO, BAJA DE OFICIO…
    condition: str = ""  # condición del domicilio fiscal: HABIDO, NO HABIDO, NO HALLADO…
    street: str = ""
    ubigeo: str = ""
    department: str = ""
    province: str = ""
    district: str = ""
    checked_at: datetime = field(default_factory=timezone.now)
    cached: bool = False
    source: str = ""  # where the data came from, when not the online service ("padrón … del 28/11/2026")

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def alert(self) -> str:
        return registry_alert(self.status, self.condition)

    def to_cache(self) -> dict:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        del data["cached"]
        return data

    @classmethod
    def from_cache(cls, data: dict) -> "RegistryRecord":
        return cls(**{**data, "checked_at": datetime.fromisoformat(data["checked_at"]), "cached": True})


# --- what the registry's estado and condición mean ----------------------------------------


def registry_flags(status: str, condition: str) -> list[str]:
    """The values that deserve a warning: an estado other than ACTIVO (BAJA…, SUSPENSIÓN
    TEMPORAL) and a condición NO HABIDO or NO HALLADO… (D.S. 041-2006-EF: a taxpayer not found
    at its fiscal address). Empty when fine or never looked up."""
    status, condition = (status or "").strip().upper(), (condition or "").strip().upper()
    flags = []
    if status and status != "ACTIVO":
        flags.append(status)
    if condition.startswith(("NO HABIDO", "NO HALLADO")):
        flags.append(condition)
    return flags


def registry_alert(status: str, condition: str) -> str:
    """The warning as a sentence ("RUC en estado BAJA DE OFICIO; contribuyente NO HABIDO"), or ""."""
    status = (status or "").strip().upper()
    parts = []
    for flag in registry_flags(status, condition):
        parts.append(f"RUC en estado {flag}" if flag == status else f"contribuyente {flag}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# --- the lookup ------------------------------------------------------------------------------


# Providers answering from data held here (the padrón reducido del RUC of the padron app):
# asked before the online service, with no cache or rate limit. Registered at start-up by the
# app that owns the data (house style §11). Their find() returns None when they cannot answer
# that kind of number at all, and a record with found=False when their data lacks it.
_local_providers: list["RegistryProvider"] = []


def register_local_provider(provider: "RegistryProvider") -> None:
    _local_providers.append(provider)


def is_configured() -> bool:
    return bool(settings.LOOKUP_BASE_URL) or any(p.available() for p in _local_providers)


def get_provider() -> "RegistryProvider | None":
    """The online service, when LOOKUP_BASE_URL names one."""
    if not settings.LOOKUP_BASE_URL:
        return None
    return HttpProvider(
        base_url=settings.LOOKUP_BASE_URL,
        token=settings.LOOKUP_TOKEN,
        connect_timeout=settings.LOOKUP_TIMEOUT_CONNECT,
        read_timeout=settings.LOOKUP_TIMEOUT_READ,
        retries=settings.LOOKUP_RETRIES,
        backoff=settings.LOOKUP_BACKOFF,
        deadline=settings.LOOKUP_DEADLINE,
    )


def failure_message(kind: str, number: str, reason: str = "") -> str:
    label = LABELS.get(kind, "documento")
    subject = f"el {label} {number}" if number else f"el {label}"
    detail = f" ({reason})" if reason else ""
    return f"No se pudo consultar {subject}{detail}; ingrese los datos manualmente."


def may_look_up(user) -> bool:
    """Who may ask the registry: whoever creates or edits customers (the lupa of their form).
    None is the system (an import, a command)."""
    return user is None or user.has_perm("customers.add_customer") or user.has_perm("customers.change_customer")


def lookup_document(*, actor, kind: str, number: str) -> RegistryRecord:
    """What the registry says about a RUC or DNI; `found` is False when it does not have it.

    Raises ValidationError for a wrong number (checked here, before any HTTP call) and
    LookupFailed when there is no answer: not configured, rate limit, service down, slow or
    answering nonsense. Answers, found or not, are cached for LOOKUP_CACHE_SECONDS; failures
    are not, so the next try asks again. PermissionDenied unless may_look_up(actor).
    """
    if not may_look_up(actor):
        raise PermissionDenied
    if kind not in LABELS:
        raise ValidationError("Elija RUC o DNI.", code="kind")
    number = VALIDATORS[kind](str(number or ""))
    missing = None
    for local in _local_providers:
        record = local.find(kind, number)
        if record is not None and record.found:
            if kind == RUC:
                _remember_answer(record)  # the services stamp estado, condición and when from it
            return record
        missing = missing or record
    provider = get_provider()
    if provider is None:
        if missing is not None:
            return missing
        raise LookupNotConfigured(NOT_CONFIGURED)
    key = f"{CACHE_PREFIX}:{kind}:{number}"
    cached = cache.get(key)
    if cached is not None:
        record = RegistryRecord.from_cache(cached)
        if record.found and kind == RUC and registry_answer(kind, number) is None:
            _remember_answer(record)
        return record
    _count_against_rate_limit(actor)
    started = time.monotonic()
    try:
        record = provider.find(kind, number)
    except ProviderError as exc:
        # A DNI is personal data: the log says which service failed, not whose number it was.
        shown = number if kind == RUC else number[:2] + "******"
        logger.warning("Consulta %s %s fallida tras %.1f s: %s", LABELS[kind], shown, _since(started), exc.reason)
        raise LookupFailed(failure_message(kind, number, exc.reason)) from exc
    if record is None:
        record = RegistryRecord(kind=kind, number=number, found=False)
    cache.set(key, record.to_cache(), settings.LOOKUP_CACHE_SECONDS)
    if record.found and kind == RUC:
        _remember_answer(record)
    return record


def _answer_key(kind: str, number: str) -> str:
    return f"{CACHE_PREFIX}:answered:{kind}:{number}"


def _remember_answer(record: RegistryRecord) -> None:
    """The server's own note of what the registry answered and when, for the services to
    stamp a customer's estado, condición and registry_checked_at with (the browser only says
    that the user kept the lookup's values). Kept at least a working session, whatever
    LOOKUP_CACHE_SECONDS says, so a form filled by the lupa can be saved later that day."""
    timeout = max(settings.LOOKUP_CACHE_SECONDS, settings.SESSION_COOKIE_AGE)
    cache.set(_answer_key(record.kind, record.number), record.to_cache(), timeout)


def registry_answer(kind: str, number: str) -> RegistryRecord | None:
    """What the registry last answered this server about a RUC or DNI (found), or None."""
    try:
        data = cache.get(_answer_key(kind, number))
        return RegistryRecord.from_cache(data) if data else None
    except (TypeError, ValueError):  # an entry of an older shape
        return None


def _since(started: float) -> float:
    return time.monotonic() - started


def _current_minute() -> int:
    return int(time.time() // 60)


def _count_against_rate_limit(actor) -> None:
    """LOOKUP_RATE_LIMIT lookups per user per clock minute, counted in the shared cache so the
    limit holds across app servers. Only lookups that reach the provider count; answers from
    the cache cost nothing. (The cache's incr is not atomic: two simultaneous lookups may
    count once. A soft limit is all the provider's quota needs.)"""
    limit = settings.LOOKUP_RATE_LIMIT
    key = f"{CACHE_PREFIX}:rate:{getattr(actor, 'pk', None)}:{_current_minute()}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        raise LookupRateLimited(
            f"Hizo muchas consultas de RUC/DNI seguidas (máximo {limit} por minuto). "
            "Espere un minuto o ingrese los datos manualmente."
        )


def resolve_district(record: RegistryRecord) -> District | None:
    """The district of the registry's address: by its INEI ubigeo, else by the names of
    departamento, provincia and distrito (accents and case ignored)."""
    if re.fullmatch(r"\d{6}", record.ubigeo):
        district = District.objects.select_related("province").filter(pk=record.ubigeo).first()
        if district is not None:
            return district
    if not (record.department and record.province and record.district):
        return None
    department = _by_name(Department.objects.all(), record.department)
    province = department and _by_name(Province.objects.filter(department=department), record.province)
    district = province and _by_name(
        District.objects.select_related("province").filter(province=province), record.district
    )
    return district or None


def _by_name(queryset, name: str):
    wanted = fold(clean_spaces(name))
    return next((row for row in queryset if fold(row.name) == wanted), None)


# --- providers -------------------------------------------------------------------------------


class RegistryProvider(ABC):
    def available(self) -> bool:
        """Whether it can answer at all (configured, its data loaded)."""
        return True

    @abstractmethod
    def find(self, kind: str, number: str) -> RegistryRecord | None:
        """The registry's record of a valid RUC or DNI, None when it does not have it.
        Raises ProviderError when it cannot answer."""


class HttpProvider(RegistryProvider):
    """GET {base_url}/ruc/{number} and {base_url}/dni/{number} with "Authorization: Bearer
    {token}". 404 means not found. Timeouts, connection errors and 5xx are retried `retries`
    times, waiting backoff, 2×backoff…; a 4xx is final (asking again would get the same).
    A redirect is never followed: an answer from another host (or a cloud metadata address)
    is not the registry's. Every attempt, wait and read fits in `deadline` seconds in all."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        connect_timeout: float,
        read_timeout: float,
        retries: int,
        backoff: float,
        deadline: float = 6.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.deadline = deadline

    def find(self, kind: str, number: str) -> RegistryRecord | None:
        status, body = self._get(f"{self.base_url}/{kind}/{number}")
        if status == 404:
            return None
        if status == 429:
            raise ProviderError("el servicio recibió demasiadas consultas; inténtelo en unos minutos")
        if status in (401, 403):
            raise ProviderError(f"el servicio rechazó la clave de acceso, error {status}")
        if not 200 <= status < 300:
            raise ProviderError(f"el servicio respondió el error {status}")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ProviderError("el servicio respondió datos no válidos") from None
        return parse_answer(kind, number, payload)

    def _get(self, url: str) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        end = time.monotonic() + self.deadline
        reason = "el servicio no respondió a tiempo"
        with requests.Session() as session:
            for attempt in range(self.retries + 1):
                if attempt:
                    pause = self.backoff * 2 ** (attempt - 1)
                    if time.monotonic() + pause >= end:
                        break  # no time left for another attempt
                    time.sleep(pause)
                left = end - time.monotonic()
                if left <= 0:
                    break
                timeout = (min(self.timeout[0], left), min(self.timeout[1], left))
                try:
                    with session.get(
                        url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
                    ) as response:
                        if response.is_redirect or 300 <= response.status_code < 400:
                            # The registry lives at LOOKUP_BASE_URL; whatever another address
                            # says is not its answer (and the token must not travel there).
                            location = response.headers.get("Location", "")
                            logger.warning(
                                "Consulta RUC/DNI: el servicio respondió %s hacia %s; no se sigue",
                                response.status_code,
                                urlsplit(location).netloc or location[:80],
                            )
                            raise ProviderError("el servicio redirigió la consulta a otra dirección")
                        if response.status_code >= 500:
                            reason = f"el servicio tuvo un error, código {response.status_code}"
                            continue
                        return response.status_code, self._read(response, min(end, time.monotonic() + timeout[1]))
                except (requests.Timeout, _TooSlow):
                    reason = "el servicio no respondió a tiempo"
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    reason = "no hay conexión con el servicio"
                except requests.RequestException as exc:  # a malformed LOOKUP_BASE_URL…
                    logger.error("Consulta RUC/DNI: %s", exc)
                    raise ProviderError("el servicio no está bien configurado") from None
        raise ProviderError(reason)

    def _read(self, response, deadline: float) -> bytes:
        # The read timeout bounds each wait for a byte; the deadline bounds the whole body, so
        # a service that trickles its answer cannot hold the request either. read1 returns what
        # one socket read gives (iter_content would wait for a full chunk before we can look
        # at the clock).
        chunks, size = [], 0
        try:
            while chunk := response.raw.read1(8192, decode_content=True):
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise ProviderError("el servicio respondió datos no válidos")
                if time.monotonic() > deadline:
                    raise _TooSlow
                chunks.append(chunk)
        except urllib3.exceptions.TimeoutError:
            raise _TooSlow from None
        except urllib3.exceptions.HTTPError as exc:
            raise requests.ConnectionError(exc) from None
        return b"".join(chunks)


class _TooSlow(Exception):
    pass


# --- the answers HttpProvider understands (README.md, "RUC/DNI lookup") ----------------------

# Field names of the common Peruvian lookup services, compared without case, "_" or "-".
ALIASES = {
    "name": ("razonsocial", "nombreorazonsocial", "nombre", "nombrecompleto"),
    "first_names": ("nombres",),
    "paternal": ("apellidopaterno",),
    "maternal": ("apellidomaterno",),
    "last_names": ("apellidos",),
    "status": ("estado", "estadodelcontribuyente", "estadocontribuyente"),
    "condition": ("condicion", "condiciondedomicilio", "condiciondomicilio", "condiciondelcontribuyente"),
    "address": ("direccion", "domiciliofiscal", "direccioncompleta"),
    "ubigeo": ("ubigeo", "ubigeosunat"),
    "department": ("departamento",),
    "province": ("provincia",),
    "district": ("distrito",),
}
# Where an answer states its own number; one that names another number is refused.
NUMBER_KEYS = {RUC: ("ruc", "numerodocumento"), DNI: ("dni", "numerodocumento")}

_KEY = re.compile(r"[^a-z0-9]")


def parse_answer(kind: str, number: str, payload) -> RegistryRecord | None:
    """A RegistryRecord from a decoded JSON answer, None when the answer says "not found"
    ({"success": false}, {"data": null}). ProviderError when it is not a record of `number`."""
    if isinstance(payload, dict) and payload.get("success") is False:
        return None
    if isinstance(payload, dict) and "data" in payload:
        payload = payload["data"]
        if payload is None:
            return None
    if not isinstance(payload, dict):
        raise ProviderError("el servicio respondió datos no válidos")
    values = {_KEY.sub("", str(key).lower()): value for key, value in payload.items()}

    def text(name: str) -> str:
        for alias in ALIASES[name]:
            value = _scalar(values.get(alias))
            if value:
                return value
        return ""

    stated = next((_scalar(values.get(k)) for k in NUMBER_KEYS[kind] if _scalar(values.get(k))), "")
    if stated and stated.lstrip("0") != number.lstrip("0"):
        raise ProviderError("el servicio respondió los datos de otro número")

    first_names = text("first_names")
    last_names = text("last_names") or clean_spaces(f"{text('paternal')} {text('maternal')}")
    name = text("name") or clean_spaces(f"{first_names} {last_names}")
    if not name:
        raise ProviderError("el servicio respondió datos incompletos")
    department, province, district = text("department"), text("province"), text("district")
    return RegistryRecord(
        kind=kind,
        number=number,
        found=True,
        name=name,
        first_names=first_names,
        last_names=last_names,
        status=text("status").upper()[:MAX_REGISTRY_VALUE] if kind == RUC else "",
        condition=text("condition").upper()[:MAX_REGISTRY_VALUE] if kind == RUC else "",
        street=_street(text("address"), department, province, district),
        ubigeo=_ubigeo(values.get("ubigeo")) or _ubigeo(values.get("ubigeosunat")),
        department=department,
        province=province,
        district=district,
    )


def _scalar(value) -> str:
    """A text value of the answer, cleaned; SUNAT writes "-" for an empty field."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    text = clean_spaces(str(value))[:MAX_TEXT]
    return "" if set(text) <= {"-", " "} else text


def _ubigeo(value) -> str:
    # A code, or the three codes as a list (["15", "1501", "150122"]): the last is the district.
    if isinstance(value, list) and value:
        value = value[-1]
    code = _scalar(value)
    return code if re.fullmatch(r"\d{6}", code) else ""


def _street(address: str, department: str, province: str, district: str) -> str:
    """The address without the trailing "LIMA LIMA MIRAFLORES" (or "LIMA - LIMA - MIRAFLORES")
    that some services append: the form has selects for those."""
    address = address.rstrip(" -")
    if department and province and district:
        for separator in (" - ", "-", " "):
            suffix = " " + separator.join((department, province, district))
            if address.upper().endswith(suffix.upper()) and len(address) > len(suffix):
                return address[: -len(suffix)].rstrip(" ,-")
    return address
