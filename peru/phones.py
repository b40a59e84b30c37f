"""Phone numbers as Peruvian offices write them.

Stored as E.164 (+51…), with the extension (anexo) after ``;ext=`` as in RFC 3966:
``+5114701234;ext=205``. Shown in Peru's national format with the digits grouped the way
they are read aloud: ``987 654 321``, ``(01) 470 1234 anexo 205``, ``(054) 123 456``.

Parsing (``parse_phone``) accepts what people type: an anexo written as "anexo", "anx.",
"ext.", "int.", "x" or "#"; a Lima landline of 7 digits without its 01 (the usual way to
write it in Lima) — the form then shows the number with (01) so the user sees what was
understood; a 6-digit landline of another department is refused with a message naming the
code it needs.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "PE"
EXTENSION_SEPARATOR = ";ext="
MAX_EXTENSION_DIGITS = 6

# Long-distance codes of Peru's landlines by departamento (INEI ubigeo code) — MTC's national
# numbering plan: Lima and Callao dial 1, every other departamento a 2-digit code.
AREA_CODES = {
    "01": ("Amazonas", "41"),
    "02": ("Áncash", "43"),
    "03": ("Apurímac", "83"),
    "04": ("Arequipa", "54"),
    "05": ("Ayacucho", "66"),
    "06": ("Cajamarca", "76"),
    "07": ("Callao", "1"),
    "08": ("Cusco", "84"),
    "09": ("Huancavelica", "67"),
    "10": ("Huánuco", "62"),
    "11": ("Ica", "56"),
    "12": ("Junín", "64"),
    "13": ("La Libertad", "44"),
    "14": ("Lambayeque", "74"),
    "15": ("Lima", "1"),
    "16": ("Loreto", "65"),
    "17": ("Madre de Dios", "82"),
    "18": ("Moquegua", "53"),
    "19": ("Pasco", "63"),
    "20": ("Piura", "73"),
    "21": ("Puno", "51"),
    "22": ("San Martín", "42"),
    "23": ("Tacna", "52"),
    "24": ("Tumbes", "72"),
    "25": ("Ucayali", "61"),
}

# The words offices put before an extension. phonenumbers knows most of them ("anexo", "ext",
# "int", "x", "#"); "anx." and "anexo:" are turned into "anexo" first so every form is read.
_EXTENSION_WORDS = re.compile(
    r"\s*(?:,|;)?\s*(?:anexos?|anx|ane|ext(?:ensi[oó]n)?|int(?:erno)?|x|#)\s*[.:]?\s*(?=\d)", re.IGNORECASE
)
_EXTENSION_TAIL = re.compile(r"^(?P<number>.*?)\s*anexo\s*(?P<extension>\d+)\s*$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[\s().\-/]")
# What most cells hold: a Peruvian mobile (MTC plan: 9 and eight digits, every one of them a
# valid mobile for phonenumbers' metadata), typed bare or after +51, with spaces or hyphens.
# parse_phone answers these without phonenumbers (about 30 µs a number; an import parses
# hundreds of thousands) — the same answer, pinned by tests/customers/test_phones.py.
_PLAIN_MOBILE = re.compile(r"(?:\+51)?(9[0-9]{8})")
_GROUPING = str.maketrans("", "", " -")


@dataclass(frozen=True)
class Phone:
    e164: str
    extension: str = ""
    assumed_lima: bool = False  # 7 digits typed without 01

    @property
    def stored(self) -> str:
        return self.e164 + (EXTENSION_SEPARATOR + self.extension if self.extension else "")


def split_extension(stored: str) -> tuple[str, str]:
    """'+5114701234;ext=205' -> ('+5114701234', '205')."""
    number, _, extension = (stored or "").partition(EXTENSION_SEPARATOR)
    return number, extension


def is_landline(stored: str) -> bool:
    """A Peruvian fixed line (mobiles start with 9 after +51; other countries: not known here,
    phonenumbers decides)."""
    number, _ = split_extension(stored)
    if len(number) == 12 and number.startswith("+519") and number[1:].isdigit():  # a mobile (see _PLAIN_MOBILE)
        return False
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE


def _invalid(raw: str) -> ValidationError:
    return ValidationError(
        f"«{raw}» no es un teléfono válido (celular de 9 dígitos que empieza con 9, fijo con código de "
        "ciudad, o número extranjero con +código de país).",
        code="invalid",
    )


def parse_phone(value: str, region: str = DEFAULT_REGION, *, department: str = "") -> Phone:
    """What the person typed → Phone, or ValidationError with a Spanish message.

    ``department`` (INEI code of the customer's departamento, when known) names the area code
    a 6-digit landline needs."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError("Ingrese el teléfono.", code="required")
    if region == DEFAULT_REGION:
        mobile = _PLAIN_MOBILE.fullmatch(raw.translate(_GROUPING))
        if mobile:
            return Phone(e164="+51" + mobile.group(1))
    text = _EXTENSION_WORDS.sub(" anexo ", raw)
    number_part, extension = text, ""
    tail = _EXTENSION_TAIL.match(text)
    if tail:
        number_part, extension = tail.group("number"), tail.group("extension")
        if len(extension) > MAX_EXTENSION_DIGITS:
            raise ValidationError(f"«{raw}»: el anexo admite hasta {MAX_EXTENSION_DIGITS} dígitos.", code="extension")
    digits = _PUNCTUATION.sub("", number_part)
    assumed_lima = False
    if region == DEFAULT_REGION and digits.isdigit() and not digits.startswith("0"):
        if len(digits) == 7 and digits[0] != "9":
            # Lima writes its landlines without the 01 (MTC plan: 7 digits in area 1).
            digits, assumed_lima = "01" + digits, True
        elif len(digits) == 6:
            raise ValidationError(_area_code_message(raw, digits, department), code="area_code")
    try:
        number = phonenumbers.parse(digits if assumed_lima else number_part, region)
    except phonenumbers.NumberParseException:
        raise _invalid(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid(raw)
    extension = extension or (number.extension or "")
    if len(extension) > MAX_EXTENSION_DIGITS:
        raise ValidationError(f"«{raw}»: el anexo admite hasta {MAX_EXTENSION_DIGITS} dígitos.", code="extension")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, extension=extension, assumed_lima=assumed_lima)


def _area_code_message(raw: str, digits: str, department: str) -> str:
    example = f"{digits[:3]} {digits[3:]}"
    known = AREA_CODES.get(department)
    if known and known[1] != "1":
        name, code = known
        return (
            f"«{raw}» tiene 6 dígitos: un fijo de {name} se escribe con su código 0{code} "
            f"(ej.: (0{code}) {example}). Si es de otro departamento, anteponga el código de ese departamento."
        )
    return (
        f"«{raw}» tiene 6 dígitos: un fijo fuera de Lima necesita el código de su departamento "
        f"(ej.: (054) {example} en Arequipa, (044) en La Libertad, (084) en Cusco, (074) en Lambayeque)."
    )


def _grouped(national_digits: str) -> str:
    """Digits of a Peruvian number after the area code, grouped as they are read."""
    if len(national_digits) == 9:  # mobile
        return f"{national_digits[:3]} {national_digits[3:6]} {national_digits[6:]}"
    if len(national_digits) in (6, 7):
        return f"{national_digits[:3]} {national_digits[3:]}"
    return national_digits


def national_format(stored: str) -> str:
    if not stored:
        return ""
    if len(stored) == 12 and stored.startswith("+519") and stored[1:].isascii() and stored[1:].isdigit():
        return _grouped(stored[3:])  # a mobile (see _PLAIN_MOBILE): what the parse below would say
    if len(stored) == 11 and stored.startswith("+51") and "1" <= stored[3] <= "8" and _ascii_digits(stored[1:]):
        return _landline(stored[3:], "")  # a landline as stored, without anexo: what the parse below would say
    return _parsed_national_format(stored)


# A list page shows each row's phone twice (its column, and under the name on a phone):
# parsing costs about 80 µs a time, and the answer never changes for a number. Only what is
# parsed is remembered: the string work above costs less than the memory's miss (an import's
# notes name tens of thousands of numbers once each).
@lru_cache(maxsize=8192)
def _parsed_national_format(stored: str) -> str:
    e164, extension = split_extension(stored)
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return stored
    suffix = f" anexo {extension}" if extension else ""
    if number.country_code != 51:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL) + suffix
    national = str(number.national_number)
    if national.startswith("9") and len(national) == 9:
        return _grouped(national) + suffix
    return _landline(national, suffix)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _landline(national: str, suffix: str) -> str:
    """A Peruvian fixed line's national digits (area code first) as people read them."""
    area = "1" if national.startswith("1") else national[:2]
    return f"(0{area}) {_grouped(national[len(area) :])}{suffix}"


def whatsapp_link(stored: str) -> str:
    return "https://wa.me/" + split_extension(stored)[0].lstrip("+")
