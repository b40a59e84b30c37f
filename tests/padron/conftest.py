"""Padrón files for the tests: small, written by padron.sample like the benchmark's."""

import pytest

from padron.sample import padron_line, write_padron

# Real taxpayers' RUCs (valid check digits) with made-up lines.
GLORIA = "20100070970"
ALICORP = "20100055237"
PERSON = "10072567094"


def standard_lines():
    return [
        padron_line(
            GLORIA,
            "GLORIA S A",
            "ACTIVO",
            "HABIDO",
            "150115",
            "AV.",
            "REPUBLICA DE PANAMA",
            "URB.",
            "SANTA CATALINA",
            "2461",
        ),
        padron_line(
            ALICORP, "ALICORP SAA", "BAJA DE OFICIO", "NO HABIDO", "150101", "AV.", "ARGENTINA", "-", "-", "4793"
        ),
        padron_line(
            PERSON,
            "QUISPE MUÑOZ ROSA ELENA",
            "ACTIVO",
            "HABIDO",
            "080108",
            "-",
            "-",
            "P.J.",
            "SANTA ROSA",
            "-",
            "-",
            "5",
            "-",
            "C",
        ),
    ]


@pytest.fixture
def padron_path(tmp_path):
    """write(lines=None, name="padron.txt", **options) -> path of a padrón file."""

    def write(lines=None, name="padron_reducido_ruc.txt", **options):
        path = tmp_path / name
        write_padron(path, standard_lines() if lines is None else lines, **options)
        return path

    return write
