"""Text normalisation shared by the services, the seed command and the import."""

import re
import unicodedata
from functools import lru_cache

import orjson

# Control characters: C0 but tab, line feed and carriage return; DEL; C1. PostgreSQL refuses
# NUL in text (a 500 where it reached a query), and the rest are invisible garbage. The one
# rule for every edge: the middleware drops them from query parameters, the services refuse
# them in what people type, import and the API send (control_character_errors).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = (
    "Tiene caracteres de control (invisibles, suelen venir al copiar de otro programa) que no se "
    "pueden guardar; borre el texto y vuelva a escribirlo."
)


def has_control_characters(value) -> bool:
    return isinstance(value, str) and _CONTROL.search(value) is not None


def strip_control_characters(value: str) -> str:
    return _CONTROL.sub("", value)


def control_character_errors(data: dict, *, skip=()) -> dict[str, list[str]]:
    """{field: [CONTROL_MESSAGE]} for each value of a service's input that holds a control
    character; a nested dict's keys are named "<key>_<subkey>" (address_street), any text
    inside a list counts for the list (phones, emails)."""
    if not _any_control_character(data):  # nearly every input: one look in C, not one search per text
        return {}
    errors: dict[str, list[str]] = {}
    search = _CONTROL.search

    def holds(value) -> bool:
        if value.__class__ is str:  # most values: no isinstance chain, no recursion
            return search(value) is not None
        if value is None or value.__class__ in (bool, int, float):
            return False
        if isinstance(value, dict):
            return any(holds(k) or holds(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return any(holds(item) for item in value)
        return has_control_characters(value)

    for key, value in data.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                if holds(sub) or holds(sub_value):
                    errors[f"{key}_{sub}"] = [CONTROL_MESSAGE]
        elif holds(key) or holds(value):
            errors[str(key)] = [CONTROL_MESSAGE]
    return errors


def control_character_cells(cells: list, encoded: bytes | None = None) -> list[int]:
    """The positions of a spreadsheet row's cells (text, numbers, dates, None) that hold a
    control character, by the rule above; [] for nearly every row, found by one look in C
    (_any_control_character) — the import reads hundreds of thousands of rows. ``encoded``:
    the row's json_bytes, when the caller has them already."""
    if not _any_control_character(cells, encoded):
        return []
    return [index for index, cell in enumerate(cells) if has_control_characters(cell)]


def json_bytes(data) -> bytes | None:
    """``data`` as JSON, encoded by orjson in C (what it cannot encode, as null), for a look at
    its bytes; None when orjson refuses it (a lone surrogate, an int over 64 bits…)."""
    try:
        return orjson.dumps(data, default=_as_null, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return None


def _any_control_character(data: dict | list, encoded: bytes | None = None) -> bool:
    """Whether control_character_errors may find anything (a yes may be wrong, a no never is):
    ``data`` as JSON, encoded by orjson in C (what it cannot encode, as null), where a control
    character shows as an escape (C0: \\u0000…, \\b, \\f) or as itself (DEL; C1 is \\xc2 then
    0x80-0x9f in UTF-8). Nearly every input holds no backslash, DEL nor \\xc2 at all: three
    scans in C, where walking the texts in Python cost several µs an input (the import checks
    each row). Skipped keys are looked at too: a yes then searches each value as the rule says."""
    if encoded is None:
        encoded = json_bytes(data)
    if encoded is None:  # what orjson refuses: look
        return True
    # The bytes as integers (backslash, DEL, 0xc2): memchr at once, where a bytes needle is
    # first tried as an integer, a TypeError raised and cleared (ten times the search).
    if 0x5C not in encoded and 0x7F not in encoded and 0xC2 not in encoded:
        return False
    return _CONTROL_IN_JSON.search(encoded) is not None


_CONTROL_IN_JSON = re.compile(rb"\\u00|\\[bf]|\x7f|\xc2[\x80-\x9f]")


def _as_null(value) -> None:
    return None


def spanish_list(items) -> str:
    """«a», «a y b», «a, b y c»: each item once, in its order."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " y " + unique[-1]


def clean_spaces(value: str | None) -> str:
    """Trim and collapse runs of whitespace (including non-breaking spaces from Excel)."""
    # str.split() splits on exactly what \s matches (str.isspace), several times faster than
    # the regular expression; the import cleans millions of cells.
    return " ".join(value.split()) if value else ""


def normalize_digits(value) -> str:
    """NFKC, before any document, phone or number is validated: full-width (４６１) and
    superscript (⁴⁶¹) digits become 0-9 and full-width letters ASCII, so a number typed any of
    those ways is one number for the uniqueness rules and the registry. Digits of other
    scripts (Arabic-Indic ٤٦١, Devanagari ४६१) are left as they are: the validators accept
    only [0-9] and refuse them (see has_other_digits)."""
    return unicodedata.normalize("NFKC", str(value or ""))


def has_other_digits(value: str) -> bool:
    """Whether `value` holds a digit that is not 0-9 (str.isdigit() and Decimal accept them)."""
    if value.isascii():  # the only ASCII digits are 0-9: no walk over the characters (most values)
        return False
    return any(ch.isdigit() and not "0" <= ch <= "9" for ch in value)


class _WithoutCombining(dict):
    """A str.translate() table that deletes combining characters (the accents NFKD splits off)
    and keeps every other one, filled in as characters first appear."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_WITHOUT_COMBINING = _WithoutCombining()


@lru_cache(maxsize=16_384)
def fold(value: str) -> str:
    """Lower-case and strip accents: 'Núñez' -> 'nunez'. For search keys."""
    # Memoised: a spreadsheet repeats its departamentos, provincias, types and kinds on every row.
    return _folded(value)


def _folded(value: str) -> str:
    """fold's answer, not memoised: for what is seen once (a name, a document, an e-mail), where
    the memory's miss costs three times the folding and evicts what repeats."""
    if value.isascii():  # nothing to strip (most text; the import folds hundreds of thousands)
        return value.lower()
    # translate() looks each character up in C: a fifth of the seed's Python time went to a
    # generator testing unicodedata.combining() character by character (bench/README.md).
    return unicodedata.normalize("NFKD", value.lower()).translate(_WITHOUT_COMBINING)


def sort_key(value: str) -> str:
    """Key that orders names the Spanish way under any collation (C.UTF-8 included):
    accents ignored, case ignored, ñ after n ('n~' sorts after every 'nz…' and before 'o')."""
    text = clean_spaces(value).lower().replace("ñ", "n~")
    return _folded(text)[:250]


def person_display_name(first_names: str, last_names: str) -> str:
    """'Quispe Mamani, Rosa Elena': surnames first, as Peruvian registries list people."""
    first, last = clean_spaces(first_names), clean_spaces(last_names)
    if first and last:
        return f"{last}, {first}"
    return last or first


# Words that open a compound surname and go with the word after them: "de la Cruz", "del
# Castillo", "de los Ríos", "San Martín".
_SURNAME_PARTICLES = frozenset({"de", "del", "la", "las", "los", "san"})


def split_person_name(full_name: str) -> tuple[str, str]:
    """(first names, last names) of a person's whole name written in one text, as files from
    other systems hold it (Odoo's «Nombre», ERPNext's «Customer Name», a list's «Cliente»).
    The inverse of person_display_name, by one rule:

    1. With a comma, the surnames before it: "Quispe Mamani, Rosa Elena" (this product's
       display name, and how RENIEC and SUNAT list a person).
    2. Without a comma and written in capitals, surnames first, SUNAT's and RENIEC's order:
       "QUISPE MAMANI ROSA ELENA" — the first two words are the surnames.
    3. Otherwise names first, as people write them: "Rosa Elena Quispe Mamani" — the last two
       words are the surnames.

    A word like "de", "del", "la", "los", "san" goes with the word after it ("María de la Cruz
    Pérez": surnames "de la Cruz Pérez"). Two words are one name and one surname; a single
    word is a name without surnames (the services then ask for them)."""
    text = clean_spaces(full_name)
    before, comma, after = text.partition(",")
    if comma and before.strip() and after.strip():
        return clean_spaces(after), clean_spaces(before)
    text = clean_spaces(text.replace(",", " "))
    groups, pending = [], []
    for word in text.split():
        pending.append(word)
        if word.lower() not in _SURNAME_PARTICLES:
            groups.append(" ".join(pending))
            pending = []
    if pending:  # a particle at the end ("Rosa de"): it stays with the word before it
        if groups:
            groups[-1] = " ".join([groups[-1], *pending])
        else:
            groups.append(" ".join(pending))
    if len(groups) <= 1:
        return text, ""
    surnames_first = text.upper() == text and text.lower() != text
    if len(groups) == 2:
        return (groups[1], groups[0]) if surnames_first else (groups[0], groups[1])
    if surnames_first:
        return " ".join(groups[2:]), " ".join(groups[:2])
    return " ".join(groups[:-2]), " ".join(groups[-2:])


# A legal form at the end of a name (Ley General de Sociedades, Ley 26887; E.I.R.L., D.L.
# 21621; and the usual foreign ones), dots and spaces optional: "Gloria S.A.", "Comercial Núñez
# SAC", "Acme Inc.".
_LEGAL_FORM = re.compile(
    r"(?:^|[\s,.])(?:s\.?\s?a\.?\s?c|s\.?\s?a\.?\s?a|s\.?\s?a|s\.?\s?r\.?\s?l|s\.?\s?c\.?\s?r\.?\s?l"
    r"|e\.?\s?i\.?\s?r\.?\s?l|inc|llc|ltd|ltda|gmbh|s\.?\s?l|s\.?\s?a\.? de c\.?\s?v|spa)\.?$",
    re.IGNORECASE,
)


def has_legal_form(name: str) -> bool:
    """Whether a name ends with a company's legal form (S.A.C., E.I.R.L., S.R.L., S.A., Inc.…)."""
    return _LEGAL_FORM.search(clean_spaces(name)) is not None


def phone_digits(e164: str) -> str:
    """The digits people type to find a phone: '+51987654321' -> '51987654321'; a Peruvian
    landline also as dialled at home with the trunk 0: '+5114445555' -> '5114445555 014445555'.
    String work only (no phonenumbers parsing): the seed writes a million of these."""
    number = e164.partition(";")[0]  # not the anexo
    if number[1:].isascii() and number[1:].isdigit() and number[:1] == "+":
        digits = number[1:]  # a stored number (E.164): what the walk below keeps, at once
    else:
        digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("51") and len(digits) > 2 and digits[2] != "9":
        return f"{digits} 0{digits[2:]}"
    return digits


def search_text(*, name: str, document_number: str, emails=(), phones=(), extra=()) -> str:
    """What the list's search box looks in (Customer.search_text): name, document, every
    e-mail, the phone digits and ``extra`` (already folded: text attribute values), folded,
    then the words of search_variants(). Single spaces separate the parts, and a search word
    never holds a space, so no word matches across two parts."""
    folded_document = _folded(document_number)
    parts = [_folded(clean_spaces(name)), folded_document]
    parts.extend(_folded(email) for email in emails)
    parts.extend(phone_digits(number) for number in phones)
    parts.extend(extra)
    text = " ".join(part for part in parts if part)
    return " ".join([text, *search_variants(text, document_number=folded_document)]).strip()


# Dotted initials ("S.A.C.", "E.I.R.L.", "ventas@a.b.c.pe"): "s.a.c" holds no three letters in
# a row, so the trigram index cannot look for it; the search column also holds them without the
# dots ("sac"), which the index can find, and the search re-checks the dotted form as typed.
# customers/migrations/0014_search_variants.py keeps its own copy of this rule.
# A run: (?<![^\W_])(?:[^\W_]\.)+[^\W_]\.?(?![^\W_]) — a letter or digit not preceded by one, a
# dot, more of them, the last one's dot optional. Written from its first dot (the letter before
# it, and that nothing alphanumeric precedes the letter, looked at behind), so that the engine
# jumps from dot to dot instead of trying the pattern at every character: half the time, the same
# runs (a test compares the two over many texts); the run is then taken from the letter on.
_INITIALS = re.compile(r"\.(?<=(?<![^\W_])[^\W_]\.)(?:[^\W_]\.)*[^\W_]\.?(?![^\W_])")
_NOT_ALNUM = re.compile(r"[\W_]+")


def search_variants(text: str, *, document_number: str) -> list[str]:
    """The extra words the search column holds so that what people type finds the customer,
    from the folded search text and document: every run of dotted initials without its dots
    ("s.a.c." -> "sac"), and a document with dashes or dots as bare letters and digits
    ("958-58-9998" -> "958589998": a term of digits and dashes is searched as digits, like a
    phone)."""
    variants = dotless_initials(text)
    compact = _NOT_ALNUM.sub("", document_number)
    if compact and compact != document_number:
        variants.append(compact)
    return variants


_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")


def search_words(term: str) -> list[str]:
    """The words of a search term, folded; all must be found. A term made only of digits and
    phone punctuation ('987 654 321', '(01) 444-5555') is one word of digits, so a phone or a
    document typed with spaces is found whole."""
    term = clean_spaces(term)
    if not term:
        return []
    if _PHONE_LIKE.match(term) and any(ch.isdigit() for ch in term):
        return ["".join(ch for ch in term if ch.isdigit())]
    words = []
    for word in fold(term).split(" "):
        if word and word not in words:
            words.append(word)
    return words


def dotless_initials(word: str) -> list[str]:
    """The runs of dotted initials in a search word as the search column also holds them
    ("s.a.c" -> ["sac"], "a.b.c.pe" -> ["abc"])."""
    return [word[match.start() - 1 : match.end()].replace(".", "") for match in _INITIALS.finditer(word)]
