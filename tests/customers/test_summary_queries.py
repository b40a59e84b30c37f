"""The summary's query count does not grow with the customer's addresses, contacts, phones or e-mails."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from tests.factories import make_address, make_company
from tests.roles import user_with_role


def _queries_for_summary(client, customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    return len(captured)


def test_the_summary_costs_the_same_queries_with_one_or_many_related_rows(client, db):
    client.force_login(user_with_role("Ventas"))
    small, large = make_company(), make_company()
    _queries_for_summary(client, small)  # warm per-session caches (permissions, settings row)
    baseline = _queries_for_summary(client, small)
    for index in range(8):
        make_address(customer=large, street=f"Av. Grau {index + 100}")
        services.save_contact(
            actor=None, customer=large, data={"name": f"Contacto {index}", "phones": "999111222", "emails": ""}
        )
    assert _queries_for_summary(client, large) == baseline
