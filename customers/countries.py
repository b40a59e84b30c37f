"""Countries (ISO 3166-1 alpha-2) with their Spanish names from CLDR, through Babel.

CLDR is the Unicode consortium's locale data, kept by native speakers: "Burkina Faso",
"Costa de Marfil", "Argelia" (pycountry's Spanish translations had "Burquina Faso", "Costa
de Marfíl", "Algeria"). The locale is es_PE, which inherits the Latin American names (es_419).
"""

from functools import cache

from babel import Locale

from peru.text import sort_key

# Codes CLDR names that are not ISO 3166-1 countries: exceptionally reserved or user-assigned
# codes (Ascensión, Clipperton, Diego García, Ceuta y Melilla, Canarias, Tristán de Acuña,
# Unión Europea, Eurozona, Naciones Unidas, Kosovo), CLDR's own (QO, XA, XB) and "unknown" (ZZ).
_NOT_ISO_3166 = {"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}


@cache
def country_choices() -> list[tuple[str, str]]:
    territories = Locale("es", "PE").territories
    names = [
        (code, name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
    ]
    return sorted(names, key=lambda item: sort_key(item[1]))


def country_name(code: str) -> str:
    return dict(country_choices()).get(code, code)


def is_country(code: str) -> bool:
    return code in dict(country_choices())
