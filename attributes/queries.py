"""Reads of the attributes app."""

from django.db.models import F, Func, JSONField, QuerySet
from django.shortcuts import get_object_or_404

from attributes.indexes import value_expression
from attributes.models import AttributeDefinition


def list_definitions() -> QuerySet[AttributeDefinition]:
    """Every attribute for the Atributos adicionales screen: active ones in their order, then
    the archived ones."""
    return AttributeDefinition.objects.order_by(F("archived_at").asc(nulls_first=True), "position", "id")


def get_definition(*, pk) -> AttributeDefinition:
    return get_object_or_404(AttributeDefinition, pk=pk)


def attribute_value(definition_id: int) -> Func:
    """``attributes -> '<id>'`` as an expression, written by the same function as the range
    index's (attributes.indexes) so the planner can use it. Django's own key transform sends a
    key made of digits as an array index (-> 12), which finds nothing in an object."""
    template = value_expression("%(expressions)s", definition_id)
    return Func(F("attributes"), template=template, output_field=JSONField())
