"""Posibles duplicados (issue 18): each rule finds its pair and leaves alone look-alikes whose
documents say they differ; dismissed groups stay dismissed; pages continue by cursor."""

import pytest

from customers import services
from customers.duplicates import find_duplicates
from customers.models import Customer
from customers.sample_data import person_ruc
from tests.factories import make_company, make_person, valid_dni
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def _pairs(rule: str) -> list[set[int]]:
    return [set(group.ids) for group in find_duplicates(rule=rule, per_page=100).groups]


def test_match_key_removes_accents_punctuation_and_legal_suffixes():
    a = make_company(business_name="Comercial Núñez SAC")
    b = make_company(business_name="COMERCIAL NUNEZ S.A.C.", document_number="")
    c = make_company(business_name="Transportes El Rápido E.I.R.L.")
    keys = dict(Customer.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "match_key"))
    assert keys[a.pk] == keys[b.pk] == "comercial nunez"
    assert keys[c.pk] == "transportes el rapido"


def test_same_name_without_a_second_document_is_found():
    a = make_company(business_name="Comercial Núñez SAC")
    b = make_company(business_name="COMERCIAL NUNEZ S.A.C.", document_number="")
    assert {a.pk, b.pk} in _pairs("nombre")


def test_same_name_with_different_rucs_is_not_a_duplicate():
    """Two companies of one business group: same name, two RUCs, two taxpayers."""
    make_company(business_name="Grupo Gloria S.A.")
    make_company(business_name="GRUPO GLORIA SA")
    assert _pairs("nombre") == []


def test_ruc_10_and_its_dni_are_found():
    dni = valid_dni()
    person = make_person(first_names="Juan", last_names="Pérez", document_number=dni)
    business = make_person(first_names="Juan", last_names="Pérez", document_type="6", document_number=person_ruc(dni))
    other_dni = make_person(document_number=valid_dni())
    assert {person.pk, business.pk} in _pairs("documento")
    assert all(other_dni.pk not in pair for pair in _pairs("documento"))


def test_same_phone_is_found_unless_documents_differ():
    a = make_company(business_name="Ferretería Sol", phone="+51987111222")
    b = make_company(business_name="Ferreteria Sol Sucursal", document_number="", phone="+51987111222")
    make_company(business_name="Gloria", phone="+51987333444")
    make_company(business_name="Gloria Foods", phone="+51987333444")  # two RUCs: not flagged
    assert _pairs("telefono") == [{a.pk, b.pk}]


def test_same_domain_and_similar_name_is_found():
    a = make_company(business_name="Distribuidora Andina S.A.C.", email="ventas@andina.pe")
    b = make_company(business_name="Distribuidora Andina del Sur", document_number="", email="compras@andina.pe")
    make_company(business_name="Textiles Cusco", document_number="", email="gerencia@andina.pe")  # other name
    make_company(business_name="Distribuidora Andina", document_number="", email="andina@gmail.com")  # free mail
    assert _pairs("correo") == [{a.pk, b.pk}]


def test_similar_names_are_found():
    a = make_company(business_name="Transportes El Rápido E.I.R.L.")
    b = make_company(business_name="Transportes El Rapidoo", document_number="")
    make_company(business_name="Zapatería Lucía", document_number="")
    assert {a.pk, b.pk} in _pairs("parecido")


def test_customers_in_the_papelera_are_left_out():
    a = make_company(business_name="Comercial Núñez SAC")
    make_company(business_name="COMERCIAL NUNEZ S.A.C.", document_number="", deleted_at="2026-01-01T00:00Z")
    assert all(a.pk not in pair for pair in _pairs("nombre"))


def test_a_dismissed_group_stays_dismissed():
    a = make_company(business_name="Comercial Núñez SAC")
    b = make_company(business_name="COMERCIAL NUNEZ S.A.C.", document_number="")
    services.dismiss_duplicates(actor=user_with_role("Administrador"), ids=[b.pk, a.pk])
    assert _pairs("nombre") == []
    c = make_company(business_name="Comercial Nuñez", document_number="")
    assert _pairs("nombre") == [{a.pk, b.pk, c.pk}]  # a new member makes a new group


def test_pages_continue_after_the_cursor():
    names = [f"Bodega Número {n} S.A.C." for n in range(5)]
    for name in names:
        make_company(business_name=name)
        make_company(business_name=name.upper(), document_number="")
    first = find_duplicates(rule="nombre", per_page=2)
    second = find_duplicates(rule="nombre", per_page=2, after=first.next_cursor)
    third = find_duplicates(rule="nombre", per_page=2, after=second.next_cursor)
    keys = [g.key for page in (first, second, third) for g in page.groups]
    assert keys == sorted(keys) and len(keys) == len(set(keys)) == 5
    assert third.next_cursor == ""
