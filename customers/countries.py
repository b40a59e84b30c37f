"""Countries (ISO 3166-1 alpha-2) with Spanish names, from the pycountry package."""

import gettext
from functools import cache

import pycountry

from peru.text import sort_key


@cache
def country_choices() -> list[tuple[str, str]]:
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    names = [(c.alpha_2, spanish.gettext(c.name)) for c in pycountry.countries]
    return sorted(names, key=lambda item: sort_key(item[1]))


def country_name(code: str) -> str:
    return dict(country_choices()).get(code, code)


def is_country(code: str) -> bool:
    return code in dict(country_choices())
