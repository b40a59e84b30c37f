"""Money as people read and type it in Peru: "S/ 1,234.50", "US$ 1,234.50" (Decimal, exact)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from peru.numbers import HOUSE_FORMAT, commas_group_thousands, typed_number_text
from peru.text import has_other_digits

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


def parse_amount(value, *, label: str = "El monto", allow_zero: bool = False, typed: bool = False) -> Decimal:
    """A Decimal with at most two decimals: "1,234.50", "1234.5", "S/ 1 234.50", "S/. 1500", a
    Decimal or an int. Raises ValueError with a Spanish message.

    ``typed``: text a person typed (the pages, the admin, the import) is read by the human rule
    (peru.numbers): «2000,00», «1.500,50» and «1.234.567» are read, «2.000» is refused as
    ambiguous. Without it — a program's decimal string, the integration API's amounts — the text
    is a decimal as written: "2.000" is 2.00 and a decimal comma is refused."""
    if isinstance(value, float):
        raise ValueError(f"{label} debe enviarse como texto o número decimal exacto, no como float.")
    text = str(value if value is not None else "").strip()
    # "-S/ 5.00" as format_money writes it: the sign goes back before the number.
    sign = "-" if text.startswith("-") else ""
    text = text.removeprefix("-").strip()
    for symbol in ("US$", "S/.", "S/", "$"):  # «S/.» before «S/»: "S/. 1500" is not 0.15
        text = text.removeprefix(symbol).strip()
    text = (sign + text).replace(" ", "").replace("\u00a0", "")
    if not text:
        raise ValueError(f"{label} es obligatorio.")
    if typed and isinstance(value, str):
        text = typed_number_text(text, label=label, places=2)
    if has_other_digits(text):  # Decimal() reads ١٥٠٠ as 1500; only 0-9 are numbers here, as in attributes
        raise ValueError(f"{label} no es un número válido: use los dígitos 0-9 (ej.: 1,234.50).")
    if "," in text and not commas_group_thousands(text):
        raise ValueError(f"{label} no es un número válido: use el formato 1,234.50 ({HOUSE_FORMAT}).")
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
