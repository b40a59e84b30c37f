"""Reads of the attributes app."""

from django.db.models import F, Func, JSONField, QuerySet
from django.shortcuts import get_object_or_404

from attributes.models import AttributeDefinition


def list_definitions(*, actor) -> QuerySet[AttributeDefinition]:
    """Every attribute for the Atributos adicionales screen: active ones in their order, then
    the archived ones."""
    return AttributeDefinition.objects.order_by(F("archived_at").asc(nulls_first=True), "position", "id")


def get_definition(*, actor, pk) -> AttributeDefinition:
    return get_object_or_404(AttributeDefinition, pk=pk)


def attribute_value(definition_id: int) -> Func:
    """``attributes -> '<id>'`` as an expression, written exactly like the range index's
    (attributes.indexes) so the planner can use it. Django's own key transform sends a key made
    of digits as an array index (-> 12), which finds nothing in an object."""
    return Func(F("attributes"), template=f"(%(expressions)s -> '{int(definition_id)}')", output_field=JSONField())
