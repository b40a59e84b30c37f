"""Attribute definitions for tests: make_definition(kind="fecha", name="Aniversario")."""

import itertools

from attributes import services
from attributes.models import AttributeDefinition

_numbers = itertools.count(1)

DEFAULT_OPTIONS = ["Oro", "Plata", "Bronce"]


def make_definition(kind: str = "texto", **data) -> AttributeDefinition:
    """A definition created through the service (actor None: the system), so it gets its
    position and its range index task like one made on the screen."""
    data.setdefault("name", f"Atributo {next(_numbers)}")
    if kind in ("lista", "multiple"):
        data.setdefault("options", list(DEFAULT_OPTIONS))
    return services.create_definition(actor=None, data={"kind": kind, **data})
