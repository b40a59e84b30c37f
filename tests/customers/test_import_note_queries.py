"""The import's notes name the related rows a file changes (tipo de documento, categoría, clase
de cliente) by the lookups the import reads once per file: its queries do not grow with the
rows, however many customers the file moves to another categoría."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attributes.models import AttributeDefinition
from customers.models import Category, Customer, CustomerClass, CustomerNote
from tests.customers.test_import import HEADERS, preview, run, xlsx
from tests.factories import make_company, make_person, valid_ruc
from tests.roles import user_with_role

COLUMNS = [*HEADERS, "Categoría", "Clase de cliente"]


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


@pytest.fixture
def lists(db):
    return SimpleLists(
        Category.objects.create(name="Frecuente"),
        Category.objects.create(name="Mayorista"),
        CustomerClass.objects.create(name="Bodega"),
        CustomerClass.objects.create(name="Cadena"),
    )


class SimpleLists:
    def __init__(self, old_category, new_category, old_class, new_class):
        self.old_category, self.new_category = old_category, new_category
        self.old_class, self.new_class = old_class, new_class


def _row(values: dict) -> list:
    return [values.get(h) for h in COLUMNS]


def _customers_and_file(count: int, lists, *, category="mayorista") -> tuple[list, list, bytes]:
    """`count` companies moved to another categoría (`category`) and clase, and `count` people
    without a document (matched by e-mail) that the file gives a RUC 10: three foreign keys per
    pair."""
    companies, people, rows = [], [], []
    for n in range(count):
        # Every other company has no clase yet: "—" on the old side.
        old_class = lists.old_class if n % 2 == 0 else None
        company = make_company(category=lists.old_category, customer_class=old_class)
        companies.append(company)
        rows.append(
            _row(
                {
                    "Tipo de cliente": "Empresa",
                    "Tipo de documento": "RUC",
                    "Número de documento": company.document_number,
                    "Razón social": company.business_name,
                    "Giro": company.business_line,
                    "Categoría": category,
                    "Clase de cliente": "CADENA",
                }
            )
        )
        person = make_person(document_number="", email=f"persona.{n}.{company.pk}@correo.pe")
        people.append(person)
        rows.append(
            _row(
                {
                    "Tipo de cliente": "Persona natural",
                    "Tipo de documento": "RUC",
                    "Número de documento": valid_ruc(person=True),
                    "Nombres": person.first_names,
                    "Apellidos": person.last_names,
                    "Correos electrónicos": person.email,
                    "Categoría": "frecuente",
                }
            )
        )
    return companies, people, xlsx(rows, headers=COLUMNS)


def _import_counting_queries(admin, content: bytes) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        job = run(admin, preview(admin, content))
    return len(captured), job


def test_an_import_changing_related_fields_makes_as_many_queries_for_3n_rows_as_for_n(admin, lists):
    few = _customers_and_file(4, lists)
    many = _customers_and_file(12, lists)
    # Warm what a process reads once (content types, permissions of the actor).
    _import_counting_queries(admin, _customers_and_file(1, lists)[2])

    queries_few, job_few = _import_counting_queries(admin, few[2])
    queries_many, job_many = _import_counting_queries(admin, many[2])

    assert (job_few.status, job_few.updated, job_many.status, job_many.updated) == ("terminada", 8, "terminada", 24)
    assert queries_many == queries_few


def test_the_import_note_names_the_old_and_new_related_rows(admin, lists):
    (with_class, without_class), (person, _), content = _customers_and_file(2, lists)
    job = run(admin, preview(admin, content, name="abril.xlsx"))
    assert (job.status, job.updated) == ("terminada", 4), (job.message, job.errors)

    note = CustomerNote.objects.get(customer=with_class, kind="importado").text.splitlines()
    assert note == [
        "Actualizado por importación de abril.xlsx.",
        "Categoría: Frecuente → Mayorista",
        "Clase de cliente: Bodega → Cadena",
    ]
    note = CustomerNote.objects.get(customer=without_class, kind="importado").text.splitlines()
    assert note[1:] == ["Categoría: Frecuente → Mayorista", "Clase de cliente: — → Cadena"]

    person = Customer.objects.get(pk=person.pk)
    note = CustomerNote.objects.get(customer=person, kind="importado").text.splitlines()
    assert note[1:] == [
        "Tipo de documento: DNI → RUC",
        f"Número de documento: — → {person.document_number}",
        "Categoría: — → Frecuente",
    ]


def test_customers_in_a_categoria_whose_name_folds_like_another_cost_no_query_per_row(admin, lists):
    # "MAYORÍSTA" reads as "mayorista" to the file's matching, which names the other one; the
    # customers filed under it keep it (the file leaves the categoría empty) and are read from
    # the file's lookups, not one by one.
    lists.old_category = Category.objects.create(name="MAYORÍSTA")
    _import_counting_queries(admin, _customers_and_file(1, lists, category="")[2])
    queries_few, _ = _import_counting_queries(admin, _customers_and_file(4, lists, category="")[2])
    (company, *_), _, content = _customers_and_file(12, lists, category="")
    queries_many, job = _import_counting_queries(admin, content)
    assert (job.status, job.updated, queries_many) == ("terminada", 24, queries_few)
    company.refresh_from_db()
    assert company.category == lists.old_category
    note = CustomerNote.objects.get(customer=company, kind="importado").text.splitlines()
    assert note[1:] == ["Clase de cliente: Bodega → Cadena"]


def test_an_import_changing_an_atributo_adicional_makes_as_many_queries_for_3n_rows_as_for_n(admin):
    # Not a foreign key, but the note names the attribute by its definition, read per row too.
    level = AttributeDefinition.objects.create(name="Nivel", kind="lista", options=["Oro", "Plata"], position=1)

    def customers_and_file(count: int):
        companies = [make_company(attributes={level.key: "Oro"}) for _ in range(count)]
        rows = [
            [
                *_row(
                    {
                        "Tipo de cliente": "Empresa",
                        "Tipo de documento": "RUC",
                        "Número de documento": c.document_number,
                        "Razón social": c.business_name,
                        "Giro": c.business_line,
                    }
                ),
                "Plata",
            ]
            for c in companies
        ]
        return companies, xlsx(rows, headers=[*COLUMNS, "Nivel"])

    _import_counting_queries(admin, customers_and_file(1)[1])
    queries_few, _ = _import_counting_queries(admin, customers_and_file(4)[1])
    companies, content = customers_and_file(12)
    queries_many, job = _import_counting_queries(admin, content)
    assert (job.status, job.updated, queries_many) == ("terminada", 12, queries_few)
    note = CustomerNote.objects.get(customer=companies[0], kind="importado").text.splitlines()
    assert note[1:] == ["Nivel: Oro → Plata"]
