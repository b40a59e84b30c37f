"""What happened to a customer, told to whoever listens (the integration API's webhook outbox).

The customer services call ``customer_event(kind, customer)`` inside the transaction of the
change they describe, so a listener that writes to the database (an outbox row) commits or
rolls back with the change itself. The listeners register from a higher app's
``AppConfig.ready()`` (house style §11): customers never imports the API.

Kinds: the names below; the credit app adds its own (crédito bloqueado, cupo cambiado…).
"""

from customers.models import Customer

CREATED = "customer.created"
UPDATED = "customer.updated"
DEACTIVATED = "customer.deactivated"
ACTIVATED = "customer.activated"
TRASHED = "customer.deleted"
RESTORED = "customer.restored"
PURGED = "customer.purged"

_listeners: list = []


def register_listener(listener) -> None:
    """listener(kind: str, customer: Customer, data: dict) — called in the change's transaction."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_listener(listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def customer_event(kind: str, customer: Customer, data: dict | None = None) -> None:
    for listener in list(_listeners):
        listener(kind, customer, data or {})
