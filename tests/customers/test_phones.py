"""Phones as Peruvian offices write them (peru.phones)."""

import pytest
from django.core.exceptions import ValidationError

from peru import validators
from peru.phones import is_landline, national_format, parse_phone, whatsapp_link
from peru.text import phone_digits


@pytest.mark.parametrize(
    "raw",
    [
        "(01) 4701234 anexo 205",
        "01 470 1234 ext. 205",
        "01-470-1234 anx. 205",
        "(01) 470-1234 int. 205",
        "014701234 #205",
        "01 4701234 anexo: 205",
        "4701234 ext. 205",
    ],
)
def test_an_extension_is_kept_however_it_is_written(raw):
    assert validators.normalize_phone(raw) == "+5114701234;ext=205"


def test_the_extension_is_shown_after_the_number():
    assert national_format("+5114701234;ext=205") == "(01) 470 1234 anexo 205"


def test_a_seven_digit_number_is_a_lima_landline_and_says_so():
    phone = parse_phone("470-1234")
    assert (phone.e164, phone.assumed_lima) == ("+5114701234", True)
    assert national_format(phone.stored) == "(01) 470 1234"


def test_a_mobile_is_not_taken_for_a_lima_landline():
    with pytest.raises(ValidationError):
        parse_phone("9876543")  # 7 digits starting with 9: a mobile missing two digits


def test_a_six_digit_landline_asks_for_its_area_code():
    with pytest.raises(ValidationError) as error:
        parse_phone("234567")
    message = error.value.messages[0]
    assert "código de su departamento" in message and "(054)" in message


def test_a_six_digit_landline_names_the_code_of_the_customers_department():
    with pytest.raises(ValidationError) as error:
        validators.normalize_phone("234567", department="08")  # Cusco
    assert "fijo de Cusco se escribe con su código 084" in error.value.messages[0]


def test_a_province_landline_with_its_code_is_accepted_and_grouped():
    assert national_format(validators.normalize_phone("(054) 234567")) == "(054) 234 567"


def test_mobiles_are_grouped_in_threes():
    assert national_format(validators.normalize_phone("987654321")) == "987 654 321"


def test_an_overlong_extension_is_refused():
    with pytest.raises(ValidationError) as error:
        parse_phone("01 4701234 anexo 1234567")
    assert "anexo admite hasta 6 dígitos" in error.value.messages[0]


def test_landlines_and_mobiles_are_told_apart():
    assert is_landline("+5114701234;ext=205")
    assert not is_landline("+51987654321")


def test_the_extension_is_not_searched_nor_dialled_by_whatsapp():
    assert phone_digits("+5114701234;ext=205") == "5114701234 014701234"
    assert whatsapp_link("+5114701234;ext=205") == "https://wa.me/5114701234"


def test_a_whatsapp_number_has_no_extension():
    with pytest.raises(ValidationError):
        validators.normalize_whatsapp("01 4701234 anexo 5")
    assert validators.normalize_whatsapp("987 654 321") == "+51987654321"


@pytest.mark.parametrize(
    "raw", ["987654321", "987 654 321", "987-654-321", "+51987654321", "+51 987 654 321", "+51-900-000-000"]
)
def test_a_plain_mobile_reads_as_phonenumbers_reads_it(raw):
    # parse_phone answers these without phonenumbers (its fast path): the same number.
    import phonenumbers

    expected = phonenumbers.format_number(phonenumbers.parse(raw, "PE"), phonenumbers.PhoneNumberFormat.E164)
    phone = parse_phone(raw)
    assert (phone.stored, phone.extension, phone.assumed_lima) == (expected, "", False)
    assert not is_landline(phone.stored)


@pytest.mark.parametrize("raw", ["98765432", "9876543210", "+51 98765432", "٩٨٧٦٥٤٣٢١"])
def test_what_only_looks_like_a_mobile_is_still_parsed_in_full(raw):
    # Too short, too long, or in other digits: not the fast path's.
    with pytest.raises(ValidationError):
        validators.normalize_phone(raw)


def test_a_stored_landline_reads_as_the_parsed_one_does():
    # national_format answers a stored landline without phonenumbers (its fast path): the same
    # text as the parse gives for that number (with an anexo, the parse's path), for every area.
    import random

    rng = random.Random(17)
    numbers = [f"+51{first}{rng.randrange(10**7):07d}" for first in "12345678" for _ in range(300)]
    numbers += [f"+51{first}{digits}" for first in "12345678" for digits in ("0000000", "9999999", "1234567")]
    for stored in numbers:
        parsed = national_format(stored + ";ext=7").removesuffix(" anexo 7")
        assert national_format(stored) == parsed, stored
    assert national_format("+5114701234") == "(01) 470 1234"
    assert national_format("+5154234567") == "(054) 234 567"
    # Not a landline as stored: still parsed in full.
    assert national_format("+51 14701234") == national_format("+5114701234;ext=1").removesuffix(" anexo 1")
