"""Comprobantes, anulaciones and pagos sent by other systems (the invoicing system, through the
integration API): the rules of credit.services, made idempotent, because a system that lost an
answer sends the same thing again.

- A comprobante is identified by tipo + serie-número (unique): the same one again for the same
  customer and total answers with the first (replayed) and moves nothing; with other data it is
  refused as a duplicate.
- A pago is identified by its reference among the customer's pagos: the same reference again
  for the same comprobante and amount answers with the first.
- Anular twice leaves the comprobante anulado once.

A comprobante may name the credit authorization of its sale: the hold ends in the comprobante's
own transaction (credit.authorizations.use_authorization), so the saldo takes over from the hold
without a moment where both, or neither, count.

Amounts are a program's decimal strings, read as written (credit.money.parse_amount without
`typed`): "2.000" is 2.00, not two thousand — a person's «2.000» is refused as ambiguous instead.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from credit import services
from credit.authorizations import use_authorization
from credit.models import Document, Payment
from credit.money import parse_amount
from customers.models import Customer


def _same_document(existing: Document, customer: Customer, data: dict) -> bool:
    try:
        total = parse_amount(data.get("total"), label="El total")
    except ValueError:
        return False
    return existing.customer_id == customer.pk and existing.total == total


def _find_document(data: dict) -> Document | None:
    doc_type = str(data.get("doc_type") or "")
    series = str(data.get("series") or "").strip().upper()
    try:
        number = int(str(data.get("number") or "").strip())
    except ValueError:
        return None
    return Document.objects.filter(doc_type=doc_type, series=series, number=number).first()


def _duplicate(existing: Document) -> ValidationError:
    return ValidationError(
        {
            "number": [
                f"Ya existe la {existing.get_doc_type_display().lower()} {existing.serie_number} "
                f"con otros datos (cliente o total)."
            ]
        }
    )


def register_document_once(*, actor, customer: Customer, data: dict, authorization_id=None) -> tuple[Document, bool]:
    """(document, replayed). `authorization_id`: the credit authorization the sale used."""
    services._require(actor, "credit.add_document")
    existing = _find_document(data)
    if existing is not None:
        if not _same_document(existing, customer, data):
            raise _duplicate(existing)
        return existing, True
    try:
        with transaction.atomic():
            document = services.register_document(actor=actor, customer=customer, data=data, typed=False)
            if authorization_id is not None:
                use_authorization(authorization_id=authorization_id, document=document)
    except (IntegrityError, ValidationError) as exc:
        # The same comprobante, sent twice at once: the other one committed first.
        existing = _find_document(data)
        if existing is None:
            raise
        if not _same_document(existing, customer, data):
            if isinstance(exc, IntegrityError):
                raise _duplicate(existing) from None
            raise
        return existing, True
    return document, False


def void_document_once(*, actor, document: Document, reason: str) -> tuple[Document, bool]:
    """(document, replayed): anular an already anulado comprobante answers with it."""
    services._require(actor, "credit.change_document")
    if Document.objects.filter(pk=document.pk, is_voided=True).exists():
        return Document.objects.get(pk=document.pk), True
    try:
        return services.void_document(actor=actor, document=document, reason=reason), False
    except ValidationError:
        # Voided meanwhile by a retry that ran at the same moment: that is the answer.
        current = Document.objects.get(pk=document.pk)
        if current.is_voided:
            return current, True
        raise


def register_payment_once(*, actor, document: Document, data: dict) -> tuple[Payment, bool]:
    """(payment, replayed). The reference is required here: it is what makes a retry safe."""
    services._require(actor, "credit.add_payment")
    reference = " ".join(str(data.get("reference") or "").split())
    if not reference:
        raise ValidationError({"reference": ["Indique la referencia del pago (número de operación o recibo)."]})
    with transaction.atomic():
        # Payments of one customer take turns on its balance row: a retry waits, then finds the first.
        services.locked_account(document.customer)
        previous = (
            Payment.objects.filter(document__customer_id=document.customer_id, reference=reference)
            .select_related("document")
            .first()
        )
        if previous is not None:
            try:
                amount = parse_amount(data.get("amount"), label="El monto del pago")
            except ValueError:
                amount = None
            if previous.document_id != document.pk or previous.amount != amount:
                raise ValidationError(
                    {
                        "reference": [
                            f"La referencia «{reference}» ya se usó en un pago de {previous.document.serie_number} "
                            f"por otro monto o comprobante."
                        ]
                    }
                )
            return previous, True
        payment = services.register_payment(
            actor=actor, document=document, data={**data, "reference": reference}, typed=False
        )
    return payment, False


def update_credit_settings(*, actor, customer: Customer, data: dict) -> None:
    """Cupo and bloqueo in one go, all or nothing (the API's PUT): `credit_limit` (absent: as
    it is; None or "": no credit), `blocked` (True/False; the same as now changes nothing) with
    `reason`, required when the bloqueo changes. Each change leaves its note and webhook event."""
    with transaction.atomic():
        account = services.locked_account(services._writable_customer(customer))
        if "credit_limit" in data:
            services.update_sales_conditions(
                actor=actor, customer=customer, data={"credit_limit": data["credit_limit"]}, typed=False
            )
        blocked = data.get("blocked")
        if blocked is not None and blocked != account.is_blocked:
            change = services.block_credit if blocked else services.unblock_credit
            change(actor=actor, customer=customer, reason=data.get("reason") or "")
