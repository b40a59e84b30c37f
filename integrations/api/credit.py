"""/api/v1 for the invoicing system and the point of sale: comprobantes, anulaciones and pagos
(scope comprobantes), the customer's cupo and bloqueo, and credit authorizations (scope
crédito). Every write goes through the credit app's services (credit.intake,
credit.authorizations, credit.services) with the token's service user as the actor."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils import timezone
from ninja import Router, Status

from credit.authorizations import authorize_credit, cancel_authorization, get_authorization
from credit.intake import register_document_once, register_payment_once, update_credit_settings, void_document_once
from credit.models import CreditAuthorization, Document
from customers.models import Customer
from customers.queries import get_customer
from integrations.api.auth import TokenAuth
from integrations.api.customers import ERRORS
from integrations.api.errors import ApiError
from integrations.api.schemas import (
    AnnulIn,
    AuthorizationIn,
    AuthorizationOut,
    CreditIn,
    CreditOut,
    DocumentIn,
    DocumentOut,
    PaymentIn,
    PaymentOut,
)
from integrations.models import Scope
from integrations.representation import authorization_out, credit_of, document_out, payment_out

router = Router()

# The scope is checked with the token, before the body is read (403 whatever was sent).
DOCUMENTS = TokenAuth(Scope.DOCUMENTS)
CREDIT = TokenAuth(Scope.CREDIT)


def _customer(customer_id: int) -> Customer:
    """A customer outside the Papelera; 404 otherwise."""
    customer = Customer.objects.filter(pk=customer_id, deleted_at__isnull=True).first()
    if customer is None:
        raise ApiError(
            404,
            f"No existe el cliente {customer_id} (o está en la Papelera).",
            errors={"customer_id": ["Cliente no encontrado."]},
        )
    return customer


def _document(document_id: int) -> Document:
    document = Document.objects.select_related("customer").filter(pk=document_id).first()
    if document is None or document.customer.deleted_at is not None:
        raise ApiError(
            404, f"No existe el comprobante {document_id}.", errors={"document_id": ["Comprobante no encontrado."]}
        )
    return document


# --- comprobantes y pagos ----------------------------------------------------------------------


@router.post("/documents", response={201: DocumentOut, 200: DocumentOut, **ERRORS}, tags=["comprobantes"],
             auth=DOCUMENTS, summary="Registrar un comprobante")  # fmt: skip
def register_document(request, payload: DocumentIn):
    """Factura, boleta, nota de crédito o de débito emitida por la facturación: mueve el saldo
    del cliente. El mismo tipo + serie-número otra vez (mismo cliente y total) devuelve el
    primero con 200 y no cuenta dos veces; con otros datos es 422. `authorization_id` libera
    la retención de la autorización de crédito de esa venta."""
    customer = _customer(payload.customer_id)
    data = {
        "doc_type": payload.doc_type,
        "series": payload.series,
        "number": payload.number,
        "issue_date": payload.issue_date,
        "due_date": payload.due_date or payload.issue_date,
        "currency": payload.currency,
        "exchange_rate": payload.exchange_rate or "",
        "total": payload.total,
        "related": payload.related_id,
        "project": payload.project_id,
    }
    document, replayed = register_document_once(
        actor=request.user, customer=customer, data=data, authorization_id=payload.authorization_id
    )
    return Status(200 if replayed else 201, document_out(document))


@router.post("/documents/{int:document_id}/annul", response={200: DocumentOut, **ERRORS}, tags=["comprobantes"],
             auth=DOCUMENTS, summary="Anular un comprobante")  # fmt: skip
def annul_document(request, document_id: int, payload: AnnulIn):
    """Deja de contar en el saldo. Anular otra vez uno anulado responde lo mismo."""
    document, _ = void_document_once(actor=request.user, document=_document(document_id), reason=payload.reason)
    return document_out(Document.objects.get(pk=document.pk))


@router.post("/payments", response={201: PaymentOut, 200: PaymentOut, **ERRORS}, tags=["comprobantes"], auth=DOCUMENTS,
             summary="Registrar un pago")  # fmt: skip
def register_payment(request, payload: PaymentIn):
    """Pago de un comprobante, nunca mayor a lo que se debe de él. La misma referencia otra vez
    (mismo comprobante y monto) devuelve el primer pago con 200 y no cuenta dos veces."""
    document = _document(payload.document_id)
    data = {
        "date": payload.date or timezone.localdate(),
        "amount": payload.amount,
        "method": payload.method_id,
        "reference": payload.reference,
    }
    payment, replayed = register_payment_once(actor=request.user, document=document, data=data)
    return Status(200 if replayed else 201, payment_out(payment))


# --- cupo y bloqueo ------------------------------------------------------------------------------


@router.put("/customers/{int:customer_id}/credit", response={200: CreditOut, **ERRORS}, tags=["crédito"], auth=CREDIT,
            summary="Cambiar cupo o bloqueo")  # fmt: skip
def update_credit(request, customer_id: int, payload: CreditIn):
    """`credit_limit` cambia el cupo; `blocked` bloquea o desbloquea con `reason` (obligatorio).
    Los campos que no se envían quedan como están; cada cambio deja su nota y su webhook."""
    customer = _customer(customer_id)
    data = payload.model_dump(exclude_unset=True)
    update_credit_settings(actor=request.user, customer=customer, data=data)
    return credit_of(get_customer(pk=customer_id))


# --- autorizaciones de crédito -----------------------------------------------------------------


@router.post("/credit/authorizations", response={201: AuthorizationOut, 200: AuthorizationOut, **ERRORS},
             tags=["crédito"], auth=CREDIT, summary="Pedir una autorización de crédito")  # fmt: skip
def create_authorization(request, payload: AuthorizationIn):
    """Aprobada (retiene el monto hasta que llegue el comprobante que la nombra, se cancele o
    venza) o rechazada con el motivo y el crédito disponible. Atómica: autorizaciones
    simultáneas de un cliente nunca superan juntas lo disponible. La misma `reference` otra vez
    devuelve la primera respuesta con 200 y no retiene dos veces."""
    try:
        authorization, replayed = authorize_credit(
            actor=request.user, customer_id=payload.customer_id, amount=payload.amount, reference=payload.reference
        )
    except Customer.DoesNotExist:
        raise ApiError(
            404, f"No existe el cliente {payload.customer_id}.", errors={"customer_id": ["Cliente no encontrado."]}
        ) from None
    return Status(200 if replayed else 201, authorization_out(authorization))


def _own_authorization(request, authorization_id: int) -> CreditAuthorization:
    """An authorization this token asked for; 404 otherwise (another system's sales are not its business)."""
    try:
        authorization = get_authorization(authorization_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    if authorization.requested_by_id != request.user.pk:
        raise Http404
    return authorization


@router.get("/credit/authorizations/{int:authorization_id}", response={200: AuthorizationOut, **ERRORS},
            tags=["crédito"], auth=CREDIT, summary="Leer una autorización")  # fmt: skip
def read_authorization(request, authorization_id: int):
    """Su estado actual: también si Créditos la aprobó por excepción después de rechazarla."""
    return authorization_out(_own_authorization(request, authorization_id))


@router.post("/credit/authorizations/{int:authorization_id}/cancel", response={200: AuthorizationOut, **ERRORS},
             tags=["crédito"], auth=CREDIT, summary="Cancelar una autorización")  # fmt: skip
def cancel(request, authorization_id: int):
    """La venta no se hizo: libera la retención. Cancelar otra vez no cambia nada."""
    authorization = cancel_authorization(
        actor=request.user, authorization=_own_authorization(request, authorization_id)
    )
    return authorization_out(get_authorization(authorization.pk))
