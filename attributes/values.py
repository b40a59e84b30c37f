"""One attribute value, by type: parse what a person, a spreadsheet or another system sent
into the JSON value Customer.attributes stores, and format it back for pages and columns.

Stored values are JSON-native so PostgreSQL compares them in their own order (numbers as
numbers, ISO dates as text in date order): text-like types → string; número entero → int;
decimal → JSON number (int when whole, else float: at most 15 significant digits, so it reads
back exactly as Decimal(str(x))); fecha → "YYYY-MM-DD"; sí/no → true/false; lista → the option;
selección múltiple → list of options in the list's order. No value = no key (never null or "").

format_value() gives text that parse_value() reads back to the same value: the export writes
it, the import reads it (round trip, tested).
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from attributes.models import AttributeDefinition
from peru import validators
from peru.numbers import commas_group_thousands, typed_number_text, unambiguous_text
from peru.phones import national_format
from peru.text import (
    CONTROL_MESSAGE,
    clean_spaces,
    fold,
    has_control_characters,
    has_other_digits,
    normalize_digits,
    phone_digits,
)

Kind = AttributeDefinition.Kind

TEXT_MAX = 200
LONG_TEXT_MAX = 5000
# JSON numbers past 2**53 lose digits in JavaScript and in float; nobody types more than this.
INTEGER_LIMIT = 10**15
DECIMAL_PLACES = 4
DECIMAL_DIGITS = 15
MIN_YEAR, MAX_YEAR = 1900, 2100

TRUE_WORDS = {"si", "sí", "s", "yes", "y", "true", "verdadero", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "falso", "0"}
# What the search box and the "contiene" filter look in (Customer.search_text).
SEARCHABLE = {Kind.TEXT, Kind.LONG_TEXT, Kind.EMAIL, Kind.URL, Kind.DNI, Kind.RUC, Kind.PHONE}
SEARCH_PART_MAX = 200

# The inputs of a fecha (customer form and list filters): dd/mm/aaaa whatever the browser's
# language, read by _date (which also takes dd-mm-aaaa, d/m/aaaa and ISO).
DATE_INPUT_ATTRS = {"placeholder": "dd/mm/aaaa", "inputmode": "numeric", "maxlength": 10, "data-date-input": ""}
_DATE_DMY = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
_DATE_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")


def is_empty(raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple)):
        return all(is_empty(item) for item in raw)
    return False


def parse_value(definition: AttributeDefinition, raw):
    """The value to store for ``raw`` (None: no value). Raises ValidationError in Spanish."""
    if is_empty(raw):
        return None
    kind = definition.kind
    if kind == Kind.TEXT:
        return _text(raw, TEXT_MAX, single_line=True)
    if kind == Kind.LONG_TEXT:
        return _text(raw, LONG_TEXT_MAX, single_line=False)
    if kind == Kind.INTEGER:
        return _integer(definition, raw)
    if kind == Kind.DECIMAL:
        return _decimal(definition, raw)
    if kind == Kind.DATE:
        return _date(raw).isoformat()
    if kind == Kind.BOOLEAN:
        return _boolean(raw)
    if kind == Kind.CHOICE:
        if isinstance(raw, (list, tuple)):
            items = [item for item in raw if not is_empty(item)]
            if len(items) > 1:
                raise ValidationError("Elija una sola opción.", code="invalid")
            raw = items[0]
        return _option(definition, raw)
    if kind == Kind.MULTIPLE:
        return _options(definition, raw)
    if kind == Kind.EMAIL:
        return validators.normalize_email(str(raw))
    if kind == Kind.PHONE:
        return validators.normalize_phone(str(raw))
    if kind == Kind.URL:
        return validators.normalize_url(str(raw))
    if kind == Kind.DNI:
        return validators.validate_dni(_digits_text(raw))
    if kind == Kind.RUC:
        return validators.validate_ruc(_digits_text(raw))
    raise ValidationError("Tipo de atributo desconocido.", code="invalid")


def format_value(definition: AttributeDefinition, stored) -> str:
    """Text for the summary and for export columns (fechas dd/mm/aaaa, Sí/No, options joined
    by "; "). "" when there is no value."""
    if stored is None:
        return ""
    kind = definition.kind
    if kind == Kind.DATE:
        try:
            return date.fromisoformat(stored).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(stored)
    if kind == Kind.BOOLEAN:
        return "Sí" if stored else "No"
    if kind == Kind.DECIMAL:
        return decimal_text(stored)
    if kind == Kind.MULTIPLE:
        return "; ".join(str(item) for item in stored) if isinstance(stored, list) else str(stored)
    if kind == Kind.PHONE:
        return national_format(str(stored))
    return str(stored)


def to_python(definition: AttributeDefinition, stored):
    """The stored value as Python: Decimal, date, bool, list of str, int or str."""
    if stored is None:
        return None
    if definition.kind == Kind.DECIMAL:
        return Decimal(str(stored))
    if definition.kind == Kind.DATE:
        return date.fromisoformat(stored)
    return stored


def input_value(definition: AttributeDefinition, stored):
    """The stored value as the customer form's input shows it."""
    if stored is None:
        return [] if definition.kind == Kind.MULTIPLE else ""
    if definition.kind == Kind.DATE:
        return format_value(definition, stored)  # dd/mm/aaaa, as typed
    if definition.kind == Kind.BOOLEAN:
        return "si" if stored else "no"
    return format_value(definition, stored) if definition.kind != Kind.MULTIPLE else list(stored)


def search_parts(definitions, values: dict) -> list[str]:
    """Folded text of the searchable values, for Customer.search_text."""
    parts = []
    for definition in definitions:
        stored = values.get(definition.key)
        if stored is None or definition.kind not in SEARCHABLE:
            continue
        if definition.kind == Kind.PHONE:
            parts.append(phone_digits(str(stored)))
        else:
            parts.append(fold(clean_spaces(str(stored)))[:SEARCH_PART_MAX])
    return parts


# --- one type each -------------------------------------------------------------------------


def _text(raw, limit: int, *, single_line: bool) -> str:
    value = clean_spaces(str(raw)) if single_line else str(raw).strip()
    if has_control_characters(value):
        raise ValidationError(f"El texto {CONTROL_MESSAGE[0].lower()}{CONTROL_MESSAGE[1:]}", code="invalid")
    if len(value) > limit:
        raise ValidationError(f"Máximo {limit} caracteres (tiene {len(value)}).", code="length")
    return value


def _digits_text(raw) -> str:
    # A spreadsheet cell may hold a DNI as the number 12345678 (or 12345678.0).
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw)


def parse_number(raw) -> Decimal:
    """A number (no range, no places) from what was typed or sent: text as people type it
    (peru.numbers), ints, Decimals and spreadsheet floats exactly. Raises ValidationError."""
    if isinstance(raw, bool):
        raise ValidationError("Ingrese un número.", code="invalid")
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    shown = clean_spaces(str(raw))[:40]
    text = normalize_digits(raw).strip().replace(" ", "").replace("\u00a0", "")
    if has_other_digits(text):  # Decimal() reads ٤٦ as 46; only 0-9 are numbers here
        raise ValidationError(f"«{shown}» no es un número: use los dígitos 0-9.", code="invalid")
    # Text as a person types it, the rule of money too (peru.numbers): «1500,50» and «1.500,50»
    # are 1500.5, «1.234.567» a million; «2.000» (two thousand or two?) is refused naming both.
    try:
        text = typed_number_text(text, label="El número")
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid") from None
    if "," in text:
        # 1,234.50 or 1,234: commas left group thousands, and only that ("1,2,3" is no number).
        if not commas_group_thousands(text):
            raise ValidationError(
                "Use coma solo para los miles y punto para los decimales (ej.: 1,234.50).", code="invalid"
            )
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"«{shown}» no es un número.", code="invalid") from None
    if not number.is_finite():
        raise ValidationError(f"«{shown}» no es un número.", code="invalid")
    return number


def _check_range(definition: AttributeDefinition, number: Decimal) -> None:
    low, high = definition.min_value, definition.max_value
    if low is not None and number < low:
        raise ValidationError(f"Debe ser mayor o igual a {decimal_text(low)}.", code="min_value")
    if high is not None and number > high:
        raise ValidationError(f"Debe ser menor o igual a {decimal_text(high)}.", code="max_value")


def _integer(definition: AttributeDefinition, raw) -> int:
    number = parse_number(raw)
    if number != number.to_integral_value():
        raise ValidationError("Ingrese un número entero, sin decimales.", code="invalid")
    if abs(number) >= INTEGER_LIMIT:
        raise ValidationError("El número es demasiado grande (máximo 15 dígitos).", code="invalid")
    _check_range(definition, number)
    return int(number)


def _decimal(definition: AttributeDefinition, raw):
    number = parse_number(raw)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMAL_PLACES:
        raise ValidationError(f"Máximo {DECIMAL_PLACES} decimales.", code="invalid")
    number = number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)).normalize()
    if len(number.as_tuple().digits) > DECIMAL_DIGITS or abs(number) >= INTEGER_LIMIT:
        raise ValidationError(f"El número es demasiado grande (máximo {DECIMAL_DIGITS} dígitos).", code="invalid")
    _check_range(definition, number)
    if number == number.to_integral_value():
        return int(number)
    return float(number)  # ≤ 15 significant digits: float(str) and back are exact


def decimal_text(value) -> str:
    """ "1500.5", "1000": no trailing zeros — but for three decimals after one to three digits,
    which get a fourth («1.2340»): «1.234» would be refused as ambiguous when the form or the
    import reads it back (peru.numbers), and a reader can't tell it from a thousand either."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return unambiguous_text(format(number.normalize(), "f"))


def _date(raw) -> date:
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    else:
        text = normalize_digits(raw).strip()
        match = _DATE_ISO.match(text)
        try:
            if match:
                value = date(int(match[1]), int(match[2]), int(match[3]))
            elif match := _DATE_DMY.match(text):
                value = date(int(match[3]), int(match[2]), int(match[1]))
            else:
                raise ValueError
        except ValueError:
            raise ValidationError(
                f"«{text[:40]}» no es una fecha válida; escríbala como dd/mm/aaaa.", code="invalid"
            ) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(f"La fecha debe estar entre {MIN_YEAR} y {MAX_YEAR}.", code="invalid")
    return value


def _boolean(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = fold(clean_spaces(str(raw)))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(f"«{clean_spaces(str(raw))[:40]}» no es sí ni no.", code="invalid")


def _option(definition: AttributeDefinition, raw) -> str:
    wanted = fold(clean_spaces(str(raw)))
    for option in definition.options:
        if fold(option) == wanted:
            return option
    shown = ", ".join(definition.options[:10]) + ("…" if len(definition.options) > 10 else "")
    raise ValidationError(
        f"«{clean_spaces(str(raw))[:60]}» no es una de las opciones ({shown}).", code="invalid_choice"
    )


def _options(definition: AttributeDefinition, raw) -> list[str] | None:
    if isinstance(raw, str):
        items = re.split(r"[;\n]", raw)
    elif isinstance(raw, (list, tuple, set)):
        items = list(raw)
    else:
        items = [raw]
    chosen = {_option(definition, item) for item in items if not is_empty(item)}
    ordered = [option for option in definition.options if option in chosen]
    return ordered or None
