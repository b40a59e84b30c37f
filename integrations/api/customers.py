"""/api/v1/customers: search and pick, read, create, update, Desactivar / Activar, and the
changes since a cursor. Every write goes through customers.services with the token's service
user as the actor: the same validation, permissions, history and notes as the pages."""

from datetime import datetime, timedelta

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Header, Query, Router, Status

from attributes.models import AttributeDefinition
from customers import services
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.queries import get_customer, list_customers, paginate_customers
from integrations.api.errors import ERROR_CODES, ApiError
from integrations.api.schemas import (
    ChangesOut,
    CustomerIn,
    CustomerWithCreditOut,
    Error,
    MergedOut,
    SearchOut,
)
from integrations.idempotency import MAX_KEY_LENGTH, KeyReused, run_once
from integrations.models import Scope
from integrations.representation import detail_with_credit, summary
from peru.concurrency import StaleEdit, etag, parse_etag
from peru.text import clean_spaces, fold

router = Router(tags=["clientes"])

ERRORS = {ERROR_CODES: Error}
MAX_SEARCH_RESULTS = 50
MAX_CHANGES = 500
# Rows changed within the last seconds are left for the next call: a transaction that began
# earlier may still commit with an older updated_at, and a cursor already past it would skip it.
CHANGES_SETTLE = timedelta(seconds=5)


def require_scope(request: HttpRequest, *scopes: str) -> None:
    """The token needs one of these scopes; without them the customer is not there for it (404
    for reads, as the issue asks), 403 for writes."""
    if not set(scopes) & set(request.auth.scopes):
        names = " o ".join(f"«{Scope(s).label}»" for s in scopes)
        raise ApiError(403, f"El token no tiene el permiso {names}.")


def _readable(request) -> None:
    require_scope(request, Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE)


def _visible_customer(request, customer_id: int) -> Customer:
    """A customer outside the Papelera; 404 otherwise (for the point of sale it is gone)."""
    customer = get_customer(pk=customer_id)
    if customer.deleted_at is not None:
        raise Http404
    return customer


@router.get("/customers", response={200: SearchOut, **ERRORS}, summary="Buscar clientes")
def search_customers(
    request,
    q: str = Query(
        ..., min_length=1, max_length=100, description="Documento, fragmento del nombre, teléfono o correo."
    ),
    limit: int = Query(10, ge=1, le=MAX_SEARCH_RESULTS),
):
    """Active customers outside the Papelera that match, the list's own search."""
    _readable(request)
    filterset = CustomerFilterSet({"q": q, "estado": "activos"}, queryset=list_customers())
    page = paginate_customers(filterset.qs, page=1, searching=filterset.searching, per_page=limit)
    if page.timed_out:
        raise ApiError(422, "La búsqueda tardó demasiado: escriba más letras o el documento completo.")
    return {"results": [summary(c) for c in page.rows], "more": page.has_next}


@router.get("/customers/changes", response={200: ChangesOut, **ERRORS}, summary="Cambios desde un cursor")
def customer_changes(
    request,
    since: str = Query("", max_length=80, description="El `next` de la consulta anterior, o una fecha ISO 8601."),
    limit: int = Query(100, ge=1, le=MAX_CHANGES),
):
    """Customers created or changed after `since`, oldest change first, including suspended
    ones and those sent to the Papelera (`deleted`), so a copy kept by a point of sale can
    follow. Call again with `next` while `more` is true."""
    _readable(request)
    after_time, after_id = _parse_cursor(since)
    rows = Customer.objects.select_related("document_type").order_by("updated_at", "id")
    rows = rows.filter(updated_at__lt=timezone.now() - CHANGES_SETTLE)
    if after_time is not None:
        rows = rows.filter(Q(updated_at__gt=after_time) | Q(updated_at=after_time, id__gt=after_id))
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    # No change after the cursor: the same cursor again (or empty on a first, empty sync).
    cursor = f"{found[-1].updated_at.isoformat()}|{found[-1].pk}" if found else since.strip()
    results = [
        {"id": c.pk, "deleted": c.deleted_at is not None, "customer": None if c.deleted_at else summary(c)}
        for c in found
    ]
    return {"results": results, "next": cursor, "more": more}


def _parse_cursor(value: str) -> tuple[datetime | None, int]:
    value = value.strip()
    if not value:
        return None, 0
    stamp, _, pk = value.partition("|")
    try:
        when = parse_datetime(stamp.replace(" ", "+"))
        number = int(pk) if pk else 0
    except ValueError:
        when, number = None, 0
    if when is None:
        raise ApiError(
            422,
            "El cursor «since» no es válido: use el «next» de la respuesta anterior o una fecha ISO 8601.",
            errors={"since": ["Cursor o fecha inválidos."]},
        )
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when, number


def _answer(customer: Customer, response: HttpResponse | None = None) -> dict:
    """The customer as the API shows it, with its credit; `ETag` carries its version."""
    if response is not None:
        response["ETag"] = etag(customer.version)
    return detail_with_credit(customer)


@router.get(
    "/customers/{int:customer_id}",
    response={200: CustomerWithCreditOut, 301: MergedOut, **ERRORS},
    summary="Leer un cliente",
)
def read_customer(request, response: HttpResponse, customer_id: int):
    """With condiciones de venta, crédito disponible, bloqueo and points; the `ETag` header is
    the customer's version, for `If-Match` on PATCH. A customer merged into another (Fusionar)
    answers 301 with the survivor's URL in Location and its id in `merged_into`, so a point of
    sale holding the old id follows it."""
    _readable(request)
    survivor = services.merged_into(customer_id)
    if survivor is not None:
        moved = JsonResponse(
            {"detail": f"El cliente {customer_id} se fusionó en el cliente {survivor}.", "merged_into": survivor},
            status=301,
            json_dumps_params={"ensure_ascii": False},
        )
        moved["Location"] = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + f"/{survivor}")
        return moved
    return _answer(_visible_customer(request, customer_id), response)


@router.post(
    "/customers",
    response={201: CustomerWithCreditOut, 200: CustomerWithCreditOut, **ERRORS},
    summary="Crear un cliente",
)
def create_customer(
    request,
    payload: CustomerIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=MAX_KEY_LENGTH),
):
    """The same rules as the customer form. With `Idempotency-Key`, sending the same request
    again answers with the first result (200 the second time) and creates nothing."""
    require_scope(request, Scope.CUSTOMERS_WRITE)
    data = payload.model_dump(exclude_unset=True)

    def action():
        customer = services.create_customer(actor=request.user, data=_service_data(data))
        return 201, _json(_answer(get_customer(pk=customer.pk)))

    try:
        status, body, replayed = run_once(
            token=request.auth, key=idempotency_key, operation="customers.create", body=data, action=action
        )
    except KeyReused:
        raise ApiError(
            422,
            "Esa Idempotency-Key ya se usó con otros datos: use una clave nueva para cada cliente.",
            errors={"Idempotency-Key": ["Clave ya usada con otros datos."]},
        ) from None
    return Status(200 if replayed else status, body)


@router.patch(
    "/customers/{int:customer_id}", response={200: CustomerWithCreditOut, **ERRORS}, summary="Modificar un cliente"
)
def update_customer(
    request,
    response: HttpResponse,
    customer_id: int,
    payload: CustomerIn,
    if_match: str | None = Header(None, alias="If-Match", max_length=100),
):
    """Only the fields sent change; the rest stay as they are. `address` replaces the main
    address; `phones` and `emails` replace the lists; `attributes` change the values named.
    With `If-Match: <ETag of a read>`, a change by someone else since that read is merged when
    it touched other fields, and refused with 412 when it touched the same ones."""
    require_scope(request, Scope.CUSTOMERS_WRITE)
    customer = _visible_customer(request, customer_id)
    sent = _service_data(payload.model_dump(exclude_unset=True))
    version = None
    if if_match is not None and if_match.strip() != "*":
        version = parse_etag(if_match)
        if version is None:
            raise ApiError(
                400, 'If-Match no es una ETag de este cliente: use la cabecera ETag de la última lectura, p. ej. "7".'
            )
    data = {**current_data(customer), **sent}
    try:
        services.update_customer(
            actor=request.user,
            customer=customer,
            data=data,
            version=version,
            changed=_changed_keys(sent) if version else None,
        )
    except StaleEdit as exc:
        raise ApiError(
            412,
            exc.text(),
            errors={c.key: [f"Valor actual: {c.current}"] for c in exc.conflicts} or None,
            headers={"ETag": etag(exc.current_version)} if exc.current_version else None,
        ) from None
    return _answer(get_customer(pk=customer_id), response)


@router.post(
    "/customers/{int:customer_id}/deactivate",
    response={200: CustomerWithCreditOut, **ERRORS},
    summary="Desactivar un cliente",
)
def deactivate_customer(request, customer_id: int):
    """The customer stays on file but no longer appears to the point of sale or invoicing."""
    require_scope(request, Scope.CUSTOMERS_WRITE)
    services.suspend_customer(actor=request.user, customer=_visible_customer(request, customer_id))
    return _answer(get_customer(pk=customer_id))


@router.post(
    "/customers/{int:customer_id}/activate",
    response={200: CustomerWithCreditOut, **ERRORS},
    summary="Activar un cliente",
)
def activate_customer(request, customer_id: int):
    require_scope(request, Scope.CUSTOMERS_WRITE)
    services.reactivate_customer(actor=request.user, customer=_visible_customer(request, customer_id))
    return _answer(get_customer(pk=customer_id))


# --- between the API's JSON and the services' data ------------------------------------------


def _service_data(data: dict) -> dict:
    """The API's JSON as the services take it: null means empty."""
    result = {}
    for key, value in data.items():
        if key == "address":
            result[key] = {k: v for k, v in (value or {}).items() if v is not None}
        elif key in ("phones", "emails", "notification_emails", "notification_whatsapp"):
            result[key] = value or []
        elif key == "attributes":
            result[key] = value or {}
        else:
            result[key] = "" if value is None else value
    return result


def current_data(customer: Customer) -> dict:
    """The customer as the services' data, so a PATCH can change only what it sends."""
    fields = (
        "kind", "is_foreign", "document_number", "business_name", "first_names", "last_names", "business_line",
        "country", "requests_detraction", "loyalty_enrolled", "website", "facebook", "instagram",
        "tiktok", "x", "linkedin", "youtube", "additional_info", "description",
    )  # fmt: skip
    data = {name: getattr(customer, name) for name in fields}
    data["document_type"] = customer.document_type_id
    data["category"] = customer.category_id
    data["customer_class"] = customer.customer_class_id
    data["phones"] = [{"number": p.number, "whatsapp": p.whatsapp} for p in customer.phones.all()]
    data["emails"] = [e.email for e in customer.emails.all()]
    data["notification_emails"] = list(customer.notification_emails)
    data["notification_whatsapp"] = list(customer.notification_whatsapp)
    return data


def _changed_keys(sent: dict) -> set[str]:
    """The keys a PATCH changes, as the optimistic-concurrency check names them: fields by
    name, attribute values as "attributes.<id>" (the PATCH names them)."""
    keys = {key for key in sent if key != "attributes"}
    if sent.get("attributes"):
        named = {fold(clean_spaces(name)) for name in sent["attributes"]}
        for definition in AttributeDefinition.objects.only("key", "name"):
            if definition.key in sent["attributes"] or fold(definition.name) in named:
                keys.add(f"attributes.{definition.key}")
    return keys


def _json(value: dict) -> dict:
    """An answer as JSON-native values, as stored for an idempotent replay."""
    return CustomerWithCreditOut.model_validate(value).model_dump(mode="json")
