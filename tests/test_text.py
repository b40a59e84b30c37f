"""peru.text.fold: the search keys' folding, character by character."""

import sys
import unicodedata

from peru.text import fold


def test_fold_strips_accents_and_keeps_the_letters():
    assert fold("Núñez PEÑA Ángela Güémez") == "nunez pena angela guemez"


def test_fold_deletes_exactly_the_combining_characters_of_every_code_point():
    # The rule written out, over every code point (surrogates cannot be normalized alone).
    text = "".join(chr(code) for code in range(0x80, sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    decomposed = unicodedata.normalize("NFKD", text.lower())
    assert fold(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))
