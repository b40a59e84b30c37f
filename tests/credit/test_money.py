from decimal import Decimal

import pytest

from credit.money import format_money, parse_amount


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        (Decimal("1234.5"), "PEN", "S/ 1,234.50"),
        (Decimal("1234.5"), "USD", "US$ 1,234.50"),
        # Negative: the sign before the symbol (CLDR es-PE), the same in every page.
        (Decimal("-5608.57"), "PEN", "-S/ 5,608.57"),
        (Decimal("-0.5"), "USD", "-US$ 0.50"),
        # Rounds to zero: no sign.
        (Decimal("-0.004"), "PEN", "S/ 0.00"),
        (Decimal("0.005"), "PEN", "S/ 0.01"),  # half up
        (None, "PEN", "—"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_a_formatted_amount_reads_back():
    assert parse_amount(format_money(Decimal("1234567.89"))) == Decimal("1234567.89")
    with pytest.raises(ValueError, match="negativo|mayor que cero"):
        parse_amount(format_money(Decimal("-5")))


@pytest.mark.parametrize("sent", ["1.500,00", "S/ 1.500,00", "1500,50", "1,50", "12,34.5", "1,2345"])
def test_a_programs_amount_with_a_decimal_comma_is_refused_not_misread(sent):
    # Without `typed` (the integration API): "1.500,00" read as 1.50 and "1500,50" as 150,050
    # would be a credit limit off by a thousand, silently.
    with pytest.raises(ValueError, match="coma para los miles"):
        parse_amount(sent)


def test_a_programs_2_000_is_a_decimal_with_three_places():
    assert parse_amount("2.000") == Decimal("2.00")
    with pytest.raises(ValueError, match="dos decimales"):
        parse_amount("2.001")


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("1.500,50", "1500.50"),
        ("1500,50", "1500.50"),
        ("S/ 1.500,50", "1500.50"),
        ("S/. 1500", "1500.00"),
        ("1,5", "1.50"),
        ("1.234.567", "1234567.00"),
        ("1,500.50", "1500.50"),
        ("0.500", "0.50"),
        (Decimal("2.000"), "2.00"),  # a number, not text: nothing to ask
    ],
)
def test_an_amount_a_person_typed_reads_as_the_import_reads_it(typed, expected):
    assert parse_amount(typed, typed=True) == Decimal(expected)


@pytest.mark.parametrize(
    "typed,readings",
    [("2.000", "escriba 2,000.00 si son miles o 2.00 si no"), ("S/ 12.500", "escriba 12,500.00 si son miles o 12.50")],
)
def test_a_lone_point_and_three_digits_typed_by_a_person_is_asked_about(typed, readings):
    with pytest.raises(ValueError, match=f"^El cupo «[^»]+» es ambiguo: {readings}"):
        parse_amount(typed, label="El cupo", typed=True)


@pytest.mark.parametrize(
    "typed,expected",
    [("1,500.00", "1500.00"), ("S/ 1,234,567.8", "1234567.80"), ("1 500.5", "1500.50"), ("999", "999.00")],
)
def test_an_amount_with_thousands_commas_reads(typed, expected):
    assert parse_amount(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["١٥٠٠", "S/ １,５００.００", "1500.5０"])
def test_digits_of_other_scripts_are_refused_as_in_number_attributes(typed):
    with pytest.raises(ValueError, match="dígitos 0-9"):
        parse_amount(typed)
