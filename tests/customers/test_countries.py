"""Country names from CLDR (Babel), in Spanish as written in Peru."""

from customers.countries import country_choices, country_name, is_country


def test_country_names_are_cldrs_spanish_names():
    assert country_name("BF") == "Burkina Faso"
    assert country_name("CI") == "Costa de Marfil"
    assert country_name("DZ") == "Argelia"


def test_only_iso_countries_are_offered():
    codes = [code for code, _ in country_choices()]
    assert len(codes) == 249
    assert not {"EU", "UN", "ZZ", "XK"} & set(codes)
    assert is_country("PE") and not is_country("EU")


def test_countries_are_in_spanish_alphabetical_order():
    names = [name for _, name in country_choices()]
    assert names.index("Perú") < names.index("Polonia")
    assert names.index("Islas Åland") < names.index("Islas Caimán")  # Å sorts as A
