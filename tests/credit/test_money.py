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
