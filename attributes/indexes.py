"""One btree expression index per attribute (but texto largo and selección múltiple), on
(attributes -> '<id>'): PostgreSQL orders jsonb numbers numerically and ISO date strings by
date, so a range filter (mín./máx.) reads only the customers in range; equalities (lista,
sí/no, "texto exacto", DNI/RUC) use it too. Above all, ANALYZE keeps statistics of the
expression (most common values, histogram), so the planner knows that «Estándar» is half the
customers and «Platino» one in a hundred; with the GIN index's containment (@>) it assumes
0.1% for any value, sorted 50,000 matches of a common one by name and took 300-500 ms (1M). Not partial (WHERE … IS
NOT NULL would make it smaller): ANALYZE's statistics of a partial index's expression are not
used by the planner, which then guesses a third of the table for any range and walks the name
index instead (measured at 200,000 customers: 207 ms → 1.6 ms for an empty range).
Selección múltiple filters use the GIN index customer_attributes_gin. Built CONCURRENTLY by a
background task (attributes.tasks): at a million customers a build takes seconds and must not
lock the table for writes.
"""

from django.db import connection

from attributes.models import AttributeDefinition

TABLE = "customers_customer"


def index_name(definition_id: int) -> str:
    return f"customer_attr_{int(definition_id)}_idx"


def value_expression(column: str, definition_id: int) -> str:
    """``(attributes -> '<id>')``: the expression of the attribute's index; the list's filters
    (attributes.queries.attribute_value) write the same one, so the planner uses the index."""
    return f"({column} -> '{int(definition_id)}')"


def existing_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE 'customer_attr_%%_idx'", [TABLE]
        )
        return {row[0] for row in cursor.fetchall()}


def sync_index(definition_id: int) -> str:
    """Create the index when the attribute exists and has_value_index, drop it otherwise. Idempotent."""
    definition = AttributeDefinition.objects.filter(pk=definition_id).first()
    name = index_name(definition_id)
    # CONCURRENTLY cannot run inside a transaction (tests, a caller's atomic block).
    concurrently = "" if connection.in_atomic_block else " CONCURRENTLY"
    with connection.cursor() as cursor:
        if definition is None or not definition.has_value_index:
            cursor.execute(f'DROP INDEX{concurrently} IF EXISTS "{name}"')
            return "dropped"
        # A concurrent build that failed leaves an invalid index that IF NOT EXISTS would keep.
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s", [name]
        )
        row = cursor.fetchone()
        if row is not None and not row[0]:
            cursor.execute(f'DROP INDEX{concurrently} IF EXISTS "{name}"')
        expression = value_expression("attributes", definition_id)
        cursor.execute(f'CREATE INDEX{concurrently} IF NOT EXISTS "{name}" ON {TABLE} ({expression})')
        # The planner needs the expression's statistics at once, not after the next autovacuum.
        cursor.execute(f"ANALYZE {TABLE}")
    return "created"
