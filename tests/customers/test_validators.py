import pytest
from django.core.exceptions import ValidationError
from stdnum.pe import ruc as stdnum_ruc

from peru import validators

# Real RUCs (SUNAT padrón): Gloria S.A., Backus, a RUC 10 of a person.
VALID_RUCS = ["20100070970", "20100113610", "10068127519"]


def corrupt_check_digit(ruc: str) -> str:
    return ruc[:-1] + str((int(ruc[-1]) + 1) % 10)


@pytest.mark.parametrize("ruc", VALID_RUCS)
def test_a_valid_ruc_is_accepted(ruc):
    assert stdnum_ruc.is_valid(ruc)
    assert validators.validate_ruc(ruc) == ruc


def test_spaces_inside_a_ruc_are_ignored():
    assert validators.validate_ruc(" 2010 0070970 ") == "20100070970"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Ingrese el RUC"),
        ("2010007097", "11 dígitos (tiene 10)"),
        ("201000709701", "11 dígitos (tiene 12)"),
        ("2010007097A", "solo puede tener números"),
        ("30100070970", "empezar con 10, 15, 16, 17 o 20"),
        (corrupt_check_digit("20100070970"), "dígito verificador"),
    ],
)
def test_an_invalid_ruc_is_refused_with_the_reason(value, message):
    with pytest.raises(ValidationError) as error:
        validators.validate_ruc(value)
    assert message in error.value.messages[0]


@pytest.mark.parametrize(("value", "message"), [("1234567", "8 dígitos"), ("1234567X", "solo puede tener números")])
def test_an_invalid_dni_is_refused(value, message):
    with pytest.raises(ValidationError) as error:
        validators.validate_dni(value)
    assert message in error.value.messages[0]


def test_a_dni_has_eight_digits():
    assert validators.validate_dni("07654321") == "07654321"


def test_foreign_documents_are_upper_cased_and_limited():
    assert validators.validate_foreign_document("7", " ab12345 ") == "AB12345"
    with pytest.raises(ValidationError):
        validators.validate_foreign_document("4", "1234567890123")  # 13 > 12
    with pytest.raises(ValidationError):
        validators.validate_foreign_document("7", "AB 12/34")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("999 111 222", "+51999111222"), ("(01) 456-7890", "+5114567890"), ("+1 650 253 0000", "+16502530000")],
)
def test_phones_are_stored_in_e164(raw, e164):
    assert validators.normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "999 111 22", "+51 123"])
def test_malformed_phones_are_refused(raw):
    with pytest.raises(ValidationError) as error:
        validators.normalize_phone(raw)
    assert "no es un teléfono válido" in error.value.messages[0]


def test_emails_are_lower_cased_and_checked():
    assert validators.normalize_email("  Ventas@Gloria.PE ") == "ventas@gloria.pe"
    for bad in ["ventas@", "ventas gloria.pe", "a@b", "x" * 250 + "@a.pe"]:
        with pytest.raises(ValidationError):
            validators.normalize_email(bad)


@pytest.mark.parametrize(
    ("network", "value", "url"),
    [
        ("instagram", "@la_bodega", "https://www.instagram.com/la_bodega"),
        ("facebook", "https://www.facebook.com/labodega.pe", "https://www.facebook.com/labodega.pe"),
        ("tiktok", "labodega", "https://www.tiktok.com/@labodega"),
        ("x", "twitter.com/labodega", "https://twitter.com/labodega"),
    ],
)
def test_social_networks_accept_a_handle_or_a_url_of_that_network(network, value, url):
    assert validators.normalize_social(network, value) == url


def test_a_url_of_another_site_is_not_a_social_network():
    with pytest.raises(ValidationError):
        validators.normalize_social("instagram", "https://evil.example.com/la_bodega")


def test_websites_must_be_urls():
    assert validators.normalize_url("labodega.pe") == "https://labodega.pe"
    with pytest.raises(ValidationError):
        validators.normalize_url("no es una web")
