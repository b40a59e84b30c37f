"""Who may write, and the customer's row lock every write takes turns on."""

from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Customer


def require_permission(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def locked_customer(customer: Customer) -> Customer:
    """The customer's row, locked until the transaction ends, so two people acting on it at
    once take turns (the second sees the first one's result)."""
    try:
        return Customer.objects.select_for_update().get(pk=customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError("Ese cliente ya no existe.") from None
