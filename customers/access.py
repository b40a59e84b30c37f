"""Who may write, and the customer's row lock every write takes turns on.

Every write to a customer or to what hangs from it (addresses, contacts, notes, attribute
values) locks the customer's row first and reads its state there, not from the page that
sent the request: a write prepared before someone sent the customer to the Papelera or
suspended it then sees that change, and writes only the fields it owns.

A lock may also be held by a prepared transaction (two-phase commit) whose process is gone: a
large import's parts, prepared and left behind by a killed worker (customers.import_parallel).
PostgreSQL keeps those locks until someone commits or rolls the transaction back, so a plain wait
would never end: the lock is taken only while no transaction is prepared, and otherwise the
releasers registered here (customers.importing's, from customers.apps) finish the abandoned ones
first.
"""

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from customers.models import Customer

logger = logging.getLogger(__name__)

# How long a write waits for a customer that a live import holds prepared (it commits within a
# moment of preparing) before it gives up with STILL_LOCKED_MESSAGE.
PREPARED_WAIT_MS = 10_000
STILL_LOCKED_MESSAGE = (
    "No se pudo guardar: una importación de clientes que aún no termina tiene bloqueado este cliente. "
    "Espere a que termine (Importar → Importaciones anteriores) y vuelva a guardar."
)
# Uncorrelated, so PostgreSQL checks it once before reading the row (a "One-Time Filter"): with a
# transaction prepared, the row is not locked (nor waited for) here, and _lock_past_prepared goes on.
_NONE_PREPARED = "NOT EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE database = current_database())"

_releasers: list[Callable[[], bool]] = []


def _none_prepared() -> RawSQL:
    return RawSQL(_NONE_PREPARED, [], output_field=BooleanField())  # noqa: S611 - constant SQL, no input


def register_lock_releaser(release: Callable[[], bool]) -> None:
    """release() finishes the prepared transactions whose process is gone (from a connection of
    its own: the caller is inside a transaction) and returns whether some transaction is still
    prepared (a live one)."""
    if release not in _releasers:
        _releasers.append(release)


def require_permission(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def locked_customer(customer: Customer) -> Customer:
    """The customer's row as it is now, locked until the transaction ends, so two people
    acting on it at once take turns (the second sees the first one's result)."""
    try:
        return Customer.objects.select_for_update().filter(_none_prepared()).get(pk=customer.pk)
    except Customer.DoesNotExist:
        pass  # a transaction is prepared, or the customer is gone
    try:
        return _lock_past_prepared(customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError("Ese cliente ya no existe.") from None


def _lock_past_prepared(pk) -> Customer:
    """The customer's row lock while some transaction is prepared: the abandoned ones finished
    first; a wait for a live one (about to commit) bounded by PREPARED_WAIT_MS."""
    still_prepared = False
    for release in _releasers:
        try:
            still_prepared = release() or still_prepared
        except Exception:  # noqa: BLE001 - the wait below still ends, with the message
            logger.exception("No se pudieron resolver las transacciones preparadas abandonadas")
            still_prepared = True
    if not still_prepared:
        return Customer.objects.select_for_update().get(pk=pk)
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a timeout undoes only it
            cursor.execute(
                "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                [f"{int(PREPARED_WAIT_MS)}ms"],
            )
            (before, _) = cursor.fetchone()
            locked = Customer.objects.select_for_update().get(pk=pk)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
            return locked
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise ValidationError(STILL_LOCKED_MESSAGE) from None


def writable_customer(customer: Customer, *, to: str) -> Customer:
    """locked_customer, refused while it is in the Papelera: there it is read-only until
    restored. `to` completes "restáurelo primero para …" (editarlo, agregar notas…)."""
    locked = locked_customer(customer)
    if locked.deleted_at is not None:
        raise ValidationError(f"Este cliente está en la Papelera: restáurelo primero para {to}.")
    return locked
