"""What new users' real spreadsheets found in the import (issue 17's outside walk): the short
names people write for districts, a RUC 10 in a «Razón social» column, other systems' credit
columns, amounts written in either convention, and a company's address a file lacks."""

import pytest

from customers.models import Customer
from tests.customers.test_import import HEADERS, company, preview, run, xlsx
from tests.factories import valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def errors_of(job) -> list:
    return [error[:3] for error in job.errors]


# --- 1. «Surco» ---------------------------------------------------------------------------------


def test_surco_in_the_provincia_of_lima_is_santiago_de_surco(admin):
    # People in Lima write «Surco» for Santiago de Surco (150140); Surco (150732) is Huarochirí's.
    lima, huarochiri = valid_ruc(), valid_ruc()
    rows = [company(ruc=lima, Distrito="Surco"), company(ruc=huarochiri, Provincia="Huarochirí", Distrito="Surco")]
    job = run(admin, preview(admin, xlsx(rows)))
    assert job.created == 2, job.errors
    assert Customer.objects.get(document_number=lima).addresses.get().district_id == "150140"
    assert Customer.objects.get(document_number=huarochiri).addresses.get().district_id == "150732"


@pytest.mark.parametrize("department", ["Lima", None])
def test_surco_without_its_provincia_names_both_districts_and_guesses_neither(admin, department):
    job = preview(admin, xlsx([company(Departamento=department, Provincia=None, Distrito="Surco")]))
    assert errors_of(job) == [
        [
            2,
            "Distrito",
            "Hay 2 distritos «Surco»: Santiago de Surco (provincia Lima, ubigeo 150140) y Surco (provincia "
            "Huarochirí, ubigeo 150732); escriba la provincia o el ubigeo.",
        ]
    ]
    assert job.to_create == 0


def test_a_short_name_with_namesakes_elsewhere_is_read_by_its_departamento(admin):
    # «Magdalena»: Magdalena del Mar in Lima; districts named Magdalena in Amazonas and Cajamarca.
    ruc = valid_ruc()
    job = run(admin, preview(admin, xlsx([company(ruc=ruc, Provincia=None, Distrito="MAGDALENA")])))
    assert job.created == 1, job.errors
    assert Customer.objects.get(document_number=ruc).addresses.get().district_id == "150120"
