"""GET /api/v1/customers/{id} of a merged customer (issue 18): 301 to the survivor, with
`merged_into`, as the published schema says; after the undo it is itself again."""

import pytest

from customers import services
from tests.factories import make_company
from tests.integrations.test_contract import Contract

pytestmark = pytest.mark.django_db


def test_a_merged_customer_answers_301_to_the_survivor(api):
    contract = Contract()
    keeper, other = make_company(), make_company()
    merge = services.merge_customers(actor=None, survivor=keeper, merged=other)
    response = api.get(f"/api/v1/customers/{other.pk}")
    assert response.status_code == 301
    body = contract.check("GET", f"/api/v1/customers/{other.pk}", response)
    assert body["merged_into"] == keeper.pk
    assert response["Location"].endswith(f"/api/v1/customers/{keeper.pk}")
    assert api.get(response["Location"]).json()["id"] == keeper.pk

    services.undo_merge(actor=None, merge=merge)
    assert api.get(f"/api/v1/customers/{other.pk}").status_code == 200
