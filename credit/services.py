"""Rules of condiciones de venta, crédito, comprobantes, pagos, puntos and cupo requests.

Every entry point (pages, admin, the integration API, commands) calls these functions.
Each takes keyword arguments, checks the actor's permission (actor=None is the system
itself: commands, data fixes), validates everything first with Spanish messages per field,
then writes in one transaction.

The balance row (CreditAccount.balance / open_documents / oldest_due_date) changes only here,
in the transaction of the document or payment that moves it, with that row locked first
(then the document): two payments of one customer take turns, and the list never sums
documents. `recompute_balances` proves the row right.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from credit import events
from credit.models import (
    ZERO,
    CreditAccount,
    CreditRequest,
    Document,
    Payment,
    PaymentTerm,
    PointsMovement,
    PointsProgram,
    PriceList,
    Project,
    to_soles,
)
from credit.money import format_money, parse_amount
from customers.events import customer_event
from customers.history import record_bulk_history, stamp
from customers.models import Customer, CustomerNote
from customers.notes import record_note
from peru.numbers import commas_group_thousands, typed_number_text
from peru.text import clean_spaces, fold

MAX_REASON = 300
MAX_EXCHANGE_RATE = Decimal("100")
MIN_EXCHANGE_RATE = Decimal("0.01")
MAX_POINTS_ADJUSTMENT = 10_000_000


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _reason(value, *, field: str = "reason", what: str = "el motivo") -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationError({field: f"Escriba {what}."})
    if len(text) > MAX_REASON:
        raise ValidationError({field: f"{what.capitalize()} admite hasta {MAX_REASON} caracteres."})
    return text


def _today() -> date:
    return timezone.localdate()


# --- Configuración: listas de precios, formas de pago, programa de puntos ----------------

LIST_MODELS = {"listas-de-precios": PriceList, "formas-de-pago": PaymentTerm}


def save_price_list(*, actor, data: dict, price_list: PriceList | None = None) -> PriceList:
    return save_list_item(actor=actor, model=PriceList, item=price_list, data=data)


def save_payment_term(*, actor, data: dict, payment_term: PaymentTerm | None = None) -> PaymentTerm:
    return save_list_item(actor=actor, model=PaymentTerm, item=payment_term, data=data)


def save_list_item(*, actor, model, item, data: dict):
    label = model._meta.model_name
    _require(actor, f"credit.{'change' if item else 'add'}_{label}")
    errors: dict[str, list[str]] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = ["Escriba el nombre."]
    elif len(name) > 60:
        errors["name"] = ["El nombre admite hasta 60 caracteres."]
    elif model.objects.filter(name__iexact=name).exclude(pk=getattr(item, "pk", None)).exists():
        errors["name"] = [f"Ya existe «{name}»."]
    position = _int(data.get("position", getattr(item, "position", 0)), "position", "El orden", errors, maximum=9999)
    values = {"name": name, "position": position, "is_active": bool(data.get("is_active", True))}
    if model is PaymentTerm:
        kind = data.get("kind") or PaymentTerm.Kind.CASH
        if kind not in PaymentTerm.Kind.values:
            errors["kind"] = ["Elija contado o crédito."]
        days = _int(data.get("term_days") or 0, "term_days", "El plazo", errors, maximum=3650)
        if kind == PaymentTerm.Kind.CREDIT and not errors.get("term_days") and days < 1:
            errors["term_days"] = ["Una forma de pago a crédito necesita un plazo de al menos 1 día."]
        if kind == PaymentTerm.Kind.CASH:
            days = 0
        values.update(kind=kind, term_days=days)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if item is None:
            item = model(**values)
        else:
            item = model.objects.select_for_update().get(pk=item.pk)
            for field, value in values.items():
                setattr(item, field, value)
        item.full_clean()
        item.save()
    return item


def _int(value, field, label, errors, *, maximum) -> int:
    try:
        number = int(str(value).strip() or 0)
    except (TypeError, ValueError):
        errors[field] = [f"{label} debe ser un número entero."]
        return 0
    if number < 0 or number > maximum:
        errors[field] = [f"{label} debe estar entre 0 y {maximum}."]
    return number


def _in_use_by_accounts(item) -> int:
    if isinstance(item, PriceList):
        return CreditAccount.objects.filter(price_list=item).count()
    return CreditAccount.objects.filter(payment_term=item).count() + Payment.objects.filter(method=item).count()


def delete_list_item(*, actor, item) -> None:
    """A lista de precios or forma de pago in use can't be deleted, only deactivated."""
    _require(actor, f"credit.delete_{item._meta.model_name}")
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        used = _in_use_by_accounts(item)
        if used:
            raise ValidationError(
                f"«{item.name}» está en uso ({used} cliente{'s' if used != 1 else ''} o pago"
                f"{'s' if used != 1 else ''}): desactívela en lugar de eliminarla."
            )
        item.delete()


def get_points_program() -> PointsProgram:
    program, _ = PointsProgram.objects.get_or_create(pk=1)
    return program


def update_points_program(*, actor, data: dict) -> PointsProgram:
    _require(actor, "credit.change_pointsprogram")
    errors: dict[str, list[str]] = {}
    values = {"enabled": bool(data.get("enabled"))}
    for field, label, maximum in (
        ("points_per_sol", "Los puntos por S/ 1", Decimal("1000")),
        ("point_value", "El valor de un punto", Decimal("1000")),
    ):
        try:
            # As a person types it (peru.numbers): «0,05» is 0.05 (not 5), «1.000» is asked about.
            text = typed_number_text(str(data.get(field, "")).strip().replace(" ", ""), label=label)
        except ValueError as exc:
            errors[field] = [str(exc)]
            continue
        try:
            if "," in text and not commas_group_thousands(text):
                raise ValueError
            amount = Decimal(text.replace(",", ""))
            if not amount.is_finite() or amount < 0 or amount > maximum:
                raise ValueError
            if amount != amount.quantize(Decimal("0.0001")):
                raise ValueError
            values[field] = amount
        except (ArithmeticError, ValueError):
            errors[field] = [f"{label} debe ser un número entre 0 y {maximum} (hasta 4 decimales)."]
    values["expiry_months"] = _int(data.get("expiry_months", ""), "expiry_months", "Los meses", errors, maximum=120)
    if not errors.get("expiry_months") and values["expiry_months"] < 1:
        errors["expiry_months"] = ["Los puntos vencen después de al menos 1 mes."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        program = get_points_program()
        program = PointsProgram.objects.select_for_update().get(pk=program.pk)
        for field, value in values.items():
            setattr(program, field, value)
        program.full_clean()
        program.save()
    return program


# --- the customer's account: condiciones de venta, cupo, bloqueo ---------------------------


def locked_account(customer: Customer) -> CreditAccount:
    """The customer's CreditAccount row, created on first use, locked until the transaction
    ends. Call inside transaction.atomic()."""
    # INSERT … ON CONFLICT DO NOTHING: two first writes for one customer can't collide.
    CreditAccount.objects.bulk_create([CreditAccount(customer_id=customer.pk)], ignore_conflicts=True)
    return CreditAccount.objects.select_for_update().get(customer_id=customer.pk)


def _writable_customer(customer: Customer) -> Customer:
    try:
        current = Customer.objects.get(pk=customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError("Ese cliente ya no existe.") from None
    if current.deleted_at is not None:
        raise ValidationError("Este cliente está en la Papelera: restáurelo antes de cambiar su crédito.")
    return current


def update_sales_conditions(*, actor, customer: Customer, data: dict, typed: bool = True) -> CreditAccount:
    """Condiciones de venta: lista de precios, forma de pago and cupo (S/, ≥ 0; empty: no credit).

    Keys absent from `data` keep their value. Each change leaves a note naming it. `typed`: the
    cupo as a person types it (credit.money.parse_amount); False for a program's (the API)."""
    _require(actor, "credit.change_creditaccount")
    values, errors = clean_sales_conditions(data, typed=typed)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(customer)
        account = locked_account(customer)
        changes = []
        for field, value in values.items():
            before = getattr(account, field)
            if before != value:
                changes.append((field, before, value))
                setattr(account, field, value)
        if not changes:
            return account
        stamp(account, actor=actor, reason="Condiciones de venta")
        account.save()
        for field, before, after in changes:
            if field == "credit_limit":
                record_note(
                    customer=customer,
                    actor=actor,
                    kind=CustomerNote.Kind.CREDIT_LIMIT,
                    text=f"Cupo de crédito: {_limit_text(before)} → {_limit_text(after)}.",
                )
                # Webhooks (integrations' outbox), in this transaction.
                customer_event(
                    events.LIMIT_CHANGED,
                    customer,
                    {"credit_limit": {"before": _money_json(before), "after": _money_json(after)}},
                )
        others = [(f, b, a) for f, b, a in changes if f != "credit_limit"]
        if others:
            lines = [
                f"{CreditAccount._meta.get_field(f).verbose_name.capitalize()}: {b or '—'} → {a or '—'}"
                for f, b, a in others
            ]
            record_note(
                customer=customer,
                actor=actor,
                kind=CustomerNote.Kind.EDITED,
                text="Condiciones de venta cambiadas.\n" + "\n".join(lines),
            )
    return account


def _money_json(value) -> str | None:
    return None if value is None else str(value)


def clean_sales_conditions(data: dict, *, typed: bool = True) -> tuple[dict, dict]:
    """The condiciones de venta in ``data`` (only the keys it has): lista de precios and forma de
    pago (active ones; a pk or the row itself), cupo (S/, ≥ 0; empty: no credit), and the errors
    by field. update_sales_conditions and the customer spreadsheet's columns use it. `typed`: text
    amounts as a person types them (credit.money.parse_amount); False for a program's."""
    errors: dict[str, list[str]] = {}
    values = {}
    if "price_list" in data:
        values["price_list"] = _choice(PriceList, data["price_list"], "price_list", "lista de precios", errors)
    if "payment_term" in data:
        values["payment_term"] = _choice(PaymentTerm, data["payment_term"], "payment_term", "forma de pago", errors)
    if "credit_limit" in data:
        raw = data["credit_limit"]
        if raw is None or str(raw).strip() == "":
            values["credit_limit"] = None
        else:
            try:
                values["credit_limit"] = parse_amount(raw, label="El cupo de crédito", allow_zero=True, typed=typed)
            except ValueError as exc:
                errors["credit_limit"] = [str(exc)]
    return values, errors


def _limit_text(value) -> str:
    return "sin crédito" if value is None else format_money(value)


def _choice(model, value, field, label, errors):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        item = value  # read by the caller (the spreadsheet's columns read every one once)
    else:
        try:
            item = model.objects.get(pk=int(value))
        except (TypeError, ValueError, model.DoesNotExist):
            errors[field] = [f"Elija una {label} de la lista."]
            return None
    if not item.is_active:
        errors[field] = [f"La {label} «{item.name}» está desactivada: elija otra."]
    return item


def block_credit(*, actor, customer: Customer, reason: str) -> CreditAccount:
    """Bloquear crédito: the customer still buys, but can't use the cupo left."""
    return _set_blocked(actor=actor, customer=customer, reason=reason, blocked=True)


def unblock_credit(*, actor, customer: Customer, reason: str) -> CreditAccount:
    return _set_blocked(actor=actor, customer=customer, reason=reason, blocked=False)


def _set_blocked(*, actor, customer, reason, blocked: bool) -> CreditAccount:
    _require(actor, "credit.block_credit")
    reason = _reason(reason, what="el motivo del bloqueo" if blocked else "el motivo del desbloqueo")
    with transaction.atomic():
        customer = _writable_customer(customer)
        account = locked_account(customer)
        if account.is_blocked == blocked:
            raise ValidationError(
                {
                    "reason": "El crédito de este cliente ya está bloqueado."
                    if blocked
                    else "El crédito de este cliente no está bloqueado."
                }
            )
        account.is_blocked = blocked
        account.blocked_reason = reason if blocked else ""
        account.blocked_at = timezone.now() if blocked else None
        stamp(account, actor=actor, reason="Crédito bloqueado" if blocked else "Crédito desbloqueado")
        account.save()
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.CREDIT_BLOCKED if blocked else CustomerNote.Kind.CREDIT_UNBLOCKED,
            text=f"Crédito {'bloqueado' if blocked else 'desbloqueado'}. Motivo: {reason}",
        )
        customer_event(events.BLOCKED if blocked else events.UNBLOCKED, customer, {"reason": reason})
    return account


# --- proyectos -----------------------------------------------------------------------------


def save_project(*, actor, customer: Customer, data: dict, project: Project | None = None) -> Project:
    _require(actor, f"credit.{'change' if project else 'add'}_project")
    errors: dict[str, list[str]] = {}
    code = str(data.get("code") or "").strip().upper()
    name = " ".join(str(data.get("name") or "").split())
    if not code:
        errors["code"] = ["Escriba el código del proyecto."]
    elif not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{0,19}", code):
        errors["code"] = ["El código admite letras, números, punto, guion y guion bajo (hasta 20)."]
    elif Project.objects.filter(customer_id=customer.pk, code=code).exclude(pk=getattr(project, "pk", None)).exists():
        errors["code"] = [f"Este cliente ya tiene el proyecto {code}."]
    if not name:
        errors["name"] = ["Escriba el nombre del proyecto."]
    elif len(name) > 150:
        errors["name"] = ["El nombre admite hasta 150 caracteres."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(customer)
        if project is None:
            project = Project(customer=customer)
        elif project.customer_id != customer.pk:
            raise ValidationError("Ese proyecto es de otro cliente.")
        project.code, project.name = code, name
        project.is_active = bool(data.get("is_active", True))
        project.save()
    return project


# --- comprobantes --------------------------------------------------------------------------

SERIES_PREFIX = {"01": "F", "03": "B"}


def register_document(*, actor, customer: Customer, data: dict, typed: bool = True) -> Document:
    """Registers a comprobante (from the invoicing system or by hand) and moves the balance.

    data: doc_type (01/03/07/08), series (F001), number, issue_date, due_date (empty: the
    issue date), currency (PEN/USD), exchange_rate (USD only), total, project (optional),
    related (the comprobante a nota de crédito or débito modifies). `typed`: the total as a person
    types it (credit.money.parse_amount); False for a program's (the API)."""
    _require(actor, "credit.add_document")
    errors: dict[str, list[str]] = {}
    doc_type = str(data.get("doc_type") or "")
    if doc_type not in Document.Type.values:
        errors["doc_type"] = ["Elija el tipo: factura, boleta, nota de crédito o nota de débito."]
    series = str(data.get("series") or "").strip().upper()
    if not re.fullmatch(r"[FB][A-Z0-9]{3}", series):
        errors["series"] = ["La serie tiene 4 caracteres y empieza con F (facturas) o B (boletas), por ejemplo F001."]
    elif doc_type in SERIES_PREFIX and series[0] != SERIES_PREFIX[doc_type]:
        errors["series"] = [
            f"La serie de una {Document.Type(doc_type).label.lower()} empieza con {SERIES_PREFIX[doc_type]}."
        ]
    number = _int(data.get("number") or "", "number", "El número", errors, maximum=99_999_999)
    if not errors.get("number") and number < 1:
        errors["number"] = ["El número va de 1 a 99999999."]
    issue_date = _date(data.get("issue_date"), "issue_date", "La fecha de emisión", errors)
    due_date = _date(data.get("due_date") or issue_date, "due_date", "La fecha de vencimiento", errors)
    today = _today()
    if isinstance(issue_date, date) and issue_date > today:
        errors["issue_date"] = ["La fecha de emisión no puede ser posterior a hoy."]
    if isinstance(issue_date, date) and isinstance(due_date, date):
        if due_date < issue_date:
            errors["due_date"] = ["La fecha de vencimiento no puede ser anterior a la de emisión."]
        elif due_date > issue_date + timedelta(days=3650):
            errors["due_date"] = ["La fecha de vencimiento está a más de 10 años de la emisión."]
    currency = str(data.get("currency") or "PEN")
    rate = Decimal("1")
    if currency not in Document.Currency.values:
        errors["currency"] = ["Elija la moneda: soles (PEN) o dólares (USD)."]
    elif currency == "USD":
        raw_rate = str(data.get("exchange_rate") or "").strip()
        try:
            rate = Decimal(raw_rate.replace(",", ""))
            if (
                not rate.is_finite()
                or not (MIN_EXCHANGE_RATE <= rate <= MAX_EXCHANGE_RATE)
                or rate != rate.quantize(Decimal("0.0001"))
            ):
                raise ValueError
        except (ArithmeticError, ValueError):
            errors["exchange_rate"] = [
                "Un comprobante en dólares necesita su tipo de cambio (por ejemplo 3.750)."
                if not raw_rate
                else "El tipo de cambio debe estar entre 0.01 y 100, con hasta 4 decimales."
            ]
    try:
        total = parse_amount(data.get("total"), label="El total", typed=typed)
    except ValueError as exc:
        errors["total"], total = [str(exc)], None
    project = None
    if data.get("project") not in (None, ""):
        project_id = data["project"].pk if isinstance(data["project"], Project) else data["project"]
        project = Project.objects.filter(pk=_maybe_int(project_id), customer_id=customer.pk).first()
        if project is None:
            errors["project"] = ["Elija un proyecto de este cliente."]
        elif not project.is_active:
            errors["project"] = [f"El proyecto {project.code} está inactivo."]
    related = None
    if doc_type in (Document.Type.CREDIT_NOTE, Document.Type.DEBIT_NOTE):
        related_value = data.get("related")
        related_id = related_value.pk if isinstance(related_value, Document) else _maybe_int(related_value)
        related = Document.objects.filter(pk=related_id, customer_id=customer.pk).first() if related_id else None
        if related is None:
            errors["related"] = ["Indique la factura o boleta de este cliente que la nota modifica."]
        elif related.doc_type not in (Document.Type.INVOICE, Document.Type.RECEIPT) or related.is_voided:
            errors["related"] = ["Una nota modifica una factura o boleta vigente (no anulada)."]
        elif related.currency != currency:
            errors["currency"] = [f"La nota va en la moneda de {related.serie_number} ({related.currency})."]
        elif not errors.get("series") and series[0] != related.series[0]:
            errors["series"] = [
                f"La serie de la nota empieza con {related.series[0]}, como la de {related.serie_number}."
            ]
    elif data.get("related") not in (None, ""):
        errors["related"] = ["Solo las notas de crédito y de débito modifican otro comprobante."]
    if not errors and Document.objects.filter(doc_type=doc_type, series=series, number=number).exists():
        errors["number"] = [f"Ya existe la {Document.Type(doc_type).label.lower()} {series}-{number:08d}."]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        customer = _writable_customer(customer)
        account = locked_account(customer)
        document = Document(
            customer=customer,
            doc_type=doc_type,
            series=series,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            exchange_rate=rate,
            total=total,
            project=project,
            related=related,
            created_by=_user(actor),
        )
        if doc_type == Document.Type.CREDIT_NOTE:
            related = Document.objects.select_for_update().get(pk=related.pk)
            if total > related.outstanding:
                raise ValidationError(
                    {
                        "total": f"La nota de crédito supera lo que falta pagar de {related.serie_number}: "
                        f"{format_money(related.outstanding, related.currency)}."
                    }
                )
            document.full_clean(validate_unique=False, validate_constraints=False)
            document.save()
            before = related.outstanding
            related.credited += total
            related.save(update_fields=["credited"])
            _move_balance(account, related, before)
        else:
            document.full_clean(validate_unique=False, validate_constraints=False)
            document.save()
            _move_balance(account, document, ZERO, new=True)
        account.save(update_fields=["balance", "open_documents", "oldest_due_date", "updated_at"])
    return document


def void_document(*, actor, document: Document, reason: str) -> Document:
    """Anular: the comprobante stays on file and stops counting. A factura with pagos or
    notas de crédito applied can't be voided (void the notes first; pagos are returned by a
    nota de crédito, as SUNAT requires)."""
    _require(actor, "credit.change_document")
    reason = _reason(reason, what="el motivo de la anulación")
    with transaction.atomic():
        account = locked_account(document.customer)
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.is_voided:
            raise ValidationError("Este comprobante ya está anulado.")
        if document.paid > 0:
            raise ValidationError(f"{document.serie_number} tiene pagos registrados: no se puede anular.")
        if document.credited > 0:
            raise ValidationError(f"{document.serie_number} tiene notas de crédito: anúlelas primero.")
        if Document.objects.filter(related=document, is_voided=False).exists():
            raise ValidationError(f"{document.serie_number} tiene notas vigentes: anúlelas primero.")
        if document.doc_type == Document.Type.CREDIT_NOTE:
            related = Document.objects.select_for_update().get(pk=document.related_id)
            before = related.outstanding
            related.credited -= document.total
            related.save(update_fields=["credited"])
            document.is_voided = True
            document.save(update_fields=["is_voided"])
            _move_balance(account, related, before)
        else:
            before = document.outstanding
            document.is_voided = True
            document.save(update_fields=["is_voided"])
            _move_balance(account, document, before)
        account.save(update_fields=["balance", "open_documents", "oldest_due_date", "updated_at"])
        record_note(
            customer=document.customer,
            actor=actor,
            kind=CustomerNote.Kind.EDITED,
            text=f"{document} anulado. Motivo: {reason}",
        )
    return document


def register_payment(*, actor, document: Document, data: dict, typed: bool = True) -> Payment:
    """A pago applied to a comprobante (in its currency): never above what is owed on it.
    `typed`: the amount as a person types it (credit.money.parse_amount); False for a program's."""
    _require(actor, "credit.add_payment")
    errors: dict[str, list[str]] = {}
    pay_date = _date(data.get("date"), "date", "La fecha del pago", errors)
    try:
        amount = parse_amount(data.get("amount"), label="El monto del pago", typed=typed)
    except ValueError as exc:
        errors["amount"], amount = [str(exc)], None
    method = _choice(PaymentTerm, data.get("method"), "method", "forma de pago", errors)
    reference = _payment_reference_and_date(document, data, pay_date, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = locked_account(document.customer)
        document = Document.objects.select_for_update().select_related("customer").get(pk=document.pk)
        if document.is_voided:
            raise ValidationError("Este comprobante está anulado: no recibe pagos.")
        if not document.is_debt:
            raise ValidationError("Una nota de crédito no recibe pagos.")
        if amount > document.outstanding:
            raise ValidationError(
                {
                    "amount": f"El pago supera lo que se debe de {document.serie_number}: "
                    f"{format_money(document.outstanding, document.currency)}."
                }
            )
        payment = Payment(
            document=document, date=pay_date, amount=amount, method=method, reference=reference, created_by=_user(actor)
        )
        payment.save()
        before = document.outstanding
        document.paid += amount
        document.save(update_fields=["paid"])
        _move_balance(account, document, before)
        account.save(update_fields=["balance", "open_documents", "oldest_due_date", "updated_at"])
        if document.outstanding == 0:
            _earn_points(document=document, on=pay_date)
    return payment


def _payment_reference_and_date(document: Document, data: dict, pay_date, errors: dict) -> str:
    """A pago's referencia (cleaned, returned) and date (not after today, not before the
    comprobante's issue) checked into `errors`: register_payment and correct_payment."""
    reference = " ".join(str(data.get("reference") or "").split())
    if len(reference) > 60:
        errors["reference"] = ["La referencia admite hasta 60 caracteres."]
    if isinstance(pay_date, date):
        if pay_date > _today():
            errors["date"] = ["La fecha del pago no puede ser posterior a hoy."]
        elif pay_date < document.issue_date:
            errors["date"] = [f"El pago no puede ser anterior a la emisión ({document.issue_date:%d/%m/%Y})."]
    return reference


def _move_balance(account: CreditAccount, document: Document, before: Decimal, *, new: bool = False) -> None:
    """The balance row after `document`'s outstanding amount went from `before` to now."""
    after = document.outstanding
    account.balance += to_soles(after, document.exchange_rate) - to_soles(before, document.exchange_rate)
    was_open, is_open = (before > 0 and not new), after > 0
    account.open_documents += int(is_open) - int(was_open)
    if is_open and (account.oldest_due_date is None or document.due_date < account.oldest_due_date):
        account.oldest_due_date = document.due_date
    elif was_open and not is_open and document.due_date == account.oldest_due_date:
        account.oldest_due_date = _open_documents(account.customer_id).aggregate(d=Min("due_date"))["d"]


def _open_documents(customer_id):
    """Unpaid facturas, boletas and notas de débito of a customer (served by document_open_idx)."""
    return (
        Document.objects.filter(customer_id=customer_id, is_voided=False)
        .exclude(doc_type=Document.Type.CREDIT_NOTE)
        .filter(paid__lt=F("total") - F("credited"))
    )


def _date(value, field, label, errors):
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        errors[field] = [f"{label} es obligatoria."]
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors[field] = [f"{label} no es válida: use dd/mm/aaaa."]
    return None


def _maybe_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- delete guards (registered with customers from CreditConfig.ready) --------------------


def unpaid_document_reasons(customer) -> list[str]:
    """Why Eliminar is refused: unpaid comprobantes ("tiene 3 comprobantes por cobrar (S/ 1,250.00)")."""
    account = CreditAccount.objects.filter(customer_id=customer.pk).only("balance", "open_documents").first()
    if account is None or account.open_documents == 0:
        return []
    count = account.open_documents
    return [f"tiene {count} comprobante{'s' if count != 1 else ''} por cobrar ({format_money(account.balance)})"]


def referencing_document_reasons(customer) -> list[str]:
    """Why Eliminar definitivamente is refused: any comprobante of the customer, paid or not."""
    count = Document.objects.filter(customer_id=customer.pk).count()
    if not count:
        return []
    return [f"tiene {count} comprobante{'s' if count != 1 else ''} registrado{'s' if count != 1 else ''}"]


# --- puntos --------------------------------------------------------------------------------


def _earn_points(*, document: Document, on: date) -> PointsMovement | None:
    """Points for a comprobante paid in full, while the program is on and the customer is enrolled."""
    program = get_points_program()
    customer = document.customer
    if not (program.enabled and customer.loyalty_enrolled and document.is_debt):
        return None
    points = int(
        (to_soles(document.paid, document.exchange_rate) * program.points_per_sol).to_integral_value(ROUND_DOWN)
    )
    if points <= 0 or PointsMovement.objects.filter(document=document, kind=PointsMovement.Kind.EARNED).exists():
        return None
    settle_expired_points(customer)  # the ledger in date order: what expired before this sale
    return PointsMovement.objects.create(
        customer=customer,
        kind=PointsMovement.Kind.EARNED,
        points=points,
        document=document,
        reason=f"Pago completo de {document}",
        expires_on=_add_months(on, program.expiry_months),
    )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def points_balance(customer, *, today: date | None = None) -> int:
    """The points the customer can use today: the ledger's sum less the lots already past
    their date whose expiry movement is not written yet (the nightly expire_points, or the
    next write on the customer's points, writes it). Exact whether or not a job has run."""
    rows = PointsMovement.objects.filter(customer_id=customer.pk)
    total = rows.aggregate(s=Sum("points"))["s"] or 0
    return total - sum(points for _day, points in _pending_expiry(customer.pk, today=today or _today()))


def _pending_expiry(customer_id: int, *, today: date) -> list[tuple[date, int]]:
    """Points past their date (expires_on ≤ today: on its date a lot no longer counts) and not
    yet written off, per expiry date, oldest first. Points spent (negative adjustments) are
    taken from the lots that expire first; those already written off by earlier expiry
    movements count as gone. Correct because every write on a customer's points first writes
    what has expired (settle_expired_points), so no spending happens after a lot's date
    without its expiry written before it."""
    rows = PointsMovement.objects.filter(customer_id=customer_id)
    lots = list(
        rows.filter(points__gt=0, expires_on__lte=today)
        .values_list("expires_on")
        .annotate(s=Sum("points"))
        .order_by("expires_on")
    )
    if not lots:
        return []
    used = rows.filter(points__lt=0).aggregate(
        spent=Sum("points", filter=~Q(kind=PointsMovement.Kind.EXPIRED)),
        expired=Sum("points", filter=Q(kind=PointsMovement.Kind.EXPIRED)),
    )
    gone = -((used["spent"] or 0) + (used["expired"] or 0))
    pending, due = [], 0
    for day, points in lots:
        due += points
        if due > gone:
            pending.append((day, due - gone))
            gone = due
    return pending


def settle_expired_points(customer, *, today: date | None = None) -> int:
    """Writes the expiry movements of the customer's lots past their date (one per date);
    returns the points written off. Call it inside a transaction holding the customer's
    balance row (locked_account), as every writer of points does."""
    today = today or _today()
    written = 0
    for day, points in _pending_expiry(customer.pk, today=today):
        PointsMovement.objects.create(
            customer_id=customer.pk,
            kind=PointsMovement.Kind.EXPIRED,
            points=-points,
            reason=f"Puntos vencidos el {day:%d/%m/%Y}",
        )
        written += points
    return written


def adjust_points(*, actor, customer: Customer, points, reason: str) -> PointsMovement:
    """A hand adjustment (+ or −) with a reason; the balance can't go below zero."""
    _require(actor, "credit.add_pointsmovement")
    errors: dict[str, list[str]] = {}
    try:
        amount = int(str(points).strip())
        if amount == 0 or abs(amount) > MAX_POINTS_ADJUSTMENT:
            raise ValueError
    except (TypeError, ValueError):
        errors["points"] = [
            f"Escriba los puntos a sumar (p. ej. 50) o restar (p. ej. -50), sin pasar de {MAX_POINTS_ADJUSTMENT:,}."
        ]
    try:
        reason = _reason(reason, what="el motivo del ajuste")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(customer)
        locked_account(customer)  # one writer of the customer's points at a time
        settle_expired_points(customer)  # what expired is not spent again
        balance = points_balance(customer)
        if balance + amount < 0:
            raise ValidationError({"points": f"El cliente tiene {balance:,} puntos: no puede quedar en negativo."})
        program = get_points_program()
        movement = PointsMovement.objects.create(
            customer=customer,
            kind=PointsMovement.Kind.ADJUSTED,
            points=amount,
            reason=reason,
            created_by=_user(actor),
            expires_on=_add_months(_today(), program.expiry_months) if amount > 0 else None,
        )
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.EDITED,
            text=f"Puntos ajustados: {amount:+,} (saldo {balance + amount:,}). Motivo: {reason}",
        )
    return movement


def catch_up_expired_points(customer, *, today: date | None = None) -> int:
    """Writes the customer's due expiry movements now (the Puntos tab calls it before showing
    the ledger, so the ledger and the balance agree without waiting for the nightly run)."""
    today = today or _today()
    if not _pending_expiry(customer.pk, today=today):
        return 0
    with transaction.atomic():
        locked_account(customer)
        return settle_expired_points(customer, today=today)


def expire_points(*, today: date | None = None) -> int:
    """Writes the expiry movements of every customer with lots past their date; returns how
    many customers lost points. Idempotent. The balances are right without it (points_balance
    leaves expired lots out); it keeps the ledgers written up: run it nightly (README)."""
    today = today or _today()
    changed = 0
    customers = (
        PointsMovement.objects.filter(expires_on__lte=today, points__gt=0)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in customers.iterator():
        customer = Customer(pk=customer_id)
        if not _pending_expiry(customer_id, today=today):
            continue
        with transaction.atomic():
            locked_account(customer)
            if settle_expired_points(customer, today=today):
                changed += 1
    return changed


# --- solicitudes de aumento de cupo ----------------------------------------------------------


def request_credit_increase(*, actor, customer: Customer, amount, reason: str) -> CreditRequest:
    _require(actor, "credit.add_creditrequest")
    errors: dict[str, list[str]] = {}
    try:
        value = parse_amount(amount, label="El cupo solicitado", typed=True)
    except ValueError as exc:
        errors["amount"], value = [str(exc)], None
    try:
        reason = _reason(reason, what="el motivo de la solicitud")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        customer = _writable_customer(customer)
        account = locked_account(customer)
        if account.credit_limit is not None and value <= account.credit_limit:
            raise ValidationError({"amount": f"Pida un cupo mayor al actual ({format_money(account.credit_limit)})."})
        if CreditRequest.objects.filter(customer=customer, status=CreditRequest.Status.PENDING).exists():
            raise ValidationError("Este cliente ya tiene una solicitud de crédito pendiente.")
        request = CreditRequest.objects.create(
            customer=customer, amount=value, reason=reason, requested_by=_user(actor)
        )
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.CREDIT_LIMIT,
            text=f"Solicitud de aumento de cupo a {format_money(value)}. Motivo: {reason}",
        )
    return request


def decide_credit_request(
    *, actor, credit_request: CreditRequest, approve: bool, reason: str = "", amount=None
) -> CreditRequest:
    """Créditos approves (optionally another amount; the cupo changes, with its note) or
    rejects with a reason."""
    _require(actor, "credit.decide_creditrequest")
    errors: dict[str, list[str]] = {}
    value = None
    if approve:
        if amount not in (None, ""):
            try:
                value = parse_amount(amount, label="El cupo aprobado", typed=True)
            except ValueError as exc:
                errors["amount"] = [str(exc)]
        reason = " ".join(str(reason or "").split())[:MAX_REASON]
    else:
        try:
            reason = _reason(reason, what="el motivo del rechazo")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        credit_request = CreditRequest.objects.select_for_update().get(pk=credit_request.pk)
        if credit_request.status != CreditRequest.Status.PENDING:
            raise ValidationError("Esta solicitud ya fue atendida.")
        customer = credit_request.customer
        credit_request.decided_by, credit_request.decided_at = _user(actor), timezone.now()
        credit_request.decision_reason = reason
        if approve:
            value = value or credit_request.amount
            credit_request.status, credit_request.approved_amount = CreditRequest.Status.APPROVED, value
            credit_request.save()
            update_sales_conditions(actor=actor, customer=customer, data={"credit_limit": value})
            record_note(
                customer=customer,
                actor=actor,
                kind=CustomerNote.Kind.CREDIT_LIMIT,
                text=f"Solicitud de cupo aprobada: {format_money(value)}." + (f" {reason}" if reason else ""),
            )
        else:
            credit_request.status = CreditRequest.Status.REJECTED
            credit_request.save()
            record_note(
                customer=customer,
                actor=actor,
                kind=CustomerNote.Kind.CREDIT_LIMIT,
                text=f"Solicitud de cupo a {format_money(credit_request.amount)} rechazada. Motivo: {reason}",
            )
    return credit_request


# --- recompute -------------------------------------------------------------------------------


@dataclass
class BalanceDifference:
    customer_id: int
    field: str
    stored: object
    computed: object


# Each customer's balance row as the documents say it should be (one pass, GROUP BY).
BALANCES_FROM_DOCUMENTS = """
    SELECT customer_id,
           SUM(ROUND((total - paid - credited) * exchange_rate, 2)) AS balance,
           COUNT(*) FILTER (WHERE total - paid - credited > 0) AS open_documents,
           MIN(due_date) FILTER (WHERE total - paid - credited > 0) AS oldest_due_date
    FROM credit_document WHERE NOT is_voided AND doc_type <> '07' GROUP BY customer_id
"""

_EXPECTED_SQL = f"""
    SELECT COALESCE(a.customer_id, e.customer_id),
           a.balance, COALESCE(e.balance, 0),
           a.open_documents, COALESCE(e.open_documents, 0),
           a.oldest_due_date, e.oldest_due_date
    FROM credit_creditaccount a
    FULL JOIN ({BALANCES_FROM_DOCUMENTS}) e ON e.customer_id = a.customer_id
    WHERE a.customer_id IS NULL
       OR a.balance <> COALESCE(e.balance, 0)
       OR a.open_documents <> COALESCE(e.open_documents, 0)
       OR a.oldest_due_date IS DISTINCT FROM e.oldest_due_date
"""  # noqa: S608 (fixed SQL, no input)

_DOCUMENT_SQL = """
    SELECT d.id, d.paid, COALESCE(p.total, 0), d.credited, COALESCE(n.total, 0)
    FROM credit_document d
    LEFT JOIN (SELECT document_id, SUM(amount) AS total FROM credit_payment GROUP BY document_id) p
           ON p.document_id = d.id
    LEFT JOIN (SELECT related_id, SUM(total) AS total FROM credit_document
               WHERE doc_type = '07' AND NOT is_voided GROUP BY related_id) n
           ON n.related_id = d.id
    WHERE d.paid <> COALESCE(p.total, 0) OR d.credited <> COALESCE(n.total, 0)
"""


# Each balance row's autorizaciones retenidas against the authorizations still holding
# (status "aprobada", expired or not: an expired hold leaves the row when it is released).
_HELD_SQL = """
    SELECT a.customer_id, a.held, COALESCE(h.held, 0)
    FROM credit_creditaccount a
    LEFT JOIN (SELECT customer_id, SUM(amount) AS held FROM credit_creditauthorization
               WHERE status = 'aprobada' GROUP BY customer_id) h ON h.customer_id = a.customer_id
    WHERE a.held <> COALESCE(h.held, 0)
"""


def recompute_balances(*, fix: bool = False) -> list[BalanceDifference]:
    """Every comprobante's pagado / notas de crédito from its pagos and notas, then every
    customer's balance row from the comprobantes, in one set-based pass each. Returns the
    differences found (none when the services kept everything); with fix=True also writes
    the computed values, in one transaction."""
    differences: list[BalanceDifference] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if fix:
            # Nobody writes a document or a balance while we compare and fix.
            cursor.execute(
                "LOCK TABLE credit_creditaccount, credit_document, credit_payment, credit_creditauthorization "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
        cursor.execute(_DOCUMENT_SQL)
        for doc_id, paid, paid_expected, credited, credited_expected in cursor.fetchall():
            if paid != paid_expected:
                differences.append(BalanceDifference(doc_id, "document.paid", paid, paid_expected))
            if credited != credited_expected:
                differences.append(BalanceDifference(doc_id, "document.credited", credited, credited_expected))
        if fix and differences:
            cursor.execute(
                "UPDATE credit_document d SET paid = x.p, credited = x.n FROM ("  # noqa: S608 (fixed SQL)
                + _DOCUMENT_SQL.replace(
                    "SELECT d.id, d.paid, COALESCE(p.total, 0), d.credited, COALESCE(n.total, 0)",
                    "SELECT d.id, COALESCE(p.total, 0) AS p, COALESCE(n.total, 0) AS n",
                )
                + ") x WHERE x.id = d.id"
            )
        cursor.execute(_EXPECTED_SQL)
        rows = cursor.fetchall()
        for customer_id, balance, balance_e, open_docs, open_e, oldest, oldest_e in rows:
            if balance is None:
                differences.append(BalanceDifference(customer_id, "account", None, "falta la fila de saldo"))
                continue
            if balance != balance_e:
                differences.append(BalanceDifference(customer_id, "balance", balance, balance_e))
            if open_docs != open_e:
                differences.append(BalanceDifference(customer_id, "open_documents", open_docs, open_e))
            if oldest != oldest_e:
                differences.append(BalanceDifference(customer_id, "oldest_due_date", oldest, oldest_e))
        if fix and rows:
            missing = [r[0] for r in rows if r[1] is None]
            CreditAccount.objects.bulk_create([CreditAccount(customer_id=pk) for pk in missing], ignore_conflicts=True)
            fill_balances(cursor, customer_ids=[r[0] for r in rows])
        cursor.execute(_HELD_SQL)
        held_rows = cursor.fetchall()
        for customer_id, held, held_e in held_rows:
            differences.append(BalanceDifference(customer_id, "held", held, held_e))
        if fix and held_rows:
            cursor.execute(
                "UPDATE credit_creditaccount a SET held = x.e FROM ("  # noqa: S608 (fixed SQL of this module)
                + _HELD_SQL.replace(
                    "SELECT a.customer_id, a.held, COALESCE(h.held, 0)",
                    "SELECT a.customer_id, COALESCE(h.held, 0) AS e",
                )
                + ") x WHERE x.customer_id = a.customer_id"
            )
    return differences


def fill_balances(cursor, *, customer_ids: list[int] | None = None) -> None:
    """Write the balance rows (all, or those of customer_ids) from the documents, set-based:
    recompute_balances --fix and seed_credit."""
    only = "AND a.customer_id = ANY(%s)" if customer_ids is not None else ""
    cursor.execute(
        f"UPDATE credit_creditaccount a SET balance = COALESCE(e.balance, 0), "  # noqa: S608 (fixed SQL)
        f"open_documents = COALESCE(e.open_documents, 0), oldest_due_date = e.oldest_due_date "
        f"FROM credit_creditaccount a2 LEFT JOIN ({BALANCES_FROM_DOCUMENTS}) e ON e.customer_id = a2.customer_id "
        f"WHERE a2.customer_id = a.customer_id {only}",
        [customer_ids] if customer_ids is not None else [],
    )


# --- the customer spreadsheet's credit columns (customers.extensions.SheetColumns) ------------
# Import and export of cupo, lista de precios and forma de pago, with update_sales_conditions'
# rules (clean_sales_conditions) and the same history and notes, written set-based.

SHEET_KEYS = ("credit_limit", "price_list", "payment_term")


@dataclass
class SheetChoices:
    price_lists: dict  # folded name → PriceList
    payment_terms: dict
    names: dict  # (model, pk) → name


def active_price_list_names() -> list[str]:
    return list(PriceList.objects.filter(is_active=True).values_list("name", flat=True))


def active_payment_term_names() -> list[str]:
    return list(PaymentTerm.objects.filter(is_active=True).values_list("name", flat=True))


def sheet_choices() -> SheetChoices:
    """The lists read once per file."""
    price_lists, payment_terms = list(PriceList.objects.all()), list(PaymentTerm.objects.all())
    names = {(PriceList, p.pk): p.name for p in price_lists} | {(PaymentTerm, t.pk): t.name for t in payment_terms}
    return SheetChoices(
        {fold(clean_spaces(p.name)): p for p in price_lists},
        {fold(clean_spaces(t.name)): t for t in payment_terms},
        names,
    )


def clean_sheet_cells(cells: dict, choices: SheetChoices) -> tuple[dict, dict]:
    """One row's credit cells (only the non-empty ones) → (values to write, errors by column).
    An empty cell keeps what the customer has, as every import column does."""
    data, errors = {}, {}
    for key, table, label in (
        ("price_list", choices.price_lists, "lista de precios"),
        ("payment_term", choices.payment_terms, "forma de pago"),
    ):
        if key in cells:
            name = clean_spaces(str(cells[key]))
            found = table.get(fold(name))
            if found is None:
                known = ", ".join(sorted(item.name for item in table.values() if item.is_active)[:10]) or "ninguna"
                errors[key] = [f"La {label} «{name[:40]}» no existe (hay: {known})."]
            else:
                data[key] = found
    if "credit_limit" in cells:
        raw = cells["credit_limit"]
        # A spreadsheet number arrives as a float: its shortest decimal text is what was typed,
        # a number (not text to read by the typed rule: 1.234 in a number cell is 1.234).
        data["credit_limit"] = Decimal(repr(raw)) if isinstance(raw, float) else raw
    values, more = clean_sales_conditions(data)
    errors.update(more)
    if errors:
        return {}, errors
    return _sheet_json(values), {}


def _sheet_json(values: dict) -> dict:
    result = {}
    for key, value in values.items():
        if key == "credit_limit":
            result[key] = None if value is None else str(value)
        else:
            result[key] = value.pk if value is not None else None
    return result


def sheet_current(customer_ids: list) -> dict:
    """{customer id: credit values as stored} of those that have an account."""
    return {
        row["customer_id"]: {
            "credit_limit": None if row["credit_limit"] is None else str(row["credit_limit"]),
            "price_list": row["price_list_id"],
            "payment_term": row["payment_term_id"],
        }
        for row in CreditAccount.objects.filter(customer_id__in=customer_ids).values(
            "customer_id", "credit_limit", "price_list_id", "payment_term_id"
        )
    }


def describe_sheet_change(old: dict, new: dict, choices: SheetChoices) -> list[str]:
    """The lines of the import's note for what changes (empty: nothing)."""
    lines = []
    for key, value in new.items():
        before = old.get(key)
        if key == "credit_limit":
            if (None if before is None else Decimal(before)) != (None if value is None else Decimal(value)):
                lines.append(f"Cupo de crédito: {_limit_text(before)} → {_limit_text(value)}")
        elif before != value:
            model = PriceList if key == "price_list" else PaymentTerm
            label = CreditAccount._meta.get_field(key).verbose_name.capitalize()
            lines.append(
                f"{label}: {choices.names.get((model, before), '—')} → {choices.names.get((model, value), '—')}"
            )
    return lines


def write_sheet_values(rows: list, *, actor, reason: str) -> int:
    """[(customer id, values)] written set-based (call inside the import's transaction): the
    accounts that don't exist yet created, the given fields set, one history record per
    account and, as update_sales_conditions does, a Cupo de crédito note for a changed cupo."""
    if not rows:
        return 0
    ids = [pk for pk, _ in rows]
    CreditAccount.objects.bulk_create(
        [CreditAccount(customer_id=pk) for pk in ids], ignore_conflicts=True, batch_size=5_000
    )
    before = sheet_current(ids)
    has = {key: [key in values for _, values in rows] for key in SHEET_KEYS}
    table = connection.ops.quote_name(CreditAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} a SET"  # noqa: S608 - the model's table
            " credit_limit = CASE WHEN v.has_limit THEN v.credit_limit ELSE a.credit_limit END,"
            " price_list_id = CASE WHEN v.has_list THEN v.price_list ELSE a.price_list_id END,"
            " payment_term_id = CASE WHEN v.has_term THEN v.payment_term ELSE a.payment_term_id END,"
            " updated_at = %s"
            " FROM unnest(%s::bigint[], %s::boolean[], %s::numeric[], %s::boolean[], %s::bigint[], %s::boolean[],"
            " %s::bigint[]) AS v(id, has_limit, credit_limit, has_list, price_list, has_term, payment_term)"
            " WHERE a.customer_id = v.id",
            [
                timezone.now(),
                ids,
                has["credit_limit"],
                [values.get("credit_limit") for _, values in rows],
                has["price_list"],
                [values.get("price_list") for _, values in rows],
                has["payment_term"],
                [values.get("payment_term") for _, values in rows],
            ],
        )
    record_bulk_history(CreditAccount, ids, history_type="~", actor=actor, reason=reason)
    user = actor if getattr(actor, "pk", None) else None
    notes = []
    for pk, values in rows:
        if "credit_limit" not in values:
            continue
        old = before.get(pk, {}).get("credit_limit")
        new = values["credit_limit"]
        if (None if old is None else Decimal(old)) != (None if new is None else Decimal(new)):
            notes.append(
                CustomerNote(
                    customer_id=pk,
                    kind=CustomerNote.Kind.CREDIT_LIMIT,
                    author=user,
                    text=f"Cupo de crédito: {_limit_text(old)} → {_limit_text(new)}.",
                )
            )
    CustomerNote.objects.bulk_create(notes, batch_size=5_000)
    return len(rows)
