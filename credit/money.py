"""Money as people read and type it in Peru: "S/ 1,234.50", "US$ 1,234.50" (Decimal, exact)."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from peru.text import commas_group_thousands, has_other_digits

CENT = Decimal("0.01")
# NUMERIC(14,2) holds up to 999,999,999,999.99; anything near it is a typing accident.
MAX_AMOUNT = Decimal("9999999999.99")
SYMBOLS = {"PEN": "S/", "USD": "US$"}


def format_money(amount, currency: str = "PEN") -> str:
    """ "S/ 1,234.50"; negative amounts as "-S/ 1,234.50"; None as "—".

    The minus goes before the symbol, as CLDR's es-PE pattern puts it ("-S/ 1,234.50", not
    "S/ -1,234.50"); an amount that rounds to zero has no sign ("S/ 0.00")."""
    if amount is None or amount == "":
        return "—"
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency)} {abs(value):,.2f}"


def parse_amount(value, *, label: str = "El monto", allow_zero: bool = False) -> Decimal:
    """A Decimal with at most two decimals from what a form or the API sent: "1,234.50",
    "1234.5", "S/ 1 234.50", a Decimal or an int. Raises ValueError with a Spanish message."""
    if isinstance(value, float):
        raise ValueError(f"{label} debe enviarse como texto o número decimal exacto, no como float.")
    text = str(value if value is not None else "").strip()
    # "-S/ 5.00" as format_money writes it: the sign goes back before the number.
    sign = "-" if text.startswith("-") else ""
    text = text.removeprefix("-").strip()
    for symbol in ("US$", "S/", "$"):
        text = text.removeprefix(symbol).strip()
    text = (sign + text).replace(" ", "")
    if not text:
        raise ValueError(f"{label} es obligatorio.")
    if has_other_digits(text):  # Decimal() reads ١٥٠٠ as 1500; only 0-9 are numbers here, as in attributes
        raise ValueError(f"{label} no es un número válido: use los dígitos 0-9 (ej.: 1,234.50).")
    if "," in text and not commas_group_thousands(text):
        raise ValueError(
            f"{label} no es un número válido: use el formato 1,234.50 (coma para los miles, punto para los decimales)."
        )
    text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label} no es un número válido: use el formato 1,234.50.") from None
    if not amount.is_finite():
        raise ValueError(f"{label} no es un número válido: use el formato 1,234.50.")
    # Before quantizing: 1e400 can't be quantized to céntimos (InvalidOperation).
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"{label} es demasiado grande (máximo {format_money(MAX_AMOUNT)}).")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{label} admite como máximo dos decimales (céntimos).")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(f"{label} debe ser mayor que cero." if not allow_zero else f"{label} no puede ser negativo.")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{label} es demasiado grande (máximo {format_money(MAX_AMOUNT)}).")
    return amount.quantize(CENT)


# How a spreadsheet's cell may write an amount in a locale whose decimals are a comma (Excel set
# to Spanish of Spain or of most of Latin America writes its CSVs with «;» and «2.000,00»).
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+),\d{1,2}", re.ASCII)
_DOTTED_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}", re.ASCII)
# «2.000», «12.500»: thousands to one person, three decimals to another.
_ONE_DOT_THREE_DIGITS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}", re.ASCII)


def spreadsheet_amount(text: str, *, label: str = "El monto") -> str:
    """A spreadsheet cell's amount (text) as parse_amount reads it: besides ours (1,234.50), the
    forms only a decimal comma explains — «2000,00», «2.000,00», «1.234.567» — become
    «2000.00»…; a dot followed by exactly three digits («2.000») could be two thousand or two
    soles, and raises ValueError with a Spanish message rather than read one of them (money has
    two decimals, so no other text is in doubt: «2,000» groups thousands, «1,5» is 1.50). The
    currency sign goes, «S/.» too."""
    shown = str(text).strip()
    number = shown
    for symbol in ("US$", "S/.", "S/", "$"):
        number = number.removeprefix(symbol).strip()
    number = number.replace(" ", "").replace("\u00a0", "")
    if _DECIMAL_COMMA.fullmatch(number):
        return number.replace(".", "").replace(",", ".")
    if _DOTTED_THOUSANDS.fullmatch(number):
        return number.replace(".", "")
    if _ONE_DOT_THREE_DIGITS.fullmatch(number):
        thousands = Decimal(number.replace(".", ""))
        raise ValueError(
            f"{label} «{shown[:40]}» es ambiguo: escriba {thousands:,.2f} si son miles o "
            f"{Decimal(number):,.2f} si no (coma para los miles, punto para los decimales)."
        )
    return number
