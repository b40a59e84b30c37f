from io import StringIO

import pytest
from django.core.management import call_command

from attributes import values
from attributes.models import AttributeDefinition
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_the_demo_brings_a_list_and_a_date_attribute_with_valid_values():
    call_command("load_demo_data", stdout=StringIO())
    definitions = list(AttributeDefinition.objects.order_by("position"))
    assert [d.kind for d in definitions] == ["lista", "fecha"]
    customers = list(Customer.objects.exclude(attributes={}))
    assert len(customers) > 200
    for customer in customers:
        for definition in definitions:
            stored = customer.attributes[definition.key]
            assert values.parse_value(definition, values.format_value(definition, stored)) == stored
