"""Merge movers: how the apps above customers (credit today) move their rows from a merged
customer to the one that stays, and back on undo, without customers importing them.

customers owns the list and never knows who fills it; an app above registers its movers once,
from its AppConfig.ready() (house style §11, like customers.guards):

    # credit/apps.py
    from customers.merge_movers import Mover, register_mover
    register_mover(Mover("comprobantes", "comprobantes", count=..., move=..., undo=...))

A mover is plain data plus functions, each called inside the merge's (or undo's) transaction
with both customers' rows locked:

- ``count(customer_id) -> dict[label, int]``: the rows the customer holds, by what the page and
  the tests call them ({"comprobantes": 3, "pagos": 5}).
- ``refuse(survivor, merged) -> list[str]``: reasons the merge may not happen (Spanish phrases
  completing "No se puede fusionar: …"), e.g. two projects with the same code.
- ``move(survivor, merged, actor) -> dict``: moves the rows; returns what undo needs (JSON).
- ``undo(survivor, merged, record, actor)``: puts them back as they were, or raises
  ValidationError (Spanish) when something new references them since the merge.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mover:
    key: str
    count: Callable[[int], dict]
    move: Callable[[object, object, object], dict]
    undo: Callable[[object, object, dict, object], None]
    refuse: Callable[[object, object], list] = field(default=lambda survivor, merged: [])


_movers: list[Mover] = []


def register_mover(mover: Mover) -> None:
    # ready() may run twice (tests that reload apps): the last registration of a key wins.
    _movers[:] = [m for m in _movers if m.key != mover.key] + [mover]


def movers() -> list[Mover]:
    return list(_movers)
