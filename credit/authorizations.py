"""Credit authorizations: a point of sale asks, before a sale on credit, whether the customer
may owe `amount` more; the answer holds that amount (CreditAccount.held).

Crédito disponible = cupo − saldo − autorizaciones retenidas. Every decision is taken with the
customer's balance row locked (credit.services.locked_account), so concurrent authorizations
for one customer take turns and can never together exceed what is available: each one reads
the saldo and the holds left by the ones before it, never a copy read before the lock.

A hold ends when the comprobante naming it arrives (`use_authorization`, in that comprobante's
transaction: the saldo takes over from the hold), when it is cancelled, or when it expires
(`CREDIT_AUTHORIZATION_HOURS`, 24 by default). Expiry needs no worker: readers count only holds
whose expires_at is still ahead (credit.queries.apply_live_holds), and the balance row drops
expired holds the next time it is locked for an authorization (`_release_expired`), so the
stored `held` always equals the sum of the rows still in status "aprobada"
(`recompute_balances` checks it).
"""

import functools
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from credit import events
from credit.models import ZERO, CreditAccount, CreditAuthorization, Document
from credit.money import format_money, parse_amount
from credit.services import _reason, _require, _user, _writable_customer, locked_account
from customers.events import customer_event
from customers.models import Customer, CustomerNote
from customers.notes import record_note
from peru.prepared import prepared_cursor

Status = CreditAuthorization.Status
Refusal = CreditAuthorization.Refusal

MAX_REFERENCE = 100


def hold_duration() -> timedelta:
    return timedelta(hours=settings.CREDIT_AUTHORIZATION_HOURS)


def _clean_request(amount, reference) -> tuple[Decimal, str]:
    errors: dict[str, list[str]] = {}
    value = None
    try:
        value = parse_amount(amount, label="El monto")
    except ValueError as exc:
        errors["amount"] = [str(exc)]
    reference = " ".join(str(reference or "").split())
    if not reference:
        errors["reference"] = ["Indique la referencia de la venta."]
    elif len(reference) > MAX_REFERENCE:
        errors["reference"] = [f"La referencia admite hasta {MAX_REFERENCE} caracteres."]
    if errors:
        raise ValidationError(errors)
    return value, reference


def _lock_account(customer_id: int, *, now) -> tuple[CreditAccount, bool]:
    """The customer's balance row, locked (only the balance row: the customer row stays free for
    edits), with what a decision reads of its customer (active, in the Papelera), and whether
    holds past their expiry at `now` are waiting to be released. One statement.
    Raises Customer.DoesNotExist for an unknown customer."""
    statement, fields = _lock_statement()
    params = {"customer": customer_id, "approved": Status.APPROVED, "now": now}
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
        if row is None:
            # First use of the customer's credit: create its balance row, then lock it.
            if not Customer.objects.filter(pk=customer_id).exists():
                raise Customer.DoesNotExist
            locked_account(Customer(pk=customer_id))
            cursor.execute(statement, params)
            row = cursor.fetchone()
    account = CreditAccount.from_db(connection.alias, fields, row[: len(fields)])
    is_active, deleted_at, expired = row[len(fields) :]
    account._state.fields_cache["customer"] = Customer.from_db(
        connection.alias, ["id", "is_active", "deleted_at"], [customer_id, is_active, deleted_at]
    )
    return account, expired


@functools.cache
def _lock_statement() -> tuple[str, list[str]]:
    fields = [f.attname for f in CreditAccount._meta.concrete_fields]
    columns = ", ".join(f"a.{CreditAccount._meta.get_field(name).column}" for name in fields)
    # The EXISTS reads the holds as they were when the statement began, before any wait for the
    # lock (the balance row itself is read as it is after the wait): a hold released meanwhile
    # by the transaction it waited for still shows (the release then finds nothing to do), and
    # a hold approved meanwhile is not expired yet (holds last CREDIT_AUTHORIZATION_HOURS). Were
    # one missed, it would only stay in `held` until the next lock: less available, never more.
    return (
        f"""
        SELECT {columns}, c.is_active, c.deleted_at,
            EXISTS (SELECT 1 FROM {CreditAuthorization._meta.db_table} h
                    WHERE h.customer_id = a.customer_id AND h.status = %(approved)s AND h.expires_at <= %(now)s)
        FROM {CreditAccount._meta.db_table} a JOIN {Customer._meta.db_table} c ON c.id = a.customer_id
        WHERE a.customer_id = %(customer)s
        FOR UPDATE OF a
        """,  # noqa: S608 (table and column names from the models; values are parameters)
        fields,
    )


_RELEASE_SQL = """
    UPDATE credit_creditauthorization SET status = %s, released_at = %s
    WHERE customer_id = %s AND status = %s AND expires_at <= %s
    RETURNING amount
"""


def _release_expired(account: CreditAccount, now) -> None:
    """Drop the holds past their expiry from the locked balance row (one statement)."""
    if account.held <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_SQL, [Status.EXPIRED, now, account.customer_id, Status.APPROVED, now])
        released = sum((row[0] for row in cursor.fetchall()), ZERO)
    if released:
        _move_held(account, -released)


def _move_held(account: CreditAccount, delta: Decimal) -> None:
    """The locked balance row's held amount moves by `delta`. A plain UPDATE: the row's history
    (Condiciones de venta) records what people change, not every hold (history excludes `held`)."""
    account.held += delta
    account.updated_at = timezone.now()
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {CreditAccount._meta.db_table} SET held = %s, updated_at = %s WHERE customer_id = %s",  # noqa: S608
            [account.held, account.updated_at, account.pk],
        )


def _insert_once(authorization: CreditAuthorization) -> bool:
    """INSERT the new authorization unless this system already used its reference (the unique
    constraint credit_authorization_reference decides, also against one not committed yet: the
    INSERT waits for it). True if inserted (its id and created_at set), False if the reference
    was taken."""
    statement, fields = _insert_statement()
    values = [field.get_db_prep_save(field.pre_save(authorization, add=True), connection) for field in fields]
    with prepared_cursor() as cursor:
        cursor.execute(statement, values)
        row = cursor.fetchone()
    if row is None:
        return False
    authorization.pk = row[0]
    authorization._state.adding, authorization._state.db = False, connection.alias
    return True


@functools.cache
def _insert_statement() -> tuple[str, list]:
    fields = [f for f in CreditAuthorization._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {CreditAuthorization._meta.db_table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        "ON CONFLICT ON CONSTRAINT credit_authorization_reference DO NOTHING RETURNING id",
        fields,
    )


def _refusal(account: CreditAccount, amount: Decimal) -> tuple[str, str]:
    customer = account.customer
    if customer.deleted_at is not None:
        return Refusal.TRASHED, "El cliente está en la Papelera."
    if not customer.is_active:
        return Refusal.INACTIVE, "El cliente está suspendido."
    if account.is_blocked:
        return Refusal.BLOCKED, f"El crédito del cliente está bloqueado. Motivo: {account.blocked_reason}"
    if not account.credit_limit:
        return Refusal.NO_CREDIT, "El cliente no tiene cupo de crédito."
    if amount > account.available:
        return (
            Refusal.INSUFFICIENT,
            f"Crédito disponible insuficiente: disponible {format_money(max(account.available, ZERO))}, "
            f"pedido {format_money(amount)}.",
        )
    return "", ""


def authorize_credit(*, actor, customer_id: int, amount, reference: str) -> tuple[CreditAuthorization, bool]:
    """Approve (and hold) or refuse `amount` for the customer; (authorization, replayed).

    The same reference again from the same system answers with the first authorization
    (replayed=True) and holds nothing more; with another customer or amount it is refused.
    Raises Customer.DoesNotExist for an unknown customer."""
    _require(actor, "credit.add_creditauthorization")
    amount, reference = _clean_request(amount, reference)
    user = _user(actor)
    with transaction.atomic():
        now = timezone.now()
        account, expired = _lock_account(customer_id, now=now)
        if expired:
            _release_expired(account, now)
        refusal, reason = _refusal(account, amount)
        authorization = CreditAuthorization(
            customer_id=customer_id,
            amount=amount,
            reference=reference,
            status=Status.REFUSED if refusal else Status.APPROVED,
            refusal=refusal,
            reason=reason,
            available=account.available if refusal else account.available - amount,
            expires_at=None if refusal else now + hold_duration(),
            requested_by=user,
        )
        if not _insert_once(authorization):
            # A retry of the same sale (perhaps still running: the INSERT waited for it) gets the
            # first answer; nothing of this one is kept but the release of expired holds.
            previous = CreditAuthorization.objects.get(requested_by=user, reference=reference)
            return _replayed(previous, customer_id, amount), True
        if not refusal:
            _move_held(account, amount)
    return authorization, False


def _replayed(previous: CreditAuthorization, customer_id: int, amount: Decimal) -> CreditAuthorization:
    if previous.customer_id != customer_id or previous.amount != amount:
        raise ValidationError(
            {
                "reference": [
                    f"La referencia «{previous.reference}» ya se usó en la autorización {previous.pk} "
                    f"(otro cliente o monto): use una referencia nueva para cada venta."
                ]
            }
        )
    return previous


def cancel_authorization(*, actor, authorization: CreditAuthorization) -> CreditAuthorization:
    """The sale did not happen: an approved hold is released; a refused one leaves the queue of
    Autorizaciones rechazadas. Cancelling again (or after expiry) changes nothing; one already
    used by a comprobante can't be cancelled."""
    _require(actor, "credit.change_creditauthorization")
    with transaction.atomic():
        now = timezone.now()
        account, _ = _lock_account(authorization.customer_id, now=now)
        authorization = CreditAuthorization.objects.select_for_update().get(pk=authorization.pk)
        if authorization.status == Status.USED:
            raise ValidationError(
                f"La autorización {authorization.pk} ya fue usada por un comprobante: no se puede cancelar."
            )
        if authorization.status == Status.APPROVED:
            _move_held(account, -authorization.amount)
            authorization.status = Status.EXPIRED if authorization.expires_at <= now else Status.CANCELLED
            authorization.released_at = now
            authorization.save(update_fields=["status", "released_at"])
        elif authorization.status == Status.REFUSED:
            authorization.status = Status.CANCELLED
            authorization.save(update_fields=["status"])
    return authorization


def override_authorization(*, actor, authorization: CreditAuthorization, reason: str) -> CreditAuthorization:
    """Créditos approves a refused authorization by exception, with a reason: it holds its
    amount from now (even above what is available), leaves a note on the customer and tells
    the point of sale (GET, webhook credit.authorization_overridden)."""
    _require(actor, "credit.override_authorization")
    reason = _reason(reason, what="el motivo de la excepción")
    with transaction.atomic():
        customer = _writable_customer(Customer(pk=authorization.customer_id))
        now = timezone.now()
        account, expired = _lock_account(customer.pk, now=now)
        authorization = CreditAuthorization.objects.select_for_update().get(pk=authorization.pk)
        if authorization.status != Status.REFUSED:
            raise ValidationError(
                f"La autorización {authorization.pk} ya no está rechazada "
                f"({authorization.get_status_display().lower()})."
            )
        if expired:
            _release_expired(account, now)
        authorization.status = Status.APPROVED
        authorization.expires_at = now + hold_duration()
        authorization.overridden_by, authorization.overridden_at = _user(actor), now
        authorization.override_reason = reason
        authorization.save(update_fields=["status", "expires_at", "overridden_by", "overridden_at", "override_reason"])
        _move_held(account, authorization.amount)
        record_note(
            customer=customer,
            actor=actor,
            kind=CustomerNote.Kind.EDITED,
            text=(
                f"Autorización de crédito {authorization.pk} por {format_money(authorization.amount)} "
                f"(venta {authorization.reference}) aprobada por excepción. Rechazada antes: {authorization.reason} "
                f"Motivo: {reason}"
            ),
        )
        customer_event(
            events.AUTHORIZATION_OVERRIDDEN,
            customer,
            {
                "authorization": {
                    "id": authorization.pk,
                    "amount": str(authorization.amount),
                    "reference": authorization.reference,
                    "expires_at": authorization.expires_at.isoformat(),
                    "reason": reason,
                }
            },
        )
    return authorization


def use_authorization(*, authorization_id, document: Document) -> CreditAuthorization:
    """The comprobante that names an authorization arrived: its hold ends (the saldo now counts
    the comprobante). Call inside the comprobante's transaction, with the balance row locked."""
    try:
        authorization = CreditAuthorization.objects.select_for_update().get(pk=int(authorization_id))
    except (TypeError, ValueError, CreditAuthorization.DoesNotExist):
        raise ValidationError({"authorization_id": ["No existe esa autorización de crédito."]}) from None
    if authorization.customer_id != document.customer_id:
        raise ValidationError({"authorization_id": ["Esa autorización es de otro cliente."]})
    if authorization.status == Status.USED:
        raise ValidationError(
            {"authorization_id": [f"La autorización {authorization.pk} ya fue usada por otro comprobante."]}
        )
    if authorization.status in (Status.REFUSED, Status.CANCELLED):
        raise ValidationError(
            {
                "authorization_id": [
                    f"La autorización {authorization.pk} está {authorization.get_status_display().lower()}."
                ]
            }
        )
    if authorization.status == Status.APPROVED:
        _move_held(
            CreditAccount.objects.select_for_update().get(customer_id=document.customer_id), -authorization.amount
        )
    # An expired one is still the authorization of this sale: the comprobante names it.
    authorization.status = Status.USED
    authorization.document = document
    authorization.released_at = authorization.released_at or timezone.now()
    authorization.save(update_fields=["status", "document", "released_at"])
    return authorization


def get_authorization(pk) -> CreditAuthorization:
    try:
        return CreditAuthorization.objects.select_related("customer", "overridden_by").get(pk=int(pk))
    except (TypeError, ValueError, CreditAuthorization.DoesNotExist):
        raise ObjectDoesNotExist from None
