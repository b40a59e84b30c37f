"""Delete guards: how the apps above customers (credit today; the import, the API and others
later) say that a customer may not go, without customers importing them.

customers owns the two lists and never knows who fills them; an app above registers its
checks once, from its AppConfig.ready() (as NetBox's apps fill a registry core code reads):

    # credit/apps.py
    class CreditConfig(AppConfig):
        def ready(self):
            from credit.services import unpaid_document_reasons
            from customers.guards import register_trash_guard

            register_trash_guard(unpaid_document_reasons)

A guard is ``check(customer) -> list[str]``: the reasons the customer may not go, each a
Spanish phrase that completes "No se puede eliminar «Gloria S.A.»: …" (for example
"tiene 2 documentos por cobrar"); an empty list lets it go.

- trash guards: Eliminar (to the Papelera) — trash_customer, and the confirmation page that
  offers Desactivar instead. E.g. unpaid credit documents.
- purge guards: Eliminar definitivamente — purge_customer. E.g. any document that points at
  the customer (an invoice, a credit line).

The services ask them inside their transaction, with the customer's row locked.
"""

from collections.abc import Callable

Guard = Callable[[object], list]

_trash_guards: list[Guard] = []
_purge_guards: list[Guard] = []


def register_trash_guard(check: Guard) -> None:
    if check not in _trash_guards:
        _trash_guards.append(check)


def register_purge_guard(check: Guard) -> None:
    if check not in _purge_guards:
        _purge_guards.append(check)


def reasons_not_to_trash(customer) -> list[str]:
    return [reason for check in _trash_guards for reason in check(customer)]


def reasons_not_to_purge(customer) -> list[str]:
    return [reason for check in _purge_guards for reason in check(customer)]
