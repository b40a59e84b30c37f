"""The mapping step's «Valor para todas las filas»: one value for a field a file lacks (or
leaves empty in some rows), checked as a cell would be, shown in the preview, remembered with
the columns, and the same in the confirmed import and in the worker processes' preview."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from attributes.models import AttributeDefinition
from credit.models import CreditAccount, PriceList
from customers import import_columns as cols
from customers import importing
from customers.models import Category, Customer, ImportJob, ImportMapping
from tests.customers.test_import import HEADERS, company, person, preview, run, xlsx
from tests.factories import valid_dni, valid_ruc
from tests.roles import user_with_role

# ERPNext's customer export with the address columns a list adds, but no giro (which a
# Peruvian company needs: customers.services) and «Miraflores», a name four districts share.
ERPNEXT = ["Customer Name", "Customer Type", "Tax ID", "Email Id", "Mobile No", "Dirección", "Distrito"]


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def choose(actor, job, constants: dict) -> ImportJob:
    """The mapping step with the columns as the preview read them and ``constants``."""
    mapping = {c["header"]: c["key"] for c in job.columns}
    importing.choose_columns(actor=actor, job=job, mapping=mapping, constants=constants)
    return importing.preview_import(job.pk)


def erpnext_rows(count=2):
    return [
        [f"Comercial {i} S.A.C.", "Company", valid_ruc(), f"ventas{i}@comercial.pe", "", f"Av. Larco {i}", "Miraflores"]
        for i in range(count)
    ]


def test_a_value_for_every_row_fills_the_empty_cells_and_a_cell_with_a_value_wins(admin):
    without, own = valid_ruc(), valid_ruc()
    job = preview(admin, xlsx([company(ruc=without, Giro=None), company(ruc=own, Giro="Textil")]))
    assert {(row, column) for row, column, *_ in job.errors} == {(2, "Giro")}  # the company needs its giro

    job = choose(admin, job, {"business_line": "Comercio"})
    assert (job.status, job.to_create, job.error_rows) == ("lista", 2, 0), job.errors
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 2), job.message
    assert Customer.objects.get(document_number=without).business_line == "Comercio"
    assert Customer.objects.get(document_number=own).business_line == "Textil"


def test_an_erpnext_file_without_giro_imports_with_a_giro_and_a_place_for_every_row(admin, client):
    job = preview(admin, xlsx(erpnext_rows(), headers=ERPNEXT), "Customer.xlsx")
    columns = {(column, message) for _, column, message, *_ in job.errors}
    assert ("Giro", "Ingrese el giro de la empresa.") in columns
    assert any(column == "Distrito" and "distritos «Miraflores»" in message for column, message in columns), columns

    client.force_login(admin)
    post = {f"col_{i}": c["key"] for i, c in enumerate(job.columns)}
    post.update(
        {"const_business_line": "Comercio", "const_department": "Lima", "const_province": "Lima", "const_category": ""}
    )
    client.post(reverse("customers:import_columns", args=[job.pk]), post)
    job.refresh_from_db()
    assert (job.status, job.to_create, job.error_rows) == ("lista", 2, 0), job.errors
    assert cols.mapping_constants(job.mapping) == {
        "business_line": "Comercio",
        "department": "Lima",
        "province": "Lima",
    }
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "Giro: Comercio para todas las filas" in page
    assert "Departamento: Lima para todas las filas" in page

    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 2), job.message
    created = Customer.objects.filter(business_line="Comercio", addresses__district_id="150122")
    assert created.count() == 2


def test_a_departamento_for_every_row_leaves_a_row_without_an_address_alone(admin):
    # It tells which district a row names; a person without an address gets no «Escriba también
    # el distrito» for it.
    rows = [person(dni=valid_dni(), Distrito=None), company(Departamento=None)]
    job = choose(admin, preview(admin, xlsx(rows)), {"department": "Lima"})
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


def test_a_type_of_customer_for_a_list_of_persons(admin):
    headers = ["Cliente", "Documento", "Correo"]
    rows = [["Rosa Quispe", valid_dni(), "rosa@correo.pe"], ["Empresa Grande", valid_dni(), "eg@correo.pe"]]
    job = choose(admin, preview(admin, xlsx(rows, headers=headers)), {"kind": "Persona natural"})
    assert (job.to_create, job.error_rows) == (2, 0), job.errors
    run(admin, job)
    assert set(Customer.objects.values_list("kind", flat=True)) == {Customer.Kind.PERSON}


@pytest.mark.parametrize(
    ("constants", "message"),
    [
        ({"category": "Mayorista"}, "Categoría (valor para todas las filas): La categoría «Mayorista» no existe"),
        ({"kind": "Cooperativa"}, "Tipo de cliente (valor para todas las filas): «Cooperativa» no es Empresa ni"),
        ({"business_line": "x" * 151}, "Giro (valor para todas las filas): Máximo 150 caracteres (tiene 151)."),
        ({"document_type": "Libreta"}, "Tipo de documento (valor para todas las filas): «Libreta» no es un tipo"),
        ({"district": "Miraflores"}, "Distrito (valor para todas las filas): Hay 4 distritos «Miraflores»"),
    ],
)
def test_a_value_no_cell_could_hold_is_refused_naming_its_field(admin, constants, message):
    job = preview(admin, xlsx([company()]))
    with pytest.raises(ValidationError) as refused:
        choose(admin, job, constants)
    assert any(m.startswith(message) for m in refused.value.messages), refused.value.messages
    job.refresh_from_db()
    assert job.status == "lista" and cols.mapping_constants(job.mapping) == {}  # the preview as it was


def test_an_attribute_value_is_checked_by_the_attributes_rules(admin):
    key = AttributeDefinition.objects.create(name="Sucursales", kind="entero").key
    job = preview(admin, xlsx([company()]))
    with pytest.raises(ValidationError, match=r"Sucursales \(valor para todas las filas\): "):
        choose(admin, job, {f"attr:{key}": "muchas"})
    job = choose(admin, preview(admin, xlsx([company(ruc=(ruc := valid_ruc()))])), {f"attr:{key}": "3"})
    run(admin, job)
    assert Customer.objects.get(document_number=ruc).attributes == {key: 3}


def test_the_mapping_form_says_what_went_wrong_in_spanish_and_keeps_what_was_typed(admin, client):
    key = AttributeDefinition.objects.create(name="Sucursales", kind="entero").key
    job = preview(admin, xlsx([company()]))
    client.force_login(admin)
    post = {f"col_{i}": c["key"] for i, c in enumerate(job.columns)}
    post[f"col_{HEADERS.index('Correos electrónicos')}"] = ""  # a column changed too
    post.update({"const_business_line": "Comercio", f"const_attr:{key}": "muchas", "const_category": "Mayorista"})
    response = client.post(reverse("customers:import_columns", args=[job.pk]), post)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Categoría (valor para todas las filas): La categoría «Mayorista» no existe" in page
    assert "Sucursales (valor para todas las filas): " in page
    assert 'name="const_business_line" id="const-3" value="Comercio"' in page
    assert 'value="muchas"' in page
    emails = HEADERS.index("Correos electrónicos")
    select = page[page.index(f'name="col_{emails}"') :].split("</select>")[0]
    assert '<option value="" selected>' in select
    assert 'id="import-columns-pending" role="status">' in page  # not hidden: sent, not applied
    assert 'disabled title="Aplique primero las columnas que cambió">Importar</button>' in page
    job.refresh_from_db()
    assert job.status == "lista" and cols.mapping_constants(job.mapping) == {}  # nothing applied


def test_the_values_are_remembered_for_the_next_file_with_the_same_headers(admin):
    Category.objects.get_or_create(name="Distribuidor")
    rows = [company(Giro=None)]
    choose(admin, preview(admin, xlsx(rows)), {"business_line": "Comercio", "category": "Distribuidor"})
    remembered = ImportMapping.objects.get().mapping
    assert remembered[cols.CONSTANTS_KEY] == {"business_line": "Comercio", "category": "Distribuidor"}
    assert remembered["Giro"] == "business_line"  # the columns as they were

    second = preview(admin, xlsx([company(ruc=(ruc := valid_ruc()), Giro=None)]))
    assert (second.to_create, second.error_rows) == (1, 0), second.errors
    run(admin, second)
    customer = Customer.objects.get(document_number=ruc)
    assert (customer.business_line, customer.category.name) == ("Comercio", "Distribuidor")


def test_a_mapping_stored_before_the_values_existed_still_reads(admin):
    # {header: key} only, as every ImportMapping and job stored before.
    job = preview(admin, xlsx([company()]))
    ImportMapping.objects.create(
        headers_key=importing.headers_key(HEADERS), mapping={c["header"]: c["key"] for c in job.columns}
    )
    again = preview(admin, xlsx([company()]))
    assert (again.to_create, again.error_rows) == (1, 0)
    assert cols.mapping_constants(again.mapping) == {}
    assert "Giro → business_line" in str(ImportMapping.objects.get())


def test_the_confirmed_import_cleaning_again_uses_the_previewed_values(admin):
    job = choose(
        admin, preview(admin, xlsx([company(ruc=(ruc := valid_ruc()), Giro=None)])), {"business_line": "Pesca"}
    )
    # Someone else chooses other values for these headers meanwhile, and the rules change:
    # the import cleans every row again (the slow path), with the job's own values.
    ImportMapping.objects.filter().update(mapping={cols.CONSTANTS_KEY: {"business_line": "Minería"}})
    AttributeDefinition.objects.create(name="Nivel", kind="texto")
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 1), job.message
    assert Customer.objects.get(document_number=ruc).business_line == "Pesca"


def test_the_page_offers_the_fields_with_their_widgets(admin, client):
    AttributeDefinition.objects.create(name="Zona", kind="lista", options=["Norte", "Sur"])
    job = preview(admin, xlsx([company()]))
    client.force_login(admin)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "Valor para todas las filas" in page
    assert "Si la fila trae el dato, vale el del archivo." in page
    assert '<select class="form-select form-select-sm" name="const_kind"' in page
    assert '<input class="form-control form-control-sm" type="text" maxlength="200" name="const_business_line"' in page
    assert '<option value="Norte">Norte</option>' in page
    assert 'name="const_street"' not in page  # a street for every row makes no sense


def test_a_field_not_offered_is_refused(admin):
    job = preview(admin, xlsx([company()]))
    with pytest.raises(ValidationError, match="No puede dar un valor para todas las filas a «Dirección»"):
        choose(admin, job, {"street": "Av. Larco 1"})


@pytest.fixture
def committed_admin(transactional_db, reference_data):
    return user_with_role("Administrador")


def test_the_worker_processes_preview_reads_the_same_values(committed_admin, monkeypatch, settings):
    rows = [company(Giro=None) for _ in range(9)] + [company(Giro="Textil")]
    job = preview(committed_admin, xlsx(rows))
    alone = choose(committed_admin, job, {"business_line": "Comercio"})
    assert (alone.to_create, alone.error_rows) == (10, 0), alone.errors

    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(importing, "PARALLEL_FROM", 1)
    settings.IMPORT_INLINE_MAX_BYTES = 0
    monkeypatch.setattr(importing.os, "cpu_count", lambda: 2)
    calls = []
    in_workers = importing._analyze_in_workers
    monkeypatch.setattr(importing, "_analyze_in_workers", lambda *a, **k: calls.append(a[1]) or in_workers(*a, **k))
    shared = preview(committed_admin, xlsx(rows))  # the values remembered from the first file
    assert calls == [2]
    assert (shared.to_create, shared.error_rows) == (10, 0), shared.errors
    shared = run(committed_admin, shared)
    assert (shared.status, shared.created) == ("terminada", 10), shared.message
    assert sorted(Customer.objects.values_list("business_line", flat=True)) == ["Comercio"] * 9 + ["Textil"]


def test_a_user_who_may_import_but_not_give_credit_is_not_offered_the_credit_columns(admin, client):
    importer = user_with_role("Ventas")
    importer.user_permissions.add(Permission.objects.get(codename="import_customer"))
    job = preview(importer, xlsx([company()]))
    client.force_login(importer)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'name="const_business_line"' in page
    assert 'name="const_credito.credit_limit"' not in page
    with pytest.raises(ValidationError, match="No puede dar un valor para todas las filas a «Cupo de crédito»"):
        choose(importer, job, {"credito.credit_limit": "1000"})

    client.force_login(admin)
    admin_job = preview(admin, xlsx([company()]))
    page = client.get(reverse("customers:import_detail", args=[admin_job.pk])).content.decode()
    assert 'name="const_credito.credit_limit"' in page
    with pytest.raises(ValidationError, match=r"Cupo de crédito \(valor para todas las filas\): .*negativo"):
        choose(admin, admin_job, {"credito.credit_limit": "-5"})
    admin_job = choose(admin, admin_job, {"credito.credit_limit": "S/ 1,000"})
    # Remembered for these headers, but not this user's to give: left out, with a word.
    again = preview(importer, xlsx([company()]))
    assert (again.to_create, again.error_rows) == (1, 0), again.errors
    left_out = "No se usó el valor para todas las filas de «Cupo de crédito» elegido la vez anterior"
    assert any(left_out in warning for warning in again.warnings), again.warnings
    run(admin, admin_job)
    assert CreditAccount.objects.get(customer__created_by=admin).credit_limit == Decimal("1000")


def test_rows_refused_for_a_field_that_can_take_one_value_open_the_section(admin, client):
    headers = [h for h in HEADERS if h != "Giro"]
    row = [cell for header, cell in zip(HEADERS, company(), strict=True) if header != "Giro"]
    job = preview(admin, xlsx([row], headers=headers))
    assert job.errors[0][1:3] == ["Giro", "Ingrese el giro de la empresa."]
    client.force_login(admin)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-columns" open' in page and 'id="import-constants-form" open' in page

    fine = preview(admin, xlsx([company()]))
    page = client.get(reverse("customers:import_detail", args=[fine.pk])).content.decode()
    assert 'id="import-constants-form" open' not in page and 'id="import-columns" open' not in page


def test_a_job_previewed_before_the_values_existed_takes_none_of_the_remembered_ones(admin):
    job = preview(admin, xlsx([company(ruc=(ruc := valid_ruc()))]))
    # As a preview stored it before: its columns only.
    mapping = {h: k for h, k in job.mapping.items() if h != cols.CONSTANTS_KEY}
    ImportJob.objects.filter(pk=job.pk).update(mapping=mapping, checked_rules={})  # confirmed: cleaned again
    remembered = {**mapping, cols.CONSTANTS_KEY: {"category": "Distribuidor"}}
    ImportMapping.objects.create(headers_key=importing.headers_key(HEADERS), mapping=remembered)
    Category.objects.get_or_create(name="Distribuidor")
    job = run(admin, ImportJob.objects.get(pk=job.pk))
    assert (job.status, job.created) == ("terminada", 1), job.message
    assert Customer.objects.get(document_number=ruc).category is None


def test_a_price_list_for_every_row_is_chosen_from_the_active_ones(admin, client):
    general, _ = PriceList.objects.get_or_create(name="Lista general")
    PriceList.objects.create(name="Lista antigua", is_active=False)
    job = preview(admin, xlsx([company(ruc=(ruc := valid_ruc()))]))
    client.force_login(admin)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert '<select class="form-select form-select-sm" name="const_credito.price_list"' in page
    assert '<option value="Lista general">' in page and "Lista antigua" not in page
    run(admin, choose(admin, job, {"credito.price_list": "Lista general"}))
    assert CreditAccount.objects.get(customer__document_number=ruc).price_list == general


def test_row_constants_fill_only_what_a_row_leaves_empty():
    constants = cols.RowConstants({"kind": "Empresa", "business_line": "Comercio", "department": "Lima"})
    row = {"business_line": "  ", cols.IS_COMPANY: "No", "street": "Av. Sol 1"}
    constants.fill(row)
    # «¿Es empresa?» says the type; a blank cell is empty; no district named: no departamento.
    assert row == {"business_line": "Comercio", cols.IS_COMPANY: "No", "street": "Av. Sol 1"}
    with_district = {"district": "Miraflores", "department": None}
    constants.fill(with_district)
    filled = {"district": "Miraflores", "department": "Lima", "kind": "Empresa", "business_line": "Comercio"}
    assert with_district == filled
    assert not cols.RowConstants({})
