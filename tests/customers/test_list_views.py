"""The list, the Papelera and the lifecycle actions as pages: status, permissions (shown only
to who may, checked again on the server), bad input, and the list page's query count."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import queries, services
from customers.models import Customer
from tests.factories import make_company, make_person
from tests.list_page import row_menu
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("customers:list")
TRASH = reverse("customers:trash")


def url(name: str, customer) -> str:
    return reverse(f"customers:{name}", args=[customer.pk])


def trashed(**overrides) -> Customer:
    customer = make_company(**overrides)
    services.trash_customer(actor=None, customer=customer)
    return customer


@pytest.fixture
def as_admin(client):
    client.force_login(user_with_role("Administrador", first_name="Ana", last_name="Torres"))
    return client


@pytest.fixture
def as_ventas(client):
    client.force_login(user_with_role("Ventas"))
    return client


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Administrador", "Ventas", "Créditos", "Consulta"])
def test_every_role_sees_the_list(client, role):
    make_company(business_name="Gloria S.A.")
    response = assert_can(client, role, "get", LIST)
    assert "Gloria S.A." in response.content.decode()


def test_a_user_without_a_role_cannot_see_the_list(client, sin_rol):
    client.force_login(sin_rol)
    assert client.get(LIST).status_code == 403


def test_the_list_shows_the_columns_and_the_exact_count(as_ventas):
    customer = make_company(business_name="Gloria S.A.", document_number="20100070970", phone="+51987654321")
    page = as_ventas.get(LIST).content.decode()

    for text in ("Documento", "Nombre / razón social", "Correo electrónico", "Teléfono", "Estado", "Categoría"):
        assert text in page
    assert "RUC 20100070970" in page and "987 654 321" in page and customer.email in page
    assert "1 cliente" in page


def test_a_search_through_htmx_gets_only_the_results(as_ventas):
    make_company(business_name="Gloria S.A.")
    make_company(business_name="Backus S.A.A.")

    response = as_ventas.get(LIST, {"q": "glo"}, **HTMX)

    body = response.content.decode()
    assert "<html" not in body and 'id="result-count"' in body
    assert "Gloria S.A." in body and "Backus" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_the_back_button_without_htmx_cache_gets_the_whole_page(as_ventas):
    response = as_ventas.get(LIST, {"q": "glo"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_the_search_and_filters_stay_in_the_form_and_the_links(as_ventas):
    for i in range(30):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")

    page = as_ventas.get(LIST, {"q": "comercial", "tipo": "empresa"}).content.decode()

    assert 'value="comercial"' in page
    assert '<option value="empresa" selected>' in page
    assert "?q=comercial&amp;tipo=empresa&amp;page=2" in page
    assert "orden=-nombre" in page  # the name column sorts the other way next


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"page": "999999"}, "Esa página no existe"),
        ({"page": "-1"}, "Esa página no existe"),
        ({"page": "uno"}, "Esa página no existe"),
        ({"estado": "borrados"}, "Se ignoró el filtro «Estado»"),
        ({"tipo": "<b>x</b>"}, "Se ignoró el filtro «Tipo»"),
        ({"departamento": "99"}, "Se ignoró el filtro «Departamento»"),
        ({"categoria": "1 OR 1=1"}, "Se ignoró el filtro «Categoría»"),
        ({"q": "x" * 10_000}, "se usaron solo los primeros 100 caracteres"),
        ({"q": "ab"}, "Con menos de 3 letras"),
    ],
)
def test_bad_input_gives_a_normal_page_with_a_spanish_message(as_ventas, query, notice):
    make_company(business_name="Gloria S.A.")

    response = as_ventas.get(LIST, query)

    assert response.status_code == 200
    assert notice in response.content.decode()
    assert Customer.objects.count() == 1


def test_a_typed_page_beyond_the_walk_says_which_page_it_shows_and_how_to_go_on(as_ventas, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 50)  # two pages of 25 may be walked
    made = [make_company(business_name=f"Comercial {i:02d} S.A.C.").pk for i in range(60)]
    monkeypatch.setattr(queries, "NEWEST_WALK_ROWS", made[-1] - made[-30])  # 29 newest: one whole page

    page = as_ventas.get(LIST, {"q": "comercial", "page": "2"}).content.decode()
    assert "la página 2 no se puede abrir directamente: se muestra la página 1" in page
    assert "Página 1 de muchas" in page and "Siguiente" in page


def test_html_typed_in_the_search_box_is_shown_as_text(as_ventas):
    page = as_ventas.get(LIST, {"q": '<script>alert("x")</script>'}).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_a_nul_character_in_the_search_is_not_a_500(as_ventas):
    assert as_ventas.get(LIST, {"q": "glo\x00ria"}).status_code == 200


def test_the_list_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    for i in range(30):
        make_company(business_name=f"Comercial {i:02d} S.A.C.")
    client.force_login(user_with_role("Ventas"))
    client.get(LIST)  # warm up whatever a first request caches

    # 3 session, user, and its groups and permissions (customers.roles.load_roles: signed in
    # through django-axes' backend, the test client's first); 5 the list: planner settings, the
    # page with its count and the rows (inside a savepoint: the test's transaction); 3 the
    # filters' choices (departamentos, categorías, clases) and 1 the attributes to filter by;
    # 1 the credit app's column (customers.extensions: the page's balance rows). The user menu
    # reads the groups read with the permissions. test_list_cost.py: per role, and round trips.
    with django_assert_num_queries(12):
        response = client.get(LIST, {"q": "comercial", "tipo": "empresa"})
    assert response.status_code == 200


# --- row actions: shown only to who may use them ----------------------------------------------


def test_consulta_sees_no_row_actions(client):
    make_company(business_name="Gloria S.A.")
    page = assert_can(client, "Consulta", "get", LIST).content.decode()
    # Only what reads: the credit app's Ver crédito.
    assert "Suspender" not in page and "Editar" not in page and "Bloquear crédito" not in page
    assert "Ver crédito" in page


def test_ventas_may_edit_and_deactivate_but_not_delete(client):
    customer = make_company(business_name="Gloria S.A.")
    page = assert_can(client, "Ventas", "get", LIST).content.decode()
    assert url("update", customer) in page  # the row's ✎
    menu = row_menu(page, customer)  # the shared ⋮ menu, as static/js/list.js fills it
    assert menu["Editar"][1] == url("update", customer) and menu["Suspender"][1] == url("suspend", customer)
    assert "Eliminar…" not in menu


def test_the_administrador_sees_eliminar(client):
    customer = make_company(business_name="Gloria S.A.")
    page = assert_can(client, "Administrador", "get", LIST).content.decode()
    assert row_menu(page, customer)["Eliminar…"][1].startswith(url("delete", customer))


def test_a_suspended_customer_offers_activar(as_ventas):
    customer = make_company(business_name="Gloria S.A.", is_active=False)
    page = as_ventas.get(LIST, {"estado": "suspendidos"}).content.decode()
    menu = row_menu(page, customer)
    assert menu["Reactivar"][1] == url("reactivate", customer) and "Suspender" not in menu
    assert "Suspendido" in page


# --- Suspender / Reactivar -----------------------------------------------------------------------


def test_ventas_deactivates_and_goes_back_to_the_list_it_came_from(client):
    customer = make_company(business_name="Gloria S.A.")
    back = f"{LIST}?q=gloria"

    response = assert_can(client, "Ventas", "post", url("suspend", customer), {"next": back})

    assert response.headers["Location"] == back
    assert not Customer.objects.get(pk=customer.pk).is_active


def test_activar_brings_it_back(as_ventas):
    customer = make_company(business_name="Gloria S.A.", is_active=False)
    as_ventas.post(url("reactivate", customer))
    assert Customer.objects.get(pk=customer.pk).is_active


@pytest.mark.parametrize("role", ["Consulta", "Créditos"])
def test_read_only_roles_cannot_deactivate_and_nothing_changes(client, role):
    customer = make_company(business_name="Gloria S.A.")
    assert_cannot(client, role, "post", url("suspend", customer))
    assert Customer.objects.get(pk=customer.pk).is_active


def test_deactivating_by_get_is_not_allowed_and_says_so_in_spanish(as_ventas):
    customer = make_company(business_name="Gloria S.A.")
    response = as_ventas.get(url("suspend", customer))
    assert (response.status_code, response["Allow"]) == (405, "POST")
    assert "Esta dirección no se abre como página" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).is_active


def test_a_next_to_another_site_is_ignored(as_ventas):
    customer = make_company(business_name="Gloria S.A.")
    response = as_ventas.post(url("suspend", customer), {"next": "https://example.com/"})
    assert response.headers["Location"] == url("detail", customer)


def test_a_tampered_id_goes_back_with_a_message_and_changes_nothing(as_admin):
    make_company(business_name="Gloria S.A.")
    for name in ("suspend", "reactivate", "delete", "restore", "purge"):
        response = as_admin.post(reverse(f"customers:{name}", args=[999_999]), {"next": f"{LIST}?q=glo"}, follow=True)
        assert response.status_code == 200
        assert "Ese cliente ya no existe" in response.content.decode()
    assert Customer.objects.filter(is_active=True, deleted_at__isnull=True).count() == 1


def test_restaurar_on_the_page_of_a_customer_purged_meanwhile_lands_in_the_papelera(as_admin):
    customer = trashed(business_name="Gloria S.A.")
    own_page = url("detail", customer)
    services.purge_customer(actor=None, customer=customer)  # by someone else, while the page was open

    response = as_admin.post(url("restore", customer), {"next": own_page}, follow=True)

    assert (response.status_code, response.redirect_chain[-1][0]) == (200, TRASH)
    assert "Ese cliente ya no existe" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "make", "lands"),
    [
        ("suspend", make_company, LIST),
        ("delete", make_company, LIST),
        ("restore", trashed, TRASH),
        ("purge", trashed, TRASH),
    ],
)
def test_a_customer_purged_while_its_button_runs_ends_on_a_page_not_a_404(as_admin, monkeypatch, name, make, lands):
    # The page found the customer; someone purged it before the service took its lock.
    customer = make(business_name="Gloria S.A.")
    original = queries.find_customer
    calls = []

    def found_then_purged(*, pk):
        found = original(pk=pk)
        if not calls and found is not None:
            Customer.objects.filter(pk=pk).update(deleted_at=timezone.now())
            services.purge_customer(actor=None, customer=found)
        calls.append(pk)
        return found

    monkeypatch.setattr(queries, "find_customer", found_then_purged)
    response = as_admin.post(url(name, customer), {"next": url("detail", customer)}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == lands
    assert "Ese cliente ya no existe" in response.content.decode()


def test_a_button_on_a_stale_page_says_what_happened_and_keeps_the_list(as_admin):
    # Someone else sent the customer to the Papelera while this list was open.
    customer = make_company(business_name="Gloria S.A.")
    services.trash_customer(actor=None, customer=customer)
    back = f"{LIST}?q=glo&tipo=empresa"

    for name in ("suspend", "reactivate"):
        response = as_admin.post(url(name, customer), {"next": back}, follow=True)
        assert response.redirect_chain[-1][0] == back
        assert "está en la Papelera" in response.content.decode()
    response = as_admin.get(url("delete", customer), follow=True)
    assert "ya está en la Papelera" in response.content.decode()

    # ... and someone restored it while the Papelera was open.
    services.restore_customer(actor=None, customer=customer)
    response = as_admin.post(url("restore", customer), follow=True)
    assert "no está en la Papelera" in response.content.decode()
    response = as_admin.get(url("purge", customer), follow=True)
    assert "Solo se elimina definitivamente desde la Papelera" in response.content.decode()
    customer.refresh_from_db()
    assert (customer.is_active, customer.deleted_at) == (True, None)


# --- Eliminar ----------------------------------------------------------------------------------


def test_eliminar_asks_for_confirmation_first(as_admin):
    customer = make_company(business_name="Gloria S.A.")

    page = as_admin.get(url("delete", customer)).content.decode()

    assert "¿Eliminar a «Gloria S.A.»?" in page and "Papelera" in page
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


def test_eliminar_moves_the_customer_to_the_papelera(as_admin):
    customer = make_company(business_name="Gloria S.A.")

    response = as_admin.post(url("delete", customer), {"next": f"{LIST}?q=glo"}, follow=True)

    assert response.redirect_chain[-1][0] == f"{LIST}?q=glo"
    assert "enviado a la Papelera" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).deleted_at is not None


@pytest.mark.parametrize("method", ["get", "post"])
def test_ventas_cannot_delete(client, method):
    customer = make_company(business_name="Gloria S.A.")
    assert_cannot(client, "Ventas", method, url("delete", customer))
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


def test_eliminar_refused_for_unpaid_documents_suggests_suspender(as_admin, delete_guards):
    customer = make_company(business_name="Gloria S.A.")
    delete_guards.register_trash_guard(lambda c: ["tiene 1 documento por cobrar"])

    page = as_admin.get(url("delete", customer)).content.decode()
    assert "documento por cobrar" in page and "Suspéndalo" in page
    response = as_admin.post(url("delete", customer), follow=True)
    assert "Suspéndalo en su lugar" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


# --- the Papelera --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Administrador", "Ventas", "Créditos", "Consulta"])
def test_every_role_sees_the_papelera(client, role):
    trashed(business_name="Gloria S.A.")
    assert "Gloria S.A." in assert_can(client, role, "get", TRASH).content.decode()


def test_the_papelera_says_who_deleted_and_when_and_searches(as_admin):
    admin = user_with_role("Administrador", first_name="Rosa", last_name="Quispe")
    gloria = make_company(business_name="Gloria S.A.")
    services.trash_customer(actor=admin, customer=gloria)
    trashed(business_name="Backus S.A.A.")

    page = as_admin.get(TRASH).content.decode()
    assert "Rosa Quispe" in page and gloria.deleted_at.astimezone().strftime("%d/%m/%Y") in page
    searched = as_admin.get(TRASH, {"q": "gloria"}, **HTMX).content.decode()
    assert "Gloria S.A." in searched and "Backus" not in searched


def test_the_papelera_offers_restaurar_only_to_who_may(client):
    customer = trashed(business_name="Gloria S.A.")
    ventas_page = assert_can(client, "Ventas", "get", TRASH).content.decode()
    assert url("restore", customer) not in ventas_page and url("purge", customer) not in ventas_page
    admin_page = assert_can(client, "Administrador", "get", TRASH).content.decode()
    assert url("restore", customer) in admin_page and url("purge", customer) in admin_page


def test_the_navigation_links_the_papelera(as_ventas):
    assert f'href="{TRASH}"' in as_ventas.get(LIST).content.decode()


def test_an_absurd_papelera_page_is_a_normal_page(as_admin):
    trashed(business_name="Gloria S.A.")
    response = as_admin.get(TRASH, {"page": "99999", "q": "x" * 5000})
    assert response.status_code == 200
    assert "Esa página no existe" in response.content.decode()


# --- Restaurar ---------------------------------------------------------------------------------


def test_restaurar_brings_it_back_to_its_summary(as_admin):
    customer = trashed(business_name="Gloria S.A.")

    response = as_admin.post(url("restore", customer), follow=True)

    assert response.redirect_chain[-1][0] == url("detail", customer)
    assert "restaurado" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_other_roles_cannot_restore(client, role):
    customer = trashed(business_name="Gloria S.A.")
    assert_cannot(client, role, "post", url("restore", customer))
    assert Customer.objects.get(pk=customer.pk).deleted_at is not None


def test_a_refused_restore_goes_back_with_the_reason(as_admin):
    customer = trashed(business_name="Gloria S.A.", document_number="20100070970")
    make_company(business_name="Gloria Nueva S.A.", document_number="20100070970")

    response = as_admin.post(url("restore", customer), {"next": TRASH}, follow=True)

    assert response.redirect_chain[-1][0] == TRASH
    assert "No se puede restaurar" in response.content.decode()


def test_a_customer_outside_the_papelera_cannot_be_restored_by_url(as_admin):
    customer = make_company(business_name="Gloria S.A.")
    response = as_admin.post(url("restore", customer), follow=True)
    assert "Este cliente no está en la Papelera." in response.content.decode()
    customer.refresh_from_db()
    assert customer.deleted_at is None


def test_the_summary_of_a_trashed_customer_shows_a_banner_with_restaurar(client):
    customer = trashed(business_name="Gloria S.A.")
    admin_page = assert_can(client, "Administrador", "get", url("detail", customer)).content.decode()
    assert 'id="trash-banner"' in admin_page and url("restore", customer) in admin_page
    consulta_page = assert_can(client, "Consulta", "get", url("detail", customer)).content.decode()
    assert 'id="trash-banner"' in consulta_page and url("restore", customer) not in consulta_page


def test_the_create_form_offers_to_restore_a_duplicate_in_the_papelera(as_admin):
    customer = trashed(business_name="Gloria S.A.", document_number="20100070970")
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": "20100070970",
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address_department": "15",
        "address_province": "1501",
        "address_district": "150101",
        "address_street": "Av. Arequipa 1",
    }

    page = as_admin.post(reverse("customers:create"), data).content.decode()

    assert url("restore", customer) in page and "Restaurarlo" in page


# --- Eliminar definitivamente ------------------------------------------------------------------------


def test_the_administrador_deletes_permanently_from_the_papelera_after_confirming(as_admin):
    customer = trashed(business_name="Gloria S.A.")

    assert "No se puede deshacer" in as_admin.get(url("purge", customer)).content.decode()
    response = as_admin.post(url("purge", customer))

    assert response.headers["Location"] == TRASH
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_a_customer_outside_the_papelera_cannot_be_deleted_permanently(as_admin):
    customer = make_person(first_names="Rosa", last_names="Quispe")
    response = as_admin.post(url("purge", customer), follow=True)
    assert "Solo se elimina definitivamente desde la Papelera" in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_only_the_administrador_deletes_permanently(client, role):
    customer = trashed(business_name="Gloria S.A.")
    assert_cannot(client, role, "post", url("purge", customer))
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_an_empty_list_says_whether_there_are_customers_at_all(as_ventas):
    assert "Todavía no hay clientes." in as_ventas.get(LIST).content.decode()
    make_company(business_name="Gloria S.A.", is_active=False)
    assert "No hay clientes activos." in as_ventas.get(LIST).content.decode()


def test_the_address_bar_gets_the_search_without_empty_fields_and_defaults(as_ventas):
    query = {"q": "glo", "estado": "activos", "tipo": "", "departamento": "", "orden": "nombre", "page": "1"}
    response = as_ventas.get(LIST, query, **HTMX)
    assert response.headers["HX-Push-Url"] == f"{LIST}?q=glo"


def test_a_list_too_long_to_count_says_pagina_n_de_muchas_and_links_from_its_rows(as_ventas, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 75)  # 3 pages may be walked
    made = [make_company(business_name=f"Comercial {i:02d} S.A.C.") for i in range(80)]
    page = as_ventas.get(LIST, {"q": "comercial", "page": "2"}).content.decode()
    assert "Página 2 de muchas" in page
    # Newest first: page 2 holds the 26th to 50th newest; Siguiente goes on after the last one.
    assert f"page=3&amp;tras={made[30].pk}" in page
    after = as_ventas.get(LIST, {"q": "comercial", "page": "3", "tras": str(made[30].pk)}).content.decode()
    assert "Comercial 29 S.A.C." in after and "Comercial 30 S.A.C." not in after
    assert "Página 3 de muchas" in after and f"page=2&amp;antes={made[29].pk}" in after  # Anterior


@pytest.mark.parametrize("value", ["", "08", "3", None, ["08"]])
def test_the_filter_bar_selects_write_what_djangos_select_writes(value):
    # customers.filters.FilterSelect writes the HTML itself (Django's renders a template per option).
    from django import forms

    from customers.filters import FilterSelect

    choices = [("", "Todos"), ("08", 'Cusco <&> "x"'), (3, "Tres"), ("Grupo", [("a", "A"), ("b", "B")])]
    attrs = {"class": "form-select", "id": "id_x", "required": True, "disabled": False}
    expected = forms.Select(attrs=attrs, choices=choices).render("departamento", value)
    assert FilterSelect(attrs=attrs, choices=choices).render("departamento", value) == expected


@pytest.mark.parametrize("value", ["", "comercial", 'a "b" <c> & d', None])
def test_the_filter_bar_search_box_writes_what_djangos_text_input_writes(value):
    # customers.filters.FilterTextInput and FilterCheckbox write the HTML themselves (Django's
    # render a template each).
    from django import forms

    from customers.filters import SEARCH_ATTRS, FilterTextInput

    attrs = {**SEARCH_ATTRS, "id": "id_q", "required": True, "disabled": False}
    assert FilterTextInput(attrs=attrs).render("q", value) == forms.TextInput(attrs=attrs).render("q", value)


@pytest.mark.parametrize("value", [True, False, None, "", "on"])
def test_the_filter_bar_checkboxes_write_what_djangos_checkbox_writes(value):
    from django import forms

    from customers.filters import FilterCheckbox

    attrs = {"class": "form-check-input", "id": "id_whatsapp"}
    assert FilterCheckbox(attrs=attrs).render("whatsapp", value) == forms.CheckboxInput(attrs=attrs).render(
        "whatsapp", value
    )
