"""Text normalisation shared by the services, the seed command and the import."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean_spaces(value: str | None) -> str:
    """Trim and collapse runs of whitespace (including non-breaking spaces from Excel)."""
    return _SPACES.sub(" ", value or "").strip()


def fold(value: str) -> str:
    """Lower-case and strip accents: 'Núñez' -> 'nunez'. For search keys."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def sort_key(value: str) -> str:
    """Key that orders names the Spanish way under any collation (C.UTF-8 included):
    accents ignored, case ignored, ñ after n ('n~' sorts after every 'nz…' and before 'o')."""
    text = clean_spaces(value).lower().replace("ñ", "n~")
    return fold(text)[:250]


def person_display_name(first_names: str, last_names: str) -> str:
    """'Quispe Mamani, Rosa Elena': surnames first, as Peruvian registries list people."""
    first, last = clean_spaces(first_names), clean_spaces(last_names)
    if first and last:
        return f"{last}, {first}"
    return last or first
