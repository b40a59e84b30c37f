from collections import Counter

import phonenumbers
import pytest
from stdnum.pe import cui, ruc

from customers import sample_data
from customers.management.commands.load_demo_data import demo_rows
from customers.reference import DNI, RUC, ubigeo_rows
from customers.sample_data import generate_customers
from peru import validators
from peru.text import person_display_name, sort_key
from tests.factories import valid_dni, valid_ruc

DEPARTMENTS, _, DISTRICTS = ubigeo_rows()


@pytest.fixture(scope="module")
def rows():
    return list(generate_customers(20_000, seed=7))


def test_generated_rucs_pass_stdnum_validation(rows):
    rucs = [row["document_number"] for row in rows if row["document_type"] == RUC]
    assert len(rucs) > 10_000
    assert all(ruc.is_valid(number) for number in rucs)
    companies = {row["document_number"][:2] for row in rows if row["document_type"] == RUC and row["kind"] == "empresa"}
    assert companies == {"20"}


def test_a_person_ruc_is_10_plus_a_valid_dni(rows):
    person_rucs = [row["document_number"] for row in rows if row["kind"] == "persona" and row["document_type"] == RUC]
    assert person_rucs
    for number in person_rucs:
        assert number.startswith("10")
        assert cui.is_valid(ruc.to_dni(number))


def test_generated_dnis_have_eight_digits_and_pass_stdnum(rows):
    dnis = [row["document_number"] for row in rows if row["document_type"] == DNI and row["document_number"]]
    assert dnis
    assert all(len(number) == 8 and number.isdigit() and cui.is_valid(number) for number in dnis)


def test_some_persons_have_no_dni(rows):
    assert any(row["kind"] == "persona" and not row["document_number"] for row in rows)


def test_the_ruc_and_dni_helpers_are_valid_across_the_whole_index_range():
    for index in (0, 1, 2, 999_999, 12_345_678, sample_data.MAX_INDEX - 1):
        assert ruc.is_valid(sample_data.company_ruc(index))
        assert cui.is_valid(sample_data.person_dni(index))
        assert ruc.is_valid(sample_data.person_ruc(sample_data.person_dni(index)))


def test_factory_helpers_give_valid_new_numbers():
    rucs = [valid_ruc() for _ in range(50)] + [valid_ruc(person=True) for _ in range(50)]
    dnis = [valid_dni() for _ in range(50)]
    assert all(ruc.is_valid(number) for number in rucs)
    assert all(cui.is_valid(number) for number in dnis)
    assert len(set(rucs)) == 100 and len(set(dnis)) == 50


def test_documents_and_emails_are_unique_over_200_000_rows():
    documents, emails = Counter(), Counter()
    for row in generate_customers(200_000, seed=3):
        if row["document_number"]:
            documents[row["document_number"]] += 1
        if row["email"]:
            emails[row["email"]] += 1
    assert len(documents) > 190_000 and documents.most_common(1)[0][1] == 1
    assert len(emails) > 150_000 and emails.most_common(1)[0][1] == 1


def test_runs_over_consecutive_index_ranges_never_collide():
    first = list(generate_customers(3_000, seed=1, start=0))
    second = list(generate_customers(3_000, seed=2, start=3_000))
    documents = [row["document_number"] for row in first + second if row["document_number"]]
    emails = [row["email"] for row in first + second if row["email"]]
    assert len(documents) == len(set(documents))
    assert len(emails) == len(set(emails))


def test_the_same_seed_gives_the_same_rows():
    assert list(generate_customers(200, seed=5)) == list(generate_customers(200, seed=5))
    assert list(generate_customers(200, seed=5)) != list(generate_customers(200, seed=6))


def test_the_mix_is_60_percent_companies_37_persons_3_foreign(rows):
    foreign = sum(row["is_foreign"] for row in rows) / len(rows)
    companies = sum(row["kind"] == "empresa" and not row["is_foreign"] for row in rows) / len(rows)
    persons = sum(row["kind"] == "persona" and not row["is_foreign"] for row in rows) / len(rows)
    assert foreign == pytest.approx(0.03, abs=0.01)
    assert companies == pytest.approx(0.60, abs=0.02)
    assert persons == pytest.approx(0.37, abs=0.02)


def test_names_and_sort_keys_come_from_customers_text(rows):
    for row in rows:
        if row["kind"] == "persona":
            assert row["name"] == person_display_name(row["first_names"], row["last_names"])
        else:
            assert row["name"] == row["business_name"]
        assert row["sort_key"] == sort_key(row["name"])


def test_names_carry_spanish_accents_and_enie(rows):
    text = " ".join(row["name"] for row in rows)
    assert all(letter in text for letter in "áéíóúÑñ")


def test_every_peruvian_address_has_a_real_ubigeo_and_foreign_ones_none(rows):
    for row in rows:
        address = row["address"]
        if row["is_foreign"]:
            assert address["district"] is None
            assert address["country"] == row["country"] != "PE"
        else:
            assert address["district"] in DISTRICTS
            assert address["country"] == row["country"] == "PE"


def test_values_pass_the_customer_validators(rows):
    for row in rows[:5_000]:
        number = row["document_number"]
        if row["is_foreign"]:
            assert validators.validate_foreign_document(row["document_type"], number) == number
        elif row["document_type"] == RUC:
            assert validators.validate_ruc(number) == number
        elif number:
            assert validators.validate_dni(number) == number
        if row["email"]:
            assert validators.normalize_email(row["email"]) == row["email"]
        if row["phone"]:
            assert validators.normalize_phone(row["phone"]) == row["phone"]


def test_phones_are_valid_e164_mobiles_and_landlines(rows):
    phones = [row["phone"] for row in rows if row["phone"]]
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(phone)) for phone in phones)
    peruvian = [phone for phone in phones if phone.startswith("+51")]
    assert any(phone.startswith("+519") for phone in peruvian)
    assert any(phone.startswith("+511") for phone in peruvian)


def test_emails_are_lower_case_ascii(rows):
    emails = [row["email"] for row in rows if row["email"]]
    assert all(email.isascii() and email == email.lower() and email.count("@") == 1 for email in emails)


def test_the_demo_data_covers_every_departamento():
    rows = demo_rows()
    departments = {row["address"]["district"][:2] for row in rows if row["address"]["district"]}
    assert departments == set(DEPARTMENTS)
    assert 250 <= len(rows) <= 350
    assert sum(row["is_foreign"] for row in rows) == 10
