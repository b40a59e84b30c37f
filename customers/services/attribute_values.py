"""The customers' side of the atributos adicionales: Customer.attributes is where the values
live, so this is the value store the attributes engine asks (attributes.stores), registered
by CustomersConfig.ready()."""

import json

from django.db import connection

from customers.history import record_bulk_change
from customers.models import Customer


class CustomerAttributeValues:
    def count(self, key: str) -> int:
        return Customer.objects.filter(attributes__has_key=key).count()

    def values(self, key: str):
        rows = Customer.objects.filter(attributes__has_key=key).values_list("pk", "attributes")
        for pk, stored in rows.iterator(chunk_size=5000):
            yield pk, stored.get(key)

    def rewrite(self, *, key: str, changed: list, actor, reason: str, note_text: str) -> None:
        """A set-based UPDATE, then one history record and one note per customer."""
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Customer._meta.db_table} SET attributes = jsonb_set(attributes, ARRAY[%s], %s::jsonb)"  # noqa: S608 (model's table)
                " WHERE id = %s",
                [(key, json.dumps(value), pk) for pk, value in changed],
            )
        record_bulk_change(customer_ids=[pk for pk, _ in changed], actor=actor, reason=reason, note_text=note_text)


customer_attribute_values = CustomerAttributeValues()
