"""Who may write, and the customer's row lock every write takes turns on.

Every write to a customer or to what hangs from it (addresses, contacts, notes, attribute
values) locks the customer's row first and reads its state there, not from the page that
sent the request: a write prepared before someone sent the customer to the Papelera or
suspended it then sees that change, and writes only the fields it owns.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Customer


def require_permission(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def locked_customer(customer: Customer) -> Customer:
    """The customer's row as it is now, locked until the transaction ends, so two people
    acting on it at once take turns (the second sees the first one's result)."""
    try:
        return Customer.objects.select_for_update().get(pk=customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError("Ese cliente ya no existe.") from None


def writable_customer(customer: Customer, *, to: str) -> Customer:
    """locked_customer, refused while it is in the Papelera: there it is read-only until
    restored. `to` completes "restáurelo primero para …" (editarlo, agregar notas…)."""
    locked = locked_customer(customer)
    if locked.deleted_at is not None:
        raise ValidationError(f"Este cliente está en la Papelera: restáurelo primero para {to}.")
    return locked
