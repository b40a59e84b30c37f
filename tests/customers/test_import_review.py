"""The preview lists what the import will do: each customer it updates with its changes
(antes → después) and each customer it creates, a page at a time, for the job's owner, with
only the columns the viewer may see, in a bounded number of queries."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attributes.models import AttributeDefinition
from credit.models import CreditAccount
from customers import import_review, importing
from tests.customers.test_import import HEADERS, company, xlsx
from tests.factories import make_company, valid_ruc
from tests.roles import user_with_role

PHONES = "Teléfonos"
CUPO = "Cupo de crédito"


def preview(actor, content):
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile("clientes.xlsx", content))
    return importing.preview_import(job.pk)


def page(client, job, query=""):
    response = client.get(reverse("customers:import_detail", args=[job.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags out and spaces folded, as a user reads them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def test_an_update_shows_each_change_before_and_after(client, admin):
    existing = make_company(business_name="Gloria S.A.", business_line="Lácteos", phone="+5114707170")
    row = [*company(ruc=existing.document_number, name="Gloria S.A.", Giro="Bebidas"), "987654321"]
    job = preview(admin, xlsx([row], [*HEADERS, PHONES]))
    assert job.to_update == 1, job.errors
    client.force_login(admin)
    words = text(page(client, job))
    assert "Clientes que se actualizarán 1" in words
    assert "Giro: Lácteos → Bebidas" in words
    assert "Teléfono: (01) 470 7170 → 987 654 321" in words
    assert f"RUC {existing.document_number}" in words
    assert reverse("customers:detail", args=[existing.pk]) in page(client, job)


def test_the_changes_read_as_the_note_the_import_leaves(client, admin):
    since = AttributeDefinition.objects.create(name="Cliente desde", kind="fecha", position=1)
    existing = make_company(business_name="Gloria S.A.", business_line="Lácteos", phone="+5114707170")
    row = company(
        ruc=existing.document_number,
        name="Gloria S.A.",
        Giro="Bebidas",
        Dirección="Jr. Unión 5",
        **{"Correos electrónicos": "pagos@gloria.pe, ventas@gloria.pe"},
    )
    job = preview(admin, xlsx([[*row, "987654321", "PRO", "15/03/2024"]], [*HEADERS, PHONES, "Categoría", since.name]))
    _, (shown,) = import_review.update_page(job, page=1, user=admin)
    job = importing.run_import(importing.confirm_import(actor=admin, job=job, mode="todo").pk)
    note = existing.notes.get(kind="importado").text.splitlines()[1:]
    assert [f"{label}: {change}" for label, change in shown.changes] == note
    for line in (
        "Dirección principal: — → Jr. Unión 5, Miraflores",
        "Categoría: — → PRO",
        "Cliente desde: — → 15/03/2024",
        "Teléfono: (01) 470 7170 → 987 654 321",
    ):
        assert line in note
    assert any(line.startswith("Correos electrónicos: ") for line in note)


def test_the_rows_to_create_are_listed(client, admin):
    ruc = valid_ruc()
    job = preview(admin, xlsx([company(ruc=ruc, name="Nueva S.A.C.")], HEADERS))
    client.force_login(admin)
    words = text(page(client, job))
    assert "Clientes que se crearán 1" in words
    assert f"Nueva S.A.C. Empresa RUC {ruc}" in words
    assert "Av. Larco 123, Miraflores" in words


def test_the_lists_are_paginated(client, admin, monkeypatch):
    monkeypatch.setattr(import_review, "PAGE_SIZE", 2)
    customers = [make_company(business_line="Lácteos") for _ in range(3)]
    rows = [company(ruc=c.document_number, name=c.business_name, Giro=f"Giro {i}") for i, c in enumerate(customers)]
    rows += [company(name=f"Nueva {i} S.A.C.") for i in range(5)]
    job = preview(admin, xlsx(rows, HEADERS))
    assert (job.to_update, job.to_create) == (3, 5), job.errors
    client.force_login(admin)
    first = text(page(client, job))
    assert "Giro 0" in first and "Giro 1" in first and "Giro 2" not in first
    assert "Clientes 1–2 de 3 · página 1 de 2" in first and "Clientes 1–2 de 5 · página 1 de 3" in first
    second = text(page(client, job, "?actualizar=2&crear=3"))
    assert "Giro 2" in second and "Giro 0" not in second and "Cliente 3 de 3 · página 2 de 2" in second
    assert "Nueva 4 S.A.C." in second and "Nueva 0 S.A.C." not in second
    assert "?actualizar=1&amp;crear=3#import-updates" in page(client, job, "?actualizar=2&crear=3")


def test_another_users_job_shows_nothing(client, admin):
    existing = make_company(business_line="Lácteos")
    job = preview(admin, xlsx([company(ruc=existing.document_number, Giro="Bebidas")], HEADERS))
    other = user_with_role("Ventas")
    other.user_permissions.add(Permission.objects.get(codename="import_customer"))
    client.force_login(other)
    response = client.get(reverse("customers:import_detail", args=[job.pk]))
    assert response.status_code == 404 and "Bebidas" not in response.content.decode()


def test_credit_changes_are_shown_only_to_who_may_see_credit(client, db):
    importer = get_user_model().objects.create_user(username="importa")
    codenames = ["view_customer", "add_customer", "change_customer", "import_customer"]
    credit = ["view_creditaccount", "change_creditaccount"]
    importer.user_permissions.add(*Permission.objects.filter(codename__in=codenames + credit))
    existing = make_company(business_line="Lácteos")
    CreditAccount.objects.create(customer=existing, credit_limit=Decimal("1000"))
    row = [*company(ruc=existing.document_number, name=existing.business_name, Giro="Bebidas"), 1500]
    job = preview(importer, xlsx([row, [*company(name="Nueva S.A.C."), 700]], [*HEADERS, CUPO]))
    assert (job.to_update, job.to_create) == (1, 1), job.errors
    client.force_login(importer)
    words = text(page(client, job))
    assert "Cupo de crédito: S/ 1,000.00 → S/ 1,500.00" in words
    assert "Cupo de crédito: S/ 700.00" in words

    importer.user_permissions.remove(*Permission.objects.filter(codename__in=credit))
    words = text(page(client, job))
    assert "Giro: Lácteos → Bebidas" in words
    assert "Cupo de crédito:" not in words and "1,500" not in words and "S/ 700" not in words


def test_a_page_of_changes_costs_the_same_queries_for_2_rows_as_for_50(client, admin):
    def rows(count):
        customers = [make_company(business_line="Lácteos", phone="+5114707170") for _ in range(count)]
        for customer in customers:
            CreditAccount.objects.create(customer=customer, credit_limit=Decimal("1000"))
        return [
            [*company(ruc=c.document_number, name=c.business_name, Giro="Bebidas"), "987654321", 2000]
            for c in customers
        ] + [[*company(), "912345678", 100] for _ in range(count)]

    def queries(job):
        with CaptureQueriesContext(connection) as captured:
            page(client, job)
        return len(captured)

    client.force_login(admin)
    small = preview(admin, xlsx(rows(2), [*HEADERS, PHONES, CUPO]))
    large = preview(admin, xlsx(rows(50), [*HEADERS, PHONES, CUPO]))
    assert (large.to_update, large.to_create) == (50, 50), large.errors
    assert queries(large) == queries(small)


def test_a_preview_whose_staged_rows_went_says_so(client, admin):
    existing = make_company(business_line="Lácteos")
    job = preview(admin, xlsx([company(ruc=existing.document_number, Giro="Bebidas")], HEADERS))
    job.checked_rules = {**job.checked_rules, "staged": False}  # import_staging.discard_stale, a day later
    job.save(update_fields=["checked_rules"])
    client.force_login(admin)
    words = text(page(client, job))
    assert "ya no está disponible" in words and "Clientes que se actualizarán" not in words


def test_a_customer_moved_to_the_papelera_after_the_preview_is_not_listed_as_updated(client, admin):
    from customers.services.lifecycle import trash_customer

    existing = make_company(business_name="Gloria S.A.", business_line="Lácteos")
    job = preview(admin, xlsx([company(ruc=existing.document_number, name="Gloria S.A.", Giro="Bebidas")]))
    assert job.to_update == 1, job.errors
    trash_customer(actor=admin, customer=existing)
    client.force_login(admin)
    # The confirm refuses its row (it changed since the preview): the list says so, not the changes.
    client.force_login(admin)
    html = page(client, job)
    words = text(html)
    assert "Giro: Lácteos → Bebidas" not in words
    assert (
        "Gloria S.A. RUC " + existing.document_number + " Se movió a la Papelera después de la vista previa: esta "
        "fila no se importará (restáurelo y suba el archivo de nuevo)."
    ) in words
    assert reverse("customers:detail", args=[existing.pk]) not in html
