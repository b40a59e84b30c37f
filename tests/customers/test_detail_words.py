"""The customer's summary speaks to the role reading it: no advice to edit for one who cannot."""

import pytest
from django.urls import reverse

from tests.factories import make_company
from tests.roles import user_with_role


@pytest.mark.parametrize(("role", "told"), [("Administrador", True), ("Ventas", True), ("Consulta", False)])
def test_an_unchecked_ruc_suggests_the_lookup_only_to_whoever_may_edit(client, db, role, told):
    customer = make_company()
    client.force_login(user_with_role(role))
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Sin consultar" in page
    assert ("(use la lupa al editar)" in page) is told
