"""Corrections of comprobantes, pagos and proyectos registered by hand (the Django admin's
change and delete call these; registering goes through credit.services).

Same shape as credit.services: keyword arguments, the actor's permission first (None: the
system), every check before any write with Spanish messages per field, one transaction with
the customer's balance row locked first, then the document.

What may be corrected, and why only that:
- a comprobante's due date and proyecto (its amounts, type and serie-número are what SUNAT
  received: those change by a nota de crédito or débito, or by anulación);
- a pago's date, medio de pago and referencia (a wrong amount: delete the pago and register
  it again);
- deleting a comprobante or pago registered by mistake: the balance row moves back in the
  same transaction. A comprobante with pagos, notas or points earned is not deleted (anúlelo
  or delete its pagos first); a pago whose comprobante earned points is not deleted (the
  points ledger is never rewritten).
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min

from credit.models import ZERO, Document, Payment, PaymentTerm, PointsMovement, Project
from credit.money import format_money
from credit.services import (
    _choice,
    _date,
    _maybe_int,
    _move_balance,
    _open_documents,
    _payment_reference_and_date,
    _require,
    _writable_customer,
    locked_account,
)
from customers.models import CustomerNote
from customers.notes import record_note

_BALANCE_FIELDS = ["balance", "open_documents", "oldest_due_date", "updated_at"]


def correct_document(*, actor, document: Document, data: dict) -> Document:
    """A comprobante's due date (dd/mm/aaaa; empty: the issue date) and proyecto (id or empty)."""
    _require(actor, "credit.change_document")
    errors: dict[str, list[str]] = {}
    due_date = _date(data.get("due_date") or document.issue_date, "due_date", "La fecha de vencimiento", errors)
    if isinstance(due_date, date):
        if due_date < document.issue_date:
            errors["due_date"] = [
                f"La fecha de vencimiento no puede ser anterior a la de emisión ({document.issue_date:%d/%m/%Y})."
            ]
        elif due_date > document.issue_date + timedelta(days=3650):
            errors["due_date"] = ["La fecha de vencimiento está a más de 10 años de la emisión."]
    project = None
    raw_project = data.get("project")
    if raw_project not in (None, ""):
        project_id = raw_project.pk if isinstance(raw_project, Project) else _maybe_int(raw_project)
        project = Project.objects.filter(pk=project_id, customer_id=document.customer_id).first()
        if project is None:
            errors["project"] = ["Elija un proyecto de este cliente."]
        elif not project.is_active and project.pk != document.project_id:
            errors["project"] = [f"El proyecto {project.code} está inactivo."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(document.customer)
        account = locked_account(customer)
        document = Document.objects.select_for_update().get(pk=document.pk)
        changes = []
        if due_date != document.due_date:
            changes.append(f"vencimiento {document.due_date:%d/%m/%Y} → {due_date:%d/%m/%Y}")
        if getattr(project, "pk", None) != document.project_id:
            before = document.project.code if document.project_id else "—"
            changes.append(f"proyecto {before} → {project.code if project else '—'}")
        if not changes:
            return document
        if document.is_voided:
            raise ValidationError("Este comprobante está anulado: ya no se corrige.")
        document.due_date, document.project = due_date, project
        document.save(update_fields=["due_date", "project"])
        if document.outstanding > 0:
            # The oldest due date may move either way: ask the open documents again.
            account.oldest_due_date = _open_documents(customer.pk).aggregate(d=Min("due_date"))["d"]
            account.save(update_fields=_BALANCE_FIELDS)
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.EDITED,
            text=f"{document} corregido: {'; '.join(changes)}.",
        )
    return document


def delete_document(*, actor, document: Document) -> None:
    """A comprobante registered by mistake (no pagos, no notas, no points): gone, and the
    balance row without it."""
    _require(actor, "credit.delete_document")
    with transaction.atomic():
        customer = _writable_customer(document.customer)
        account = locked_account(customer)
        document = Document.objects.select_for_update().get(pk=document.pk)
        label = document.serie_number
        if Payment.objects.filter(document=document).exists():
            raise ValidationError(f"{label} tiene pagos registrados: elimine los pagos primero, o anúlelo.")
        if Document.objects.filter(related=document).exists():
            raise ValidationError(f"{label} tiene notas de crédito o débito: elimínelas primero, o anúlelo.")
        if PointsMovement.objects.filter(document=document).exists():
            raise ValidationError(f"{label} dio puntos al cliente: no se elimina; anúlelo en su lugar.")
        if document.doc_type == Document.Type.CREDIT_NOTE and not document.is_voided:
            related = Document.objects.select_for_update().get(pk=document.related_id)
            before = related.outstanding
            related.credited -= document.total
            related.save(update_fields=["credited"])
            _move_balance(account, related, before)
        text = f"{document} eliminado (registrado por error)."
        before = document.outstanding
        document.delete()
        if document.is_debt:
            # Gone, so its outstanding amount is 0 now (and the open documents no longer count it).
            document.is_voided = True
            _move_balance(account, document, before)
        account.save(update_fields=_BALANCE_FIELDS)
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.EDITED, text=text)


def correct_payment(*, actor, payment: Payment, data: dict) -> Payment:
    """A pago's date, medio de pago and referencia; the amount stays (delete and register again)."""
    _require(actor, "credit.change_payment")
    errors: dict[str, list[str]] = {}
    document = payment.document
    pay_date = _date(data.get("date"), "date", "La fecha del pago", errors)
    raw_method = data.get("method")
    if payment.method_id and _maybe_int(getattr(raw_method, "pk", raw_method)) == payment.method_id:
        method = payment.method  # kept, even if deactivated since
    else:
        method = _choice(PaymentTerm, raw_method, "method", "forma de pago", errors)
    reference = _payment_reference_and_date(document, data, pay_date, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(document.customer)
        locked_account(customer)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        changes = []
        if pay_date != payment.date:
            changes.append(f"fecha {payment.date:%d/%m/%Y} → {pay_date:%d/%m/%Y}")
        if getattr(method, "pk", None) != payment.method_id:
            changes.append(f"medio {payment.method or '—'} → {method or '—'}")
        if reference != payment.reference:
            changes.append(f"referencia «{payment.reference}» → «{reference}»")
        if not changes:
            return payment
        payment.date, payment.method, payment.reference = pay_date, method, reference
        payment.save(update_fields=["date", "method", "reference"])
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.EDITED,
            text=f"Pago de {format_money(payment.amount, document.currency)} a {document.serie_number} corregido: "
            + "; ".join(changes)
            + ".",
        )
    return payment


def delete_payment(*, actor, payment: Payment) -> None:
    """A pago registered by mistake: its comprobante owes it again, and the balance row too."""
    _require(actor, "credit.delete_payment")
    with transaction.atomic():
        customer = _writable_customer(payment.document.customer)
        account = locked_account(customer)
        document = Document.objects.select_for_update().get(pk=payment.document_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        earned = PointsMovement.objects.filter(document=document, kind=PointsMovement.Kind.EARNED).first()
        if earned is not None:
            raise ValidationError(
                f"Este pago completó {document.serie_number} y el cliente ganó {earned.points:,} puntos: no se elimina."
            )
        before = document.outstanding
        document.paid -= payment.amount
        if document.paid < ZERO:  # only a corrupted row; recompute_balances reports it
            raise ValidationError(f"Los pagos de {document.serie_number} no cuadran: ejecute recompute_balances.")
        document.save(update_fields=["paid"])
        _move_balance(account, document, before)
        account.save(update_fields=_BALANCE_FIELDS)
        amount = format_money(payment.amount, document.currency)
        text = f"Pago de {amount} del {payment.date:%d/%m/%Y} a {document} eliminado."
        payment.delete()
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.EDITED, text=text)


def delete_project(*, actor, project: Project) -> None:
    """A proyecto without comprobantes; one with them is deactivated instead."""
    _require(actor, "credit.delete_project")
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        count = Document.objects.filter(project=project).count()
        if count:
            raise ValidationError(
                f"El proyecto {project.code} tiene {count} comprobante{'s' if count != 1 else ''}: "
                "desactívelo en lugar de eliminarlo."
            )
        project.delete()
