"""Demo Atributos adicionales for manage.py load_demo_data: a list and a date, with values
for most demo customers, so the tab, the form and the filters have something to show. On the
customers' side: the definitions go through the attributes services, the values into
Customer.attributes."""

from django.db import connection, transaction

from attributes import services
from attributes.models import AttributeDefinition
from customers.models import Customer

LEVELS = ["Estándar", "Bronce", "Plata", "Oro"]


def load_demo_attributes() -> int:
    """Create the demo attributes and fill them; nothing when attributes already exist.
    Returns how many customers got values."""
    if AttributeDefinition.objects.exists():
        return 0
    with transaction.atomic():
        level = services.create_definition(
            actor=None,
            data={
                "kind": "lista",
                "name": "Nivel de cliente",
                "help_text": "Según sus compras del último año.",
                "options": LEVELS,
            },
        )
        anniversary = services.create_definition(
            actor=None,
            data={"kind": "fecha", "name": "Aniversario", "help_text": "Fecha de fundación o de cumpleaños."},
        )
        # Deterministic by id: the same demo every time. Roughly 1 in 5 customers has no level.
        options = "ARRAY[" + ", ".join(f"'{name}'" for name in LEVELS) + "]"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {Customer._meta.db_table} SET attributes = attributes || jsonb_build_object(
                    %s, ({options})[1 + (id * 7) %% 4]::text,
                    %s, to_char(date '1970-01-01' + ((id * 7919) %% 19000)::int, 'YYYY-MM-DD')
                ) WHERE id %% 5 <> 0
                """,  # noqa: S608  (the model's table, fixed option names)
                [level.key, anniversary.key],
            )
            return cursor.rowcount
