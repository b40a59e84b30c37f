"""Documents, phones and numbers are ASCII digits: one number however it was typed.

str.isdigit() and Decimal() accept digits of every script, so DNI 46139978 typed with
full-width, superscript, Arabic-Indic or Devanagari digits used to be five customers (and
those numbers went to the registry). peru.text.normalize_digits (NFKC) runs before every
validator; anything then outside 0-9 is refused. Migration 0016 fixes rows saved before.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from attributes.models import AttributeDefinition
from attributes.values import parse_value
from customers import services
from customers.models import Customer, CustomerNote
from peru import validators
from tests.factories import make_person

pytestmark = pytest.mark.django_db

DNI = "46139978"
FULL_WIDTH = "４６１３９９７８"
SUPERSCRIPT = "⁴⁶¹³⁹⁹⁷⁸"
ARABIC_INDIC = "٤٦١٣٩٩٧٨"
DEVANAGARI = "४६१३९९७८"


def person(number: str) -> dict:
    return {
        "kind": "persona",
        "document_type": "1",
        "document_number": number,
        "first_names": "Rosa",
        "last_names": "Quispe",
    }


@pytest.mark.parametrize("typed", [FULL_WIDTH, SUPERSCRIPT])
def test_full_width_and_superscript_digits_are_the_ascii_number(typed):
    assert validators.validate_dni(typed) == DNI


@pytest.mark.parametrize("typed", [ARABIC_INDIC, DEVANAGARI])
def test_digits_of_other_scripts_are_refused(typed):
    with pytest.raises(ValidationError, match="solo puede tener números"):
        validators.validate_dni(typed)


def test_a_ruc_typed_full_width_is_the_ascii_ruc():
    assert validators.validate_ruc("２０１０００７０９７０") == "20100070970"


def test_a_foreign_document_typed_full_width_is_ascii():
    assert validators.validate_foreign_document("7", "ａｂ１２３４５６") == "AB123456"


def test_one_dni_typed_five_ways_is_one_customer():
    services.create_customer(actor=None, data=person(DNI))
    for typed in (FULL_WIDTH, SUPERSCRIPT, ARABIC_INDIC, DEVANAGARI):
        with pytest.raises(ValidationError) as failure:
            services.create_customer(actor=None, data=person(typed))
        assert "document_number" in failure.value.message_dict
    assert list(Customer.objects.values_list("document_number", flat=True)) == [DNI]


def test_a_phone_typed_full_width_is_stored_in_ascii():
    assert validators.normalize_phone("９８７ ６５４ ３２１") == "+51987654321"


def test_a_phone_with_digits_of_other_scripts_is_refused():
    with pytest.raises(ValidationError, match="0-9"):
        validators.normalize_phone("٩٨٧٦٥٤٣٢١")


def test_attribute_numbers_take_only_ascii_digits():
    integer = AttributeDefinition(name="Empleados", kind=AttributeDefinition.Kind.INTEGER)
    assert parse_value(integer, "４６") == 46
    with pytest.raises(ValidationError, match="0-9"):
        parse_value(integer, "٤٦")


def test_attribute_dates_take_only_ascii_digits():
    fecha = AttributeDefinition(name="Aniversario", kind=AttributeDefinition.Kind.DATE)
    assert parse_value(fecha, "１２/０５/２０２５") == "2025-05-12"
    with pytest.raises(ValidationError):
        parse_value(fecha, "١٢/٠٥/٢٠٢٥")


# --- migration 0016: rows saved before the rule ---------------------------------------------

fix_numbers = importlib.import_module("customers.migrations.0016_ascii_document_numbers").fix_numbers


def test_the_migration_turns_other_digits_into_the_ascii_number():
    customer = make_person(document_number=ARABIC_INDIC, search_text=f"quispe rosa {ARABIC_INDIC}")

    fix_numbers(django_apps, None)

    customer.refresh_from_db()
    assert customer.document_number == DNI
    assert DNI in customer.search_text.split()
    note = CustomerNote.objects.get(customer=customer)
    assert (
        note.text == f"Número de documento corregido: «{ARABIC_INDIC}» → «{DNI}» (escrito con dígitos que no son 0-9)."
    )


def test_the_migration_keeps_both_customers_of_a_colliding_number_and_says_so():
    original = make_person(document_number=DNI)
    copy = make_person(document_number=FULL_WIDTH)

    fix_numbers(django_apps, None)

    copy.refresh_from_db()
    original.refresh_from_db()
    assert (original.document_number, copy.document_number) == (DNI, FULL_WIDTH)  # nothing merged or lost
    assert f"#{original.pk}" in CustomerNote.objects.get(customer=copy).text
    assert f"#{copy.pk}" in CustomerNote.objects.get(customer=original).text


def test_the_migration_leaves_ascii_numbers_alone():
    customer = make_person(document_number=DNI)
    fix_numbers(django_apps, None)
    assert not CustomerNote.objects.filter(customer=customer).exists()


def test_the_migration_fixes_the_first_of_two_spellings_and_notes_the_second():
    first = make_person(document_number=FULL_WIDTH)
    second = make_person(document_number=ARABIC_INDIC)

    fix_numbers(django_apps, None)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.document_number, second.document_number) == (DNI, ARABIC_INDIC)
    assert f"#{first.pk}" in CustomerNote.objects.get(customer=second).text
