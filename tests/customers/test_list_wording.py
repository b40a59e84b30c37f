"""What the list and the Papelera say: counts that name the estado they count, empty states
that name only what the user chose, the order on phones, the summary's way back, and the
menu entries each role sees."""

from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse

from customers import services
from customers.filters import CustomerFilterSet
from customers.models import Customer
from tests.factories import make_company, make_person
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("customers:list")
TRASH = reverse("customers:trash")


@pytest.fixture
def as_ventas(client):
    client.force_login(user_with_role("Ventas"))
    return client


def count_line(client, query=None) -> str:
    page = client.get(LIST, query or {}, **HTMX).content.decode()
    start = page.index('id="result-count">')
    return " ".join(page[start : page.index("</p>", start)].split('">', 1)[1].split())


def empty_row(client, url, query) -> str:
    page = client.get(url, query, **HTMX).content.decode()
    start = page.index('colspan="')
    return " ".join(page[start : page.index("</td>", start)].split(">", 1)[1].split())


# --- the count names what it counts -------------------------------------------------------


@pytest.fixture
def two_active_one_suspended(db):
    make_company(business_name="Gloria S.A.")
    make_company(business_name="Backus S.A.A.")
    make_company(business_name="Alicorp S.A.A.", is_active=False)


@pytest.mark.parametrize(
    ("estado", "expected"),
    [(None, "2 clientes activos"), ("suspendidos", "1 cliente suspendido"), ("todos", "3 clientes")],
)
def test_the_count_says_which_customers_it_counts(as_ventas, two_active_one_suspended, estado, expected):
    assert count_line(as_ventas, {"estado": estado} if estado else {}) == expected


def test_one_active_customer_is_counted_in_the_singular(as_ventas):
    make_company(business_name="Gloria S.A.")
    assert count_line(as_ventas) == "1 cliente activo"


def _render_count(page, estado: str) -> str:
    filterset = CustomerFilterSet({"estado": estado}, queryset=Customer.objects.all())
    template = Template("{% load list_wording %}{% result_count page filterset %}")
    return template.render(Context({"page": page, "filterset": filterset}))


@pytest.mark.parametrize(
    ("estado", "expected"),
    [("activos", "Más de 10,000 clientes activos"), ("todos", "Más de 10,000 clientes")],
)
def test_a_capped_count_names_the_estado(estado, expected):
    page = SimpleNamespace(timed_out=False, count_exact=False, count=10_000, estimate=None)
    assert _render_count(page, estado) == expected


def test_an_estimated_count_names_the_estado():
    page = SimpleNamespace(timed_out=False, count_exact=False, count=10_000, estimate=962_450)
    assert _render_count(page, "suspendidos").startswith("Unos 960,000 clientes suspendidos <span")


# --- empty states name only what was chosen ------------------------------------------------


def test_an_empty_search_names_only_the_search(as_ventas):
    make_company(business_name="Gloria S.A.")
    row = empty_row(as_ventas, LIST, {"q": "backus"})
    assert row.startswith("Ningún cliente activo coincide con «backus».")
    assert "filtros" not in row
    assert "?q=backus&amp;estado=todos" in row  # the same search among every customer


def test_an_empty_filter_names_only_the_filters(as_ventas):
    make_company(business_name="Gloria S.A.")
    row = empty_row(as_ventas, LIST, {"tipo": "extranjero"})
    assert row.startswith("Ningún cliente activo coincide con los filtros elegidos.")
    assert "«" not in row


def test_an_empty_search_with_filters_names_both(as_ventas):
    make_company(business_name="Gloria S.A.")
    row = empty_row(as_ventas, LIST, {"q": "gloria", "tipo": "persona"})
    assert row.startswith("Ningún cliente activo coincide con «gloria» y los filtros elegidos.")


def test_no_suspended_customers_is_said_plainly(as_ventas):
    make_company(business_name="Gloria S.A.")
    assert empty_row(as_ventas, LIST, {"estado": "suspendidos"}).startswith("No hay clientes suspendidos.")


def test_an_empty_search_among_suspended_customers_says_so(as_ventas):
    make_company(business_name="Gloria S.A.", is_active=False)
    row = empty_row(as_ventas, LIST, {"q": "backus", "estado": "suspendidos"})
    assert row.startswith("Ningún cliente suspendido coincide con «backus».")


def test_the_ways_out_of_an_empty_list_keep_the_estado(as_ventas):
    make_company(business_name="Gloria S.A.", is_active=False)

    row = empty_row(as_ventas, LIST, {"q": "gloria", "estado": "suspendidos", "tipo": "persona"})
    assert 'href="/clientes/?q=gloria&amp;estado=suspendidos">Buscar «gloria» sin filtros' in row
    row = empty_row(as_ventas, LIST, {"estado": "suspendidos", "tipo": "persona"})
    assert 'href="/clientes/?estado=suspendidos">Quitar filtros' in row
    row = empty_row(as_ventas, LIST, {"tipo": "persona"})
    assert 'href="/clientes/">Quitar filtros' in row


def test_a_search_term_in_the_empty_states_and_counts_is_text_not_markup(as_ventas):
    make_company(business_name="Gloria S.A.")
    term = '<img src=x onerror="alert(1)">'

    row = empty_row(as_ventas, LIST, {"q": term, "tipo": "persona"})
    assert "<img" not in row and "&lt;img src=x" in row
    trash = as_ventas.get(TRASH, {"q": term}).content.decode()
    assert "<img src=x" not in trash and "coincide con «&lt;img src=x" in trash


# --- the Papelera ----------------------------------------------------------------------------


def trash_count_line(client, query=None) -> str:
    page = client.get(TRASH, query or {}).content.decode()
    start = page.index('id="result-count">')
    return " ".join(page[start : page.index("</p>", start)].split(">", 1)[1].split())


def test_a_papelera_search_without_match_does_not_call_the_papelera_empty(as_ventas):
    services.trash_customer(actor=None, customer=make_company(business_name="Gloria S.A."))
    assert trash_count_line(as_ventas, {"q": "backus"}) == "Ningún cliente de la Papelera coincide con «backus»"


def test_a_papelera_search_says_what_it_found(as_ventas):
    services.trash_customer(actor=None, customer=make_company(business_name="Gloria S.A."))
    assert trash_count_line(as_ventas, {"q": "glo"}) == "1 cliente de la Papelera coincide con «glo»"
    assert trash_count_line(as_ventas) == "1 cliente en la Papelera"


def test_an_empty_papelera_says_it_is_empty(as_ventas):
    assert trash_count_line(as_ventas) == "La Papelera está vacía"


# --- a tampered order ------------------------------------------------------------------------


def test_a_bad_order_falls_back_to_names_without_a_notice(as_ventas):
    make_company(business_name="Backus S.A.A.")
    make_company(business_name="Alicorp S.A.A.")

    response = as_ventas.get(LIST, {"orden": "zzz"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Se ignoró" not in page
    assert page.index("Alicorp S.A.A.") < page.index("Backus S.A.A.")


# --- the order as a select (the phone layout) -----------------------------------------------


def test_the_filters_offer_every_order_with_the_current_one_chosen(as_ventas):
    page = as_ventas.get(LIST, {"orden": "-documento"}).content.decode()
    assert '<label class="form-label small mb-1" for="id_orden">Ordenar por</label>' in page
    for label in ("Nombre (A-Z)", "Nombre (Z-A)", "Documento (ascendente)", "Documento (descendente)"):
        assert f">{label}</option>" in page
    assert '<option value="-documento" selected>' in page


def test_a_column_sort_through_htmx_updates_the_order_select(as_ventas):
    body = as_ventas.get(LIST, {"orden": "documento"}, **HTMX).content.decode()
    assert '<select name="orden" id="id_orden" class="form-select" hx-swap-oob="true">' in body
    assert '<option value="documento" selected>' in body


# --- the summary of a customer in the Papelera -----------------------------------------------


def breadcrumb(client, customer) -> str:
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    start = page.index('<ol class="breadcrumb')
    return page[start : page.index("</ol>", start)]


def test_a_trashed_customer_summary_leads_back_to_the_papelera(as_ventas):
    customer = make_person(first_names="Rosa", last_names="Quispe")
    services.trash_customer(actor=None, customer=customer)
    crumbs = breadcrumb(as_ventas, customer)
    assert f'<a href="{TRASH}">Papelera</a>' in crumbs
    assert ">Clientes</a>" not in crumbs


def test_a_customer_summary_leads_back_to_the_list(as_ventas):
    crumbs = breadcrumb(as_ventas, make_person(first_names="Rosa", last_names="Quispe"))
    assert f'<a href="{LIST}">Clientes</a>' in crumbs


# --- the Importar menu entry -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"), [("Administrador", True), ("Ventas", False), ("Créditos", False), ("Consulta", False)]
)
def test_importar_is_in_the_menu_only_for_roles_that_may_import(client, role, shown):
    client.force_login(user_with_role(role))
    nav = client.get(LIST).content.decode().split('id="menu-principal"', 1)[1].split("</ul>", 1)[0]
    assert ("Importar" in nav) is shown
