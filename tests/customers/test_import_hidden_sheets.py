"""Which sheet holds the customers when none is named Clientes: the first one a person sees —
a hidden sheet before it (a lookup table some workbooks keep out of sight) is not it."""

import io

import pytest
from openpyxl import Workbook

from tests.customers.test_import import HEADERS, company, preview
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def _book(hidden_first: bool) -> bytes:
    workbook = Workbook()
    lookup = workbook.active
    lookup.title = "Datos"
    lookup.append(["Código", "Vendedor"])
    lookup.append(["V01", "Ana"])
    if hidden_first:
        lookup.sheet_state = "hidden"
    sheet = workbook.create_sheet("Hoja1")
    sheet.append(HEADERS)
    sheet.append(company())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_hidden_sheet_before_the_customers_is_not_taken_for_them(admin):
    job = preview(admin, _book(hidden_first=True))
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 0), (job.message, job.errors)


def test_a_visible_first_sheet_is_still_the_one_read(admin):
    job = preview(admin, _book(hidden_first=False))
    assert job.to_create == 0 and job.status in ("columnas", "rechazada")
