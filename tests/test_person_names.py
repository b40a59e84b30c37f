"""peru.text.split_person_name and has_legal_form: a whole name written in one cell, as other
systems' files hold it, read as the services store a person or a company."""

import pytest

from peru.text import has_legal_form, person_display_name, split_person_name


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        # With a comma: surnames before it (our display name, RENIEC's and SUNAT's listing).
        ("Quispe Mamani, Rosa Elena", "Rosa Elena", "Quispe Mamani"),
        ("MAMANI CONDORI, JUAN CARLOS", "JUAN CARLOS", "MAMANI CONDORI"),
        # In capitals without a comma: SUNAT's and RENIEC's order, the first two words.
        ("QUISPE MAMANI ROSA ELENA", "ROSA ELENA", "QUISPE MAMANI"),
        ("PEREZ JUAN", "JUAN", "PEREZ"),
        # Otherwise names first, the last two words.
        ("Rosa Elena Quispe Mamani", "Rosa Elena", "Quispe Mamani"),
        ("Rosa Quispe Mamani", "Rosa", "Quispe Mamani"),
        ("Juan Pérez", "Juan", "Pérez"),
        # Compound surnames stay whole.
        ("María de la Cruz Pérez", "María", "de la Cruz Pérez"),
        ("DE LA CRUZ PEREZ MARIA", "MARIA", "DE LA CRUZ PEREZ"),
        ("Juan San Martín Pérez", "Juan", "San Martín Pérez"),
        # One word: names without surnames (the services ask for them).
        ("Rosa", "Rosa", ""),
        ("  Rosa   Elena  Quispe  Mamani ", "Rosa Elena", "Quispe Mamani"),
    ],
)
def test_a_whole_name_is_split_by_one_rule(full, first, last):
    assert split_person_name(full) == (first, last)


def test_the_split_undoes_the_display_name():
    assert split_person_name(person_display_name("Rosa Elena", "Quispe Mamani")) == ("Rosa Elena", "Quispe Mamani")


@pytest.mark.parametrize(
    ("name", "company"),
    [
        ("Gloria S.A.", True),
        ("Comercial Núñez SAC", True),
        ("TRANSPORTES EL RÁPIDO E.I.R.L.", True),
        ("Inversiones S. R. L.", True),
        ("Acme Inc.", True),
        ("Ferretería El Sol", False),
        ("Juan Salas", False),
        ("Rosa Casa", False),
    ],
)
def test_a_legal_form_at_the_end_of_a_name(name, company):
    assert has_legal_form(name) is company
