"""Cupo de crédito, lista de precios and forma de pago as columns of the customer spreadsheet:
credit registers them in customers' column registry; the import cleans them with the
Condiciones de venta rules and writes them set-based with history and notes; the export and
the template carry them."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from credit.models import CreditAccount, PaymentTerm, PriceList
from customers import importing
from customers.models import CustomerNote
from tests.customers.test_import import HEADERS, company
from tests.factories import make_company, valid_ruc
from tests.roles import user_with_role

CREDIT = ["Cupo de crédito", "Lista de precios", "Forma de pago"]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Clientes"
    sheet.append([*HEADERS, *CREDIT])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(actor, content):
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile("credito.xlsx", content))
    return importing.preview_import(job.pk)


def run(actor, job, mode="todo"):
    return importing.run_import(importing.confirm_import(actor=actor, job=job, mode=mode).pk)


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def test_a_new_customer_comes_with_its_credit_conditions(admin):
    ruc = valid_ruc()
    job = run(admin, preview(admin, xlsx([[*company(ruc=ruc), "S/ 2,500.50", "lista general", "Crédito 30 días"]])))
    assert (job.status, job.created) == ("terminada", 1), (job.message, job.errors)
    account = CreditAccount.objects.get(customer__document_number=ruc)
    assert account.credit_limit == Decimal("2500.50")
    assert account.price_list == PriceList.objects.get(name="Lista general")
    assert account.payment_term == PaymentTerm.objects.get(name="Crédito 30 días")
    assert account.history.filter(history_type="~", history_user=admin).count() == 1
    note = CustomerNote.objects.get(customer=account.customer, kind=CustomerNote.Kind.CREDIT_LIMIT)
    assert note.text == "Cupo de crédito: sin crédito → S/ 2,500.50."


def test_a_row_that_only_changes_the_cupo_updates_the_customer(admin):
    existing = make_company()
    CreditAccount.objects.create(customer=existing, credit_limit=Decimal("1000"))
    row = company(ruc=existing.document_number, name=existing.business_name, Giro=existing.business_line)
    job = preview(admin, xlsx([[*row, 1500, "", ""]]))  # a number cell: a float to the reader
    assert (job.to_update, job.unchanged, job.error_rows) == (1, 0, 0), job.errors
    job = run(admin, job)
    assert CreditAccount.objects.get(customer=existing).credit_limit == Decimal("1500")
    note = CustomerNote.objects.get(customer=existing, kind="importado").text
    assert "Cupo de crédito: S/ 1,000.00 → S/ 1,500.00" in note

    again = preview(admin, xlsx([[*row, 1500, "", ""]]))
    assert (again.to_update, again.unchanged) == (0, 1)


def test_bad_credit_cells_are_errors_of_their_column(admin):
    PaymentTerm.objects.filter(name="Tarjeta").update(is_active=False)
    job = preview(
        admin,
        xlsx(
            [
                [*company(), "-5", "", ""],
                [*company(), "", "Mayorista", ""],
                [*company(), "", "", "Tarjeta"],
            ]
        ),
    )
    errors = {(row, column): message for row, column, message, _ in job.errors}
    assert "no puede ser negativo" in errors[(2, "Cupo de crédito")]
    assert "no existe" in errors[(3, "Lista de precios")]
    assert "desactivada" in errors[(4, "Forma de pago")]
    assert job.to_create == 0


def test_credit_cells_need_the_credit_permission(admin):
    importer = user_with_role("Ventas")
    from django.contrib.auth.models import Permission

    importer.user_permissions.add(Permission.objects.get(codename="import_customer"))
    job = preview(importer, xlsx([[*company(), "100", "", ""], [*company(), "", "", ""]]))
    assert job.error_rows == 1 and job.to_create == 1
    assert job.errors[0][1] == "Cupo de crédito" and "permiso" in job.errors[0][2]


def test_the_export_and_the_template_carry_the_credit_columns(client, admin):
    customer = make_company()
    CreditAccount.objects.create(
        customer=customer, credit_limit=Decimal("750.00"), price_list=PriceList.objects.get(name="Lista general")
    )
    client.force_login(admin)
    body = b"".join(client.get(reverse("customers:export") + "?formato=csv").streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [rows[0].index(h) for h in CREDIT] == [rows[0].index("Cupo de crédito") + i for i in range(3)]
    line = rows[1]
    assert [line[rows[0].index(h)] for h in CREDIT] == ["750.00", "Lista general", ""]

    template = load_workbook(io.BytesIO(client.get(reverse("customers:import_template")).content))
    headers = [c.value for c in template["Clientes"][1]]
    assert all(h in headers for h in CREDIT)


def test_the_export_leaves_out_credit_for_who_may_not_see_it(client, db):
    make_company()
    user = user_with_role("Ventas")
    from django.contrib.auth.models import Permission

    user.user_permissions.remove(*Permission.objects.filter(codename="view_creditaccount"))
    user.groups.first().permissions.remove(*Permission.objects.filter(codename="view_creditaccount"))
    client.force_login(user)
    body = b"".join(client.get(reverse("customers:export") + "?formato=csv").streaming_content)
    assert "Cupo de crédito" not in body.decode("utf-8-sig").splitlines()[0]


def test_changing_the_lista_de_precios_and_forma_de_pago_of_3n_rows_makes_as_many_queries_as_of_n(admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wholesale = PriceList.objects.create(name="Mayorista")

    def customers_and_file(count: int):
        companies = [make_company() for _ in range(count)]
        for customer in companies:
            CreditAccount.objects.create(
                customer=customer,
                price_list=PriceList.objects.get(name="Lista general"),
                payment_term=PaymentTerm.objects.get(name="Contado"),
            )
        rows = [
            [*company(ruc=c.document_number, name=c.business_name, Giro=c.business_line), "", "mayorista", "Tarjeta"]
            for c in companies
        ]
        return companies, xlsx(rows)

    def counted(content):
        with CaptureQueriesContext(connection) as captured:
            job = run(admin, preview(admin, content))
        return len(captured), job

    counted(customers_and_file(1)[1])  # what a process reads once
    few, _ = counted(customers_and_file(4)[1])
    companies, content = customers_and_file(12)
    many, job = counted(content)
    assert (job.status, job.updated, many) == ("terminada", 12, few)
    assert CreditAccount.objects.get(customer=companies[0]).price_list == wholesale
    note = CustomerNote.objects.get(customer=companies[0], kind="importado").text
    assert "Lista de precios: Lista general → Mayorista" in note
    assert "Forma de pago: Contado → Tarjeta" in note


def test_the_excel_export_with_amounts_and_dates_as_numbers_imports_back_unchanged(client, admin):
    from attributes.models import AttributeDefinition

    since = AttributeDefinition.objects.create(name="Desde", kind="fecha", position=1)
    amount = AttributeDefinition.objects.create(name="Monto", kind="decimal", position=2)
    count = AttributeDefinition.objects.create(name="Visitas", kind="entero", position=3)
    customer = make_company(attributes={since.key: "2024-03-15", amount.key: 1500.5, count.key: 12})
    CreditAccount.objects.create(
        customer=customer, credit_limit=Decimal("2500.50"), price_list=PriceList.objects.get(name="Lista general")
    )
    client.force_login(admin)
    content = b"".join(client.get(reverse("customers:export") + "?formato=xlsx").streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    row = {header.value: cell.value for header, cell in zip(sheet[1], sheet[2], strict=True)}
    assert (row["Cupo de crédito"], row["Monto"], row["Visitas"]) == (2500.5, 1500.5, 12)
    assert row["Desde"].date().isoformat() == "2024-03-15"

    job = importing.preview_import(
        importing.start_import(actor=admin, upload=SimpleUploadedFile("export.xlsx", content)).pk
    )
    assert (job.unchanged, job.to_update, job.error_rows, job.warnings) == (1, 0, 0, []), job.errors
