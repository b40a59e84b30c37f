"""The lupa with a padrón loaded: RUCs answered from it first, with no network; the online
service (tests/fake_registry.py) for DNIs and for RUCs the padrón lacks."""

from datetime import date

import pytest
from django.urls import reverse

from customers.lookup import LookupNotConfigured, lookup_document
from padron import services
from tests.factories import valid_dni, valid_ruc
from tests.padron.conftest import ALICORP, GLORIA
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def padron(padron_path):
    return services.load_path(str(padron_path()), file_date=date(2026, 11, 28))


def lookup_url(tipo: str, numero: str) -> str:
    return reverse("customers:document_lookup") + f"?tipo={tipo}&numero={numero}"


def test_a_ruc_in_the_padron_is_answered_with_no_online_service(padron):
    record = lookup_document(actor=None, kind="ruc", number=ALICORP)
    assert record.found and record.name == "ALICORP SAA"
    assert (record.status, record.condition) == ("BAJA DE OFICIO", "NO HABIDO")
    assert record.source == "padrón reducido del RUC de SUNAT del 28/11/2026"
    assert record.checked_at.date() == date(2026, 11, 28)


def test_the_padron_is_asked_before_the_online_service(padron, registry):
    registry.add_ruc(GLORIA, nombre="GLORIA SEGUN EL SERVICIO")
    assert lookup_document(actor=None, kind="ruc", number=GLORIA).name == "GLORIA S A"
    assert registry.requests == []


def test_a_ruc_the_padron_lacks_goes_to_the_online_service(padron, registry):
    other = valid_ruc()
    registry.add_ruc(other, nombre="NUEVA EMPRESA S.A.C.")
    record = lookup_document(actor=None, kind="ruc", number=other)
    assert record.name == "NUEVA EMPRESA S.A.C." and record.source == ""


def test_a_dni_goes_to_the_online_service(padron, registry):
    dni = valid_dni()
    registry.add_dni(dni, nombres="ROSA", apellidoPaterno="QUISPE", apellidoMaterno="MAMANI")
    assert lookup_document(actor=None, kind="dni", number=dni).first_names == "ROSA"


def test_without_online_service_a_ruc_the_padron_lacks_is_not_found(padron):
    record = lookup_document(actor=None, kind="ruc", number=valid_ruc())
    assert not record.found


def test_without_online_service_a_dni_is_still_not_configured(padron):
    with pytest.raises(LookupNotConfigured):
        lookup_document(actor=None, kind="dni", number=valid_dni())


def test_without_padron_nor_service_the_lookup_is_not_configured():
    with pytest.raises(LookupNotConfigured):
        lookup_document(actor=None, kind="ruc", number=GLORIA)


def test_the_form_fields_say_the_data_came_from_the_padron(padron, client):
    client.force_login(user_with_role("Ventas"))
    answer = client.get(lookup_url("ruc", GLORIA)).json()
    assert answer["ok"] is True
    fields = answer["fields"]
    assert fields["business_name"] == "GLORIA S A"
    assert fields["address_street"] == "AV. REPUBLICA DE PANAMA NRO. 2461 URB. SANTA CATALINA"
    assert (fields["address_department"], fields["address_province"], fields["address_district"]) == (
        "15",
        "1501",
        "150115",
    )
    assert answer["source"] == "padrón reducido del RUC de SUNAT del 28/11/2026"
    assert "Fuente: padrón reducido del RUC de SUNAT del 28/11/2026." in answer["message"]


def test_the_not_found_message_names_the_padron(padron, client):
    client.force_login(user_with_role("Ventas"))
    ruc = valid_ruc()
    answer = client.get(lookup_url("ruc", ruc)).json()
    assert answer["error"] == "not_found"
    assert f"No se encontró el RUC {ruc} en el padrón reducido del RUC de SUNAT del 28/11/2026" in answer["message"]


def test_the_form_offers_the_lupa_when_only_the_padron_is_there(padron, client):
    client.force_login(user_with_role("Ventas"))
    page = client.get(reverse("customers:create")).content.decode()
    assert 'data-lookup-configured="1"' in page
    assert "Buscar por razón social en el padrón SUNAT del 28/11/2026" in page


def test_without_padron_the_form_has_no_name_search(client):
    client.force_login(user_with_role("Ventas"))
    page = client.get(reverse("customers:create")).content.decode()
    assert 'data-lookup-configured="0"' in page
    assert "data-padron-search" not in page


def test_a_company_saved_after_a_padron_lookup_keeps_its_estado_and_the_padrons_date(padron):
    from django.core.cache import cache

    from customers import services as customer_services
    from tests.factories import company_data

    cache.clear()  # the server's record of what it looked up starts empty
    lookup_document(actor=None, kind="ruc", number=ALICORP)
    customer = customer_services.create_customer(
        actor=None,
        data=company_data(
            document_number=ALICORP,
            business_name="Alicorp S.A.A.",
            registry_status="BAJA DE OFICIO",
            registry_condition="NO HABIDO",
        ),
    )
    assert (customer.registry_status, customer.registry_condition) == ("BAJA DE OFICIO", "NO HABIDO")
    assert customer.registry_checked_at.date() == date(2026, 11, 28)
