"""Where attribute values are stored, as the engine sees it.

The attributes app is the typed-fields engine (definitions, parsing, validation, filters): it
knows nothing of the rows that hold values. The app that stores them (customers, in
Customer.attributes) registers a store from its AppConfig.ready(), and the definition
services ask the stores — how many rows have a value (delete refused), every value (a change
of type re-reads them), and rewrite the converted ones with their history. The same one-way
registry as customers.guards: the lower app owns the list, the higher one fills it.
"""

from collections.abc import Iterable
from typing import Protocol


class ValueStore(Protocol):
    def count(self, key: str) -> int:
        """Rows (the Papelera's included) with a value under `key`."""

    def values(self, key: str) -> Iterable[tuple[int, object]]:
        """(row id, stored value) of every row with a value under `key`."""

    def rewrite(self, *, key: str, changed: list[tuple[int, object]], actor, reason: str, note_text: str) -> None:
        """Store the new values (row id, value) in this transaction, each with its history."""


_stores: list[ValueStore] = []


def register_value_store(store: ValueStore) -> None:
    if store not in _stores:
        _stores.append(store)


def value_stores() -> list[ValueStore]:
    return list(_stores)
