"""Numbers as people in Peru type them — the one rule for money (credit.money) and number
attributes (attributes.values), in forms and imports.

Ours is «1,234.50»: commas group thousands, a point starts the decimals (as the pages show
money). Excel set to Spanish (of Spain, of most of Latin America) writes a decimal comma
instead: «2000,00», «2.000,00», «1.234.567». Each of those can only mean one number and is read
as it. A point followed by exactly three digits — «2.000», «12.500», «1.234» — is two thousand
to one person and two to another: refused, naming both readings, rather than read one of them
in silence. A program's decimal text (the integration API's amounts) is not read by this rule:
"2.000" from a program is 2.000 (see credit.money.parse_amount).
"""

import re
from decimal import Decimal

# "1,234.50", "12,345": commas that group thousands, and only that. "1.500,00" or "1500,50",
# typed the European way, would otherwise read as 1.50 or 150,050 without a word.
_GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(,[0-9]{3})+([.][0-9]*)?")
# A decimal comma: one or two decimals, or four and more — never three («2,000» groups thousands).
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+),(\d{1,2}|\d{4,})", re.ASCII)
_DOTTED_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}", re.ASCII)
# «2.000», «12.500»: thousands to one person, three decimals to another («0.500» is only decimals).
_ONE_DOT_THREE_DIGITS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}", re.ASCII)

HOUSE_FORMAT = "coma para los miles, punto para los decimales"


def commas_group_thousands(text: str) -> bool:
    """Whether the commas of a number typed as ``text`` (sign allowed, no spaces) only group
    thousands — the one way money and number attributes accept commas."""
    return _GROUPED_NUMBER.fullmatch(text.removeprefix("-").removeprefix("+")) is not None


def typed_number_text(text: str, *, label: str, places: int | None = None) -> str:
    """``text`` (no spaces, no currency sign) as ours writes it: a decimal comma's number becomes
    «2000.00», «1.234.567» becomes «1234567», anything else stays as it is (ours, or not a
    number: the caller's own checks say so). Raises ValueError (Spanish, starting with
    ``label``) for a point followed by exactly three digits, with both readings written
    unambiguously: ``places`` decimals (money: 2), or as few as say it (never exactly three)."""
    if _DECIMAL_COMMA.fullmatch(text):
        return text.replace(".", "").replace(",", ".")
    if _DOTTED_THOUSANDS.fullmatch(text):
        return text.replace(".", "")
    if _ONE_DOT_THREE_DIGITS.fullmatch(text):
        thousands, decimals = Decimal(text.replace(".", "")), Decimal(text)
        raise ValueError(
            f"{label} «{text[:40]}» es ambiguo: escriba {_shown(thousands, places)} si son miles o "
            f"{_shown(decimals, places)} si no ({HOUSE_FORMAT})."
        )
    return text


def unambiguous_text(text: str) -> str:
    """A plain decimal text («1.234») that typed_number_text reads back as this number, not
    refused as ambiguous: the three decimals get a fourth zero («1.2340»)."""
    return text + "0" if _ONE_DOT_THREE_DIGITS.fullmatch(text) else text


# unambiguous_text in SQL (PostgreSQL's regular expressions read the same pattern), for the
# export's text cells of number attributes.
AMBIGUOUS_SQL_PATTERN = f"^{_ONE_DOT_THREE_DIGITS.pattern}$"


def _shown(number: Decimal, places: int | None) -> str:
    if places is not None:
        return f"{number:,.{places}f}"
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):,}"
    return unambiguous_text(format(number.normalize(), "f"))
