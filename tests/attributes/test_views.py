"""The Atributos adicionales screen (Administrador only) and each type end to end on the
customer pages: definition → form field → validation → stored → shown → filtered."""

import re

import pytest
from django.urls import reverse

from attributes import services
from attributes.models import AttributeDefinition
from customers.models import Customer
from tests import factories
from tests.attributes.factories import make_definition
from tests.factories import make_company, valid_ruc
from tests.roles import assert_can, assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("attributes:list")
CREATE = reverse("attributes:create")


@pytest.fixture
def as_admin(client):
    client.force_login(user_with_role("Administrador"))
    return client


@pytest.fixture
def as_ventas(client):
    client.force_login(user_with_role("Ventas"))
    return client


def company_post(**overrides) -> dict:
    return factories.company_post(**{"document_number": valid_ruc(), **overrides})


# --- permissions -------------------------------------------------------------------------------


def test_administrador_manages_attributes(client):
    assert_can(client, "Administrador", "get", LIST)
    assert_can(client, "Administrador", "get", CREATE)


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_other_roles_cannot_see_or_change_definitions(client, role):
    definition = make_definition(name="Apodo")
    for method, url, data in [
        ("get", LIST, None),
        ("get", CREATE, None),
        ("post", CREATE, {"kind": "texto", "name": "Otro"}),
        ("get", reverse("attributes:update", args=[definition.pk]), None),
        ("post", reverse("attributes:update", args=[definition.pk]), {"kind": "texto", "name": "Cambiado"}),
        ("post", reverse("attributes:move", args=[definition.pk]), {"direction": "up"}),
        ("post", reverse("attributes:archive", args=[definition.pk]), None),
        ("post", reverse("attributes:unarchive", args=[definition.pk]), None),
        ("post", reverse("attributes:delete", args=[definition.pk]), None),
    ]:
        assert_cannot(client, role, method, url, data)
    assert list(AttributeDefinition.objects.values_list("name", "archived_at")) == [("Apodo", None)]


def test_the_menu_shows_atributos_adicionales_only_to_who_may_manage_them(client):
    client.force_login(user_with_role("Administrador"))
    assert "Atributos adicionales" in client.get(reverse("customers:list")).content.decode()
    client.force_login(user_with_role("Ventas"))
    assert "Atributos adicionales" not in client.get(reverse("customers:list")).content.decode()


# --- the screen -------------------------------------------------------------------------------


def test_nuevo_atributo_opens_a_side_panel_with_every_type(as_admin):
    response = as_admin.get(CREATE, **HTMX)
    page = response.content.decode()
    assert "offcanvas-body" in page and "<html" not in page
    for label in (
        "Texto corto",
        "Texto largo",
        "Número entero",
        "Decimal",
        "Fecha",
        "Sí/No",
        "Lista de opciones",
        "Selección múltiple",
        "E-mail",
        "Teléfono",
        "URL",
        "DNI",
        "RUC",
    ):
        assert label in page
    assert "Tip de ayuda" in page and "Campo obligatorio" in page


def test_a_definition_saved_in_the_panel_refreshes_the_list_and_closes_the_panel(as_admin):
    response = as_admin.post(
        CREATE, {"kind": "fecha", "name": "Aniversario", "help_text": "Fecha de fundación", "required": "on"}, **HTMX
    )
    assert response.headers["HX-Retarget"] == "#attribute-list"
    assert "closePanel" in response.headers["HX-Trigger"]
    assert "Aniversario" in response.content.decode()
    definition = AttributeDefinition.objects.get()
    assert (definition.kind, definition.help_text, definition.required) == ("fecha", "Fecha de fundación", True)


def test_a_bad_definition_stays_in_the_panel_with_its_message(as_admin):
    make_definition(name="Aniversario")
    response = as_admin.post(CREATE, {"kind": "fecha", "name": "aniversario"}, **HTMX)
    assert "Ya existe un atributo con ese nombre" in response.content.decode()
    assert "HX-Retarget" not in response.headers
    assert AttributeDefinition.objects.count() == 1


def test_without_javascript_the_panel_is_a_page_and_saving_goes_back_to_the_list(as_admin):
    assert "<html" in as_admin.get(CREATE).content.decode()
    response = as_admin.post(CREATE, {"kind": "texto", "name": "Apodo"})
    assert response.status_code == 302 and response.url == LIST


def test_a_type_change_that_breaks_values_is_refused_in_the_panel(as_admin):
    definition = make_definition(kind="texto", name="Código")
    customer = make_company()
    Customer.objects.filter(pk=customer.pk).update(attributes={definition.key: "ABC"})
    url = reverse("attributes:update", args=[definition.pk])
    page = as_admin.post(url, {"kind": "entero", "name": "Código"}, **HTMX).content.decode()
    assert "1 cliente tiene un valor que no cabe" in page
    assert AttributeDefinition.objects.get().kind == "texto"


def test_deleting_an_attribute_in_use_says_to_archive_it(as_admin):
    definition = make_definition(name="Apodo")
    customer = make_company()
    Customer.objects.filter(pk=customer.pk).update(attributes={definition.key: "Chino"})
    page = as_admin.post(reverse("attributes:delete", args=[definition.pk]), **HTMX).content.decode()
    assert "Archívelo en su lugar" in page
    as_admin.post(reverse("attributes:archive", args=[definition.pk]), **HTMX)
    assert AttributeDefinition.objects.get().archived


def test_moving_an_attribute_changes_the_order_on_the_list(as_admin):
    make_definition(name="Primero")
    second = make_definition(name="Segundo")
    as_admin.post(reverse("attributes:move", args=[second.pk]), {"direction": "up"}, **HTMX)
    assert [d.name for d in services.active_definitions()] == ["Segundo", "Primero"]


# --- each type end to end on the customer pages ------------------------------------------------

END_TO_END = [
    # kind, what the person types, what is stored, what the summary shows, filter, invalid input, its message
    ("texto", "Cliente antiguo", "Cliente antiguo", "Cliente antiguo", {"": "antiguo"}, "x" * 201, "Máximo 200"),
    (
        "texto_largo",
        "Entregar\nde mañana",
        "Entregar\nde mañana",
        "Entregar<br>de mañana",
        {"": "mañana"},
        "x" * 5001,
        "Máximo 5000",
    ),
    ("entero", "25", 25, "25", {"_min": "20", "_max": "30"}, "2.5", "número entero"),
    ("decimal", "1500,75", 1500.75, "1500.75", {"_min": "1.000,00"}, "2.000", "escriba 2,000 si son miles o 2 si no"),
    (
        "fecha",
        "2015-03-20",
        "2015-03-20",
        "20/03/2015",
        {"_min": "2015-01-01", "_max": "2015-12-31"},
        "2015-02-30",
        "no es una fecha válida",
    ),
    ("si_no", "si", True, "Sí", {"": "si"}, "quizás", "no es sí ni no"),
    ("lista", "Plata", "Plata", "Plata", {"": "Plata"}, "Cobre", "no es una de las opciones"),
    (
        "multiple",
        ["Oro", "Bronce"],
        ["Oro", "Bronce"],
        "Oro; Bronce",
        {"": "Bronce"},
        ["Cobre"],
        "no es una de las opciones",
    ),
    ("email", "Pagos@Gloria.PE", "pagos@gloria.pe", "pagos@gloria.pe", {"": "pagos@"}, "pagos@", "correo electrónico"),
    ("telefono", "987 654 321", "+51987654321", "987 654 321", {"": "987654321"}, "123", "teléfono válido"),
    (
        "url",
        "www.gloria.pe",
        "https://www.gloria.pe",
        "https://www.gloria.pe",
        {"": "gloria"},
        "no vale",
        "dirección web",
    ),
    ("dni", "12345678", "12345678", "12345678", {"": "12345678"}, "1234", "8 dígitos"),
    ("ruc", "20100070970", "20100070970", "20100070970", {"": "20100070970"}, "20100070971", "dígito verificador"),
]


@pytest.mark.parametrize(("kind", "typed", "stored", "shown", "filters", "invalid", "message"), END_TO_END)
def test_each_type_end_to_end(as_ventas, kind, typed, stored, shown, filters, invalid, message):
    definition = make_definition(kind=kind, name=f"Dato {kind}", help_text=f"Ayuda de {kind}")
    field = definition.field_name

    # The create form shows the field with its help tip.
    page = as_ventas.get(reverse("customers:create")).content.decode()
    assert f'name="{field}"' in page and f"Ayuda de {kind}" in page

    # An invalid value: a Spanish message under the field, nothing saved.
    response = as_ventas.post(reverse("customers:create"), company_post(**{field: invalid}))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Customer.objects.exists()

    # A valid value is stored JSON-native and shown on the summary.
    response = as_ventas.post(reverse("customers:create"), company_post(**{field: typed}))
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.attributes == {definition.key: stored}
    summary = as_ventas.get(reverse("customers:detail", args=[customer.pk]), {"tab": "atributos"}).content.decode()
    assert shown in summary

    # The edit form shows it again, and the list finds the customer by it.
    assert f'name="{field}"' in as_ventas.get(reverse("customers:update", args=[customer.pk])).content.decode()
    make_company(business_name="Otra S.A.")
    params = {field + suffix: value for suffix, value in filters.items()}
    listing = as_ventas.get(reverse("customers:list"), params).content.decode()
    assert "Gloria S.A." in listing and "Otra S.A." not in listing


def test_a_number_attribute_is_read_as_people_type_it_and_asked_about_when_in_doubt(as_ventas):
    definition = make_definition(kind="decimal", name="Área del local")
    field = definition.field_name
    response = as_ventas.post(reverse("customers:create"), company_post(**{field: "2.000"}))
    page = response.content.decode()
    assert response.status_code == 200 and not Customer.objects.exists()
    assert "El número «2.000» es ambiguo: escriba 2,000 si son miles o 2 si no" in page
    # What was typed stays in a text input (a number input would drop «1500,50» in some browsers).
    assert re.search(rf'<input type="text" name="{field}" value="2.000"[^>]* inputmode="decimal"', page)
    assert as_ventas.post(reverse("customers:create"), company_post(**{field: "1500,50"})).status_code == 302
    customer = Customer.objects.get()
    assert customer.attributes == {definition.key: 1500.5}


def test_three_decimals_are_shown_so_that_the_form_reads_them_back(as_ventas):
    definition = make_definition(kind="decimal", name="Factor")
    customer = make_company(attributes={definition.key: 1.234})
    page = as_ventas.get(reverse("customers:update", args=[customer.pk])).content.decode()
    assert re.search(rf'name="{definition.field_name}" value="1.2340"', page)
    summary = as_ventas.get(reverse("customers:detail", args=[customer.pk]), {"tab": "atributos"}).content.decode()
    assert "1.2340" in summary


def test_a_required_attribute_blocks_saving_and_shows_missing_on_existing_customers(as_ventas):
    customer = make_company(business_name="Antigua S.A.")
    definition = make_definition(kind="fecha", name="Aniversario", required=True)
    summary = as_ventas.get(reverse("customers:detail", args=[customer.pk]), {"tab": "atributos"}).content.decode()
    assert "Falta (obligatorio)" in summary and "Faltan datos obligatorios" in summary
    page = as_ventas.get(reverse("customers:update", args=[customer.pk])).content.decode()
    assert "Faltan datos obligatorios: «Aniversario»" in page
    response = as_ventas.post(reverse("customers:create"), company_post())
    assert "Ingrese «Aniversario» (obligatorio)." in response.content.decode()
    assert Customer.objects.count() == 1
    assert (
        as_ventas.post(reverse("customers:create"), company_post(**{definition.field_name: "2020-01-31"})).status_code
        == 302
    )


def test_archived_attributes_leave_the_form_and_the_summary_but_keep_their_values(as_ventas):
    definition = make_definition(name="Apodo")
    customer = make_company()
    Customer.objects.filter(pk=customer.pk).update(attributes={definition.key: "Chino"})
    services.archive_definition(actor=None, definition=definition)
    assert definition.field_name not in as_ventas.get(reverse("customers:update", args=[customer.pk])).content.decode()
    assert "Chino" not in as_ventas.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    customer.refresh_from_db()
    assert customer.attributes == {definition.key: "Chino"}


def test_a_value_posted_for_an_archived_attribute_is_refused(as_ventas):
    definition = make_definition(name="Apodo")
    services.archive_definition(actor=None, definition=definition)
    # A tampered form: the archived attribute's field is not in the form, so the form drops it;
    # the services refuse it when another caller (import, API) sends it (test_services).
    response = as_ventas.post(reverse("customers:create"), company_post(**{definition.field_name: "x"}))
    assert response.status_code == 302
    assert Customer.objects.get().attributes == {}
