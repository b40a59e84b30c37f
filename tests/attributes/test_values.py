"""Each type's valid and invalid values (attributes.values), and the text round trip the
future import/export relies on."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from attributes import values
from attributes.models import AttributeDefinition


def definition(kind, **kw):
    kw.setdefault("options", ["Oro", "Plata", "Bronce"] if kind in ("lista", "multiple") else [])
    return AttributeDefinition(pk=7, name="Prueba", kind=kind, **kw)


VALID = [
    ("texto", "  Juan   Pérez ", "Juan Pérez"),
    ("texto_largo", "Línea 1\nLínea 2 ", "Línea 1\nLínea 2"),
    ("entero", "1,234", 1234),
    ("entero", 42.0, 42),
    ("entero", "-7", -7),
    ("decimal", "1234.50", 1234.5),
    ("decimal", "10", 10),
    ("decimal", Decimal("0.0001"), 0.0001),
    # Typed as people in Peru type them, the rule of money (peru.numbers): a decimal comma where
    # it can only be one, dots that can only group thousands.
    ("decimal", "1500,50", 1500.5),
    ("decimal", "1.500,50", 1500.5),
    ("decimal", "1,5", 1.5),
    ("decimal", "1,500.50", 1500.5),
    ("entero", "1.234.567", 1234567),
    # Three decimals after up to three digits, written so that they read back (decimal_text).
    ("decimal", "1.2340", 1.234),
    ("decimal", 12.5, 12.5),
    ("fecha", "25/12/2024", "2024-12-25"),
    ("fecha", "2024-12-25", "2024-12-25"),
    ("fecha", date(2024, 1, 5), "2024-01-05"),
    ("si_no", "Sí", True),
    ("si_no", "no", False),
    ("si_no", True, True),
    ("lista", "plata", "Plata"),
    ("multiple", "bronce; Oro", ["Oro", "Bronce"]),
    ("multiple", ["Plata"], ["Plata"]),
    ("email", " Ventas@Empresa.PE ", "ventas@empresa.pe"),
    ("telefono", "987 654 321", "+51987654321"),
    ("url", "www.empresa.pe", "https://www.empresa.pe"),
    ("dni", "12345678", "12345678"),
    ("dni", 12345678.0, "12345678"),
    ("ruc", "20100070970", "20100070970"),
]


@pytest.mark.parametrize(("kind", "raw", "stored"), VALID)
def test_a_valid_value_is_stored_json_native(kind, raw, stored):
    assert values.parse_value(definition(kind), raw) == stored


INVALID = [
    ("texto", "x" * 201, "Máximo 200 caracteres"),
    ("texto_largo", "x" * 5001, "Máximo 5000 caracteres"),
    ("entero", "12.5", "número entero"),
    ("entero", "doce", "no es un número"),
    ("entero", "1" * 16, "demasiado grande"),
    # «2.000»: two thousand to one person, two to another — refused, naming both readings.
    ("decimal", "2.000", "«2.000» es ambiguo: escriba 2,000 si son miles o 2 si no"),
    ("entero", "12.500", "«12.500» es ambiguo: escriba 12,500 si son miles o 12.5 si no"),
    ("decimal", "1.234", "escriba 1,234 si son miles o 1.2340 si no"),
    # "1,50" is 1.5, not 150: no integer.
    ("entero", "1,50", "número entero"),
    ("decimal", "1,2,3", "coma solo para los miles"),
    ("entero", "12,34,567", "coma solo para los miles"),
    ("decimal", "1.23456", "Máximo 4 decimales"),
    ("decimal", "abc", "no es un número"),
    ("fecha", "31/02/2024", "no es una fecha válida"),
    ("fecha", "mañana", "no es una fecha válida"),
    ("fecha", "01/01/1800", "entre 1900 y 2100"),
    ("si_no", "quizás", "no es sí ni no"),
    ("lista", "Cobre", "no es una de las opciones"),
    ("lista", ["Oro", "Plata"], "una sola opción"),
    ("multiple", "Oro; Cobre", "no es una de las opciones"),
    ("email", "ventas@", "no es un correo electrónico válido"),
    ("telefono", "12", "no es un teléfono válido"),
    ("url", "no es url", "no es una dirección web válida"),
    ("dni", "1234567", "8 dígitos"),
    ("dni", "1234567A", "solo puede tener números"),
    ("ruc", "20100070971", "dígito verificador"),
    ("ruc", "30100070970", "debe empezar con"),
]


@pytest.mark.parametrize(("kind", "raw", "message"), INVALID)
def test_an_invalid_value_is_a_spanish_message(kind, raw, message):
    with pytest.raises(ValidationError) as info:
        values.parse_value(definition(kind), raw)
    assert message in " ".join(info.value.messages)


def test_numbers_respect_the_definitions_range():
    ranged = definition("entero", min_value=Decimal(1), max_value=Decimal(10))
    assert values.parse_value(ranged, "10") == 10
    with pytest.raises(ValidationError, match="mayor o igual a 1"):
        values.parse_value(ranged, "0")
    with pytest.raises(ValidationError, match="menor o igual a 10"):
        values.parse_value(ranged, "11")


@pytest.mark.parametrize("raw", [None, "", "   ", [], ["", " "]])
def test_empty_input_is_no_value(raw):
    assert values.parse_value(definition("texto"), raw) is None


@pytest.mark.parametrize(("kind", "raw", "stored"), VALID)
def test_the_formatted_text_reads_back_to_the_same_value(kind, raw, stored):
    d = definition(kind)
    assert values.parse_value(d, values.format_value(d, stored)) == stored


def test_values_are_shown_the_peruvian_way():
    assert values.format_value(definition("fecha"), "2024-12-25") == "25/12/2024"
    assert values.format_value(definition("si_no"), False) == "No"
    assert values.format_value(definition("decimal"), 1234.5) == "1234.5"
    assert values.format_value(definition("decimal"), 1.234) == "1.2340"
    assert values.format_value(definition("decimal"), 0.125) == "0.125"
    assert values.format_value(definition("multiple"), ["Oro", "Bronce"]) == "Oro; Bronce"
    assert values.format_value(definition("telefono"), "+51987654321") == "987 654 321"


def test_decimals_read_back_exactly():
    d = definition("decimal")
    stored = values.parse_value(d, "12345678901.2345")
    assert values.to_python(d, stored) == Decimal("12345678901.2345")
