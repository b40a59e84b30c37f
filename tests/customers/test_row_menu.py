"""The list's shared row menu (templates/customers/_row_menu.html, customers.extensions):
one menu per page whose items hold the id 0 where static/js/list.js puts the id of the row that
opened it, and show or hide by the row's state words. Here the page is read the way list.js
reads it, for each role, and each offered action is then used, and each one not offered refused,
on the server (the browser test checks list.js itself)."""

import pytest
from django.urls import reverse

from credit import services as credit_services
from customers.models import Customer
from tests.factories import make_company
from tests.list_page import row_menu
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db
LIST = reverse("customers:list")


def _blocked(customer):
    credit_services.block_credit(actor=None, customer=customer, reason="Mora")
    return customer


# What each role is offered on an active customer and on a suspended one whose credit is blocked.
OFFERED = {
    "Administrador": (
        {"Editar", "Suspender", "Ver crédito", "Bloquear crédito", "Eliminar…"},
        {"Editar", "Reactivar", "Ver crédito", "Desbloquear crédito", "Eliminar…"},
    ),
    "Ventas": ({"Editar", "Suspender", "Ver crédito"}, {"Editar", "Reactivar", "Ver crédito"}),
    "Créditos": ({"Ver crédito", "Bloquear crédito"}, {"Ver crédito", "Desbloquear crédito"}),
    "Consulta": ({"Ver crédito"}, {"Ver crédito"}),
}
# Each entry: how list.js's address is used, and the URL name a role without it is refused.
ENTRIES = {
    "Editar": ("get", "customers:update"),
    "Suspender": ("post", "customers:suspend"),
    "Reactivar": ("post", "customers:reactivate"),
    "Ver crédito": ("get", "credit:panel"),
    "Bloquear crédito": ("get", "credit:block"),
    "Desbloquear crédito": ("get", "credit:block"),
    "Eliminar…": ("get", "customers:delete"),
}


@pytest.mark.parametrize("role", list(OFFERED))
def test_each_role_is_offered_its_entries_for_the_row_state(client, role):
    active = make_company(business_name="Gloria S.A.")
    suspended = _blocked(make_company(business_name="Backus S.A.A.", is_active=False))
    client.force_login(user_with_role(role))
    page = client.get(LIST, {"estado": "todos"}).content.decode()

    assert set(row_menu(page, active)) == OFFERED[role][0]
    assert set(row_menu(page, suspended)) == OFFERED[role][1]
    assert 'data-row-state="suspended credit-blocked"' in page


@pytest.mark.parametrize("role", list(OFFERED))
@pytest.mark.parametrize("label", list(ENTRIES))
def test_each_entry_works_for_who_is_offered_it_and_is_refused_to_the_others(client, role, label):
    suspended = label in ("Reactivar", "Desbloquear crédito")
    customer = make_company(business_name="Gloria S.A.", is_active=not suspended)
    if suspended:
        _blocked(customer)
    method, url_name = ENTRIES[label]
    client.force_login(user_with_role(role))
    page = client.get(LIST, {"estado": "todos", "q": "gloria"}, HTTP_HX_REQUEST="true").content.decode()
    offered = row_menu(page, customer)

    if label in OFFERED[role][1 if suspended else 0]:
        source, address = offered[label]
        assert source == ("data-row-formaction" if method == "post" else source)
        data = {"next": LIST} if method == "post" else None
        assert_can(client, role, method, address, data, HTTP_HX_REQUEST="true")
        if label == "Suspender":
            assert not Customer.objects.get(pk=customer.pk).is_active
        if label == "Reactivar":
            assert Customer.objects.get(pk=customer.pk).is_active
    else:
        assert label not in offered
        assert_cannot(client, role, method, reverse(url_name, args=[customer.pk]), {} if method == "post" else None)


def test_the_page_carries_one_row_menu_and_one_form_whatever_the_rows(client):
    for i in range(5):
        make_company(business_name=f"Comercial {i} S.A.C.")
    page = assert_can(client, "Administrador", "get", LIST).content.decode()
    assert page.count('data-row-menu="') == 5
    assert page.count('id="row-menu"') == 1
    # Three forms with a CSRF token: the ticked rows' actions, the row menu's and signing out.
    assert page.count('name="csrfmiddlewaretoken"') == 3


def test_a_page_without_rows_has_no_row_menu(client):
    page = assert_can(client, "Administrador", "get", LIST, {"q": "nadie"}).content.decode()
    assert 'id="row-menu"' not in page
