"""Control characters at the edges (issue 19, point 2): a NUL in a query parameter or in what
a person typed used to reach PostgreSQL ("text fields cannot contain NUL") and answer 500.
One rule (peru.text): the middleware drops them from query parameters (config.middleware),
the services refuse typed text with a message under the field.
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from attributes.models import AttributeDefinition
from attributes.values import parse_value
from customers import notes, services
from customers.models import CustomerNote
from peru.text import CONTROL_MESSAGE
from tests.factories import company_data, company_post, make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def ventas():
    return user_with_role("Ventas")


@pytest.fixture
def web(ventas):
    client = Client(raise_request_exception=False)
    client.force_login(ventas)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/clientes/ubigeo/provincias/?department=1%005",
        "/clientes/ubigeo/provincias/?address_department=%00",
        "/clientes/ubigeo/distritos/?province=15%0001",
        "/clientes/ubigeo/distritos/?address_province=1501%01",
        "/clientes/?q=gloria%00",
        "/clientes/?estado%00=activos",
        "/clientes/papelera/?q=%7F",
    ],
)
def test_a_query_parameter_with_a_control_character_is_answered_without_it(web, url):
    assert web.get(url).status_code == 200


def test_the_ubigeo_select_answers_as_if_the_character_were_not_there(web):
    page = web.get("/clientes/ubigeo/provincias/?department=1%005").content.decode()
    assert 'value="1501"' in page  # Lima's provinces, as for department=15


def test_the_search_finds_what_it_would_without_the_character(web):
    make_company(business_name="Gloria S.A.")
    page = web.get(reverse("customers:list"), {"q": "glo\x00ria"}).content.decode()
    assert "Gloria S.A." in page


def test_the_admin_changelist_filters_answer_without_it():
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role("Administrador", is_staff=True))
    for query in ("kind__exact=%00", "document_type__code__exact=6%00", "q=%00"):
        assert client.get("/admin/customers/customer/?" + query).status_code in (200, 302), query


def test_a_note_with_a_nul_is_refused_with_a_message(web):
    customer = make_company()
    url = reverse("customers:note_create", args=[customer.pk])

    page = web.post(url, {"text": "Llamó\x00 ayer"}, HTTP_HX_REQUEST="true")
    plain = web.post(url, {"text": "Llamó\x00 ayer"}, follow=True)

    assert page.status_code == 200 and plain.status_code == 200
    assert "caracteres de control" in page.content.decode()
    assert "caracteres de control" in plain.content.decode()
    assert not CustomerNote.objects.filter(customer=customer, kind="manual").exists()


def test_a_note_edited_with_a_nul_is_refused_and_kept(web, ventas):
    customer = make_company()
    note = notes.add_note(actor=ventas, customer=customer, text="Llamó ayer")
    url = reverse("customers:note_update", args=[customer.pk, note.pk])

    response = web.post(url, {"text": "Llamó\x00 hoy"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "caracteres de control" in response.content.decode()
    note.refresh_from_db()
    assert note.text == "Llamó ayer"


def test_tabs_and_line_breaks_are_not_control_characters_here(ventas):
    note = notes.add_note(actor=ventas, customer=make_company(), text="Primera línea\n\tsegunda")
    assert note.text == "Primera línea\n\tsegunda"


def test_the_customer_form_shows_the_message_under_the_field(web):
    data = company_post(business_name="Gloria\x01 S.A.")
    response = web.post(reverse("customers:create"), data)
    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"business_name": "Gloria\x00"}, "business_name"),
        ({"document_type": "6\x00"}, "document_type"),  # would reach a query
        ({"address": {"district": "150101\x00", "street": "Av. Abancay 456"}}, "address_district"),
        ({"phones": [{"number": "987654321\x00"}]}, "phones"),
        ({"note": "hola\x1b[31m"}, "note"),
    ],
)
def test_the_services_refuse_control_characters_by_field(overrides, field):
    with pytest.raises(ValidationError) as failure:
        services.create_customer(actor=None, data=company_data(**overrides))
    assert failure.value.message_dict == {field: [CONTROL_MESSAGE]}


def test_addresses_and_contacts_refuse_them_too():
    customer = make_company()
    with pytest.raises(ValidationError) as failure:
        services.save_address(actor=None, customer=customer, data={"district": "150101", "street": "Calle\x00 1"})
    assert "street" in failure.value.message_dict
    with pytest.raises(ValidationError) as failure:
        services.save_contact(actor=None, customer=customer, data={"name": "Ana\x00"})
    assert "name" in failure.value.message_dict


def test_a_text_attribute_refuses_them():
    definition = AttributeDefinition(name="Referencia", kind=AttributeDefinition.Kind.TEXT)
    with pytest.raises(ValidationError, match="caracteres de control"):
        parse_value(definition, "abc\x07")
