"""The import's Direcciones and Contactos sheets (whole customers in one upload), and the
confirmed import's set-based write: what it checks again since the preview, and the fallback
to cleaning again when the rules changed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from attributes.models import AttributeDefinition
from customers import importing
from customers.models import Address, Contact, Customer, CustomerNote, CustomerSettings, ImportStagedRow
from tests.customers.test_import import HEADERS, company, person
from tests.factories import make_company, make_person, valid_dni, valid_ruc
from tests.roles import user_with_role

ADDRESS_HEADERS = [
    "Tipo de documento",
    "Número de documento",
    "Tipo de dirección",
    "Departamento",
    "Provincia",
    "Distrito",
    "Dirección",
]
CONTACT_HEADERS = ["Tipo de documento", "Número de documento", "Nombre", "Cargo", "Teléfonos", "Correos electrónicos"]


def workbook(customers=(), addresses=None, contacts=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Clientes"
    sheet.append(HEADERS)
    for row in customers:
        sheet.append(row)
    for title, headers, rows in (("Direcciones", ADDRESS_HEADERS, addresses), ("Contactos", CONTACT_HEADERS, contacts)):
        if rows is None:
            continue
        other = book.create_sheet(title)
        other.append(headers)
        for row in rows:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(actor, content: bytes):
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile("clientes.xlsx", content))
    return importing.preview_import(job.pk)


def run(actor, job, mode="todo"):
    return importing.run_import(importing.confirm_import(actor=actor, job=job, mode=mode).pk)


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


# --- Direcciones and Contactos ---------------------------------------------------------------


def test_one_upload_brings_a_customer_with_its_addresses_and_contacts(admin):
    ruc = valid_ruc()
    content = workbook(
        [company(ruc=ruc)],
        addresses=[["RUC", ruc, "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]],
        contacts=[["RUC", int(ruc), "Ana Torres", "Compras", "987 111 222", "ANA@gloria.com.pe"]],
    )
    job = preview(admin, content)
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    assert job.sheets["Direcciones"]["add"] == 1 and job.sheets["Contactos"]["add"] == 1
    assert not Address.objects.exists() and not Contact.objects.exists()  # the preview writes nothing

    job = run(admin, job)
    assert job.status == "terminada", job.message
    customer = Customer.objects.get()
    delivery = customer.addresses.get(kind="entrega")
    assert (delivery.district_id, delivery.street, delivery.is_default) == ("150103", "Av. Nicolás Ayllón 2890", False)
    assert customer.addresses.get(is_default=True).street == "Av. Larco 123"  # the Clientes sheet's main address
    contact = customer.contacts.get()
    assert (contact.name, contact.role, contact.phones, contact.emails) == (
        "Ana Torres",
        "Compras",
        ["+51987111222"],
        ["ana@gloria.com.pe"],
    )
    assert contact.history.filter(history_type="+").count() == 1
    assert delivery.history.filter(history_type="+").count() == 1
    texts = set(CustomerNote.objects.filter(customer=customer).values_list("text", flat=True))
    assert "Contacto agregado: Ana Torres." in texts
    assert "Dirección agregada: Av. Nicolás Ayllón 2890, Ate (Entrega)." in texts
    assert job.sheets["Direcciones"]["added"] == 1 and job.sheets["Contactos"]["added"] == 1
    assert not ImportStagedRow.objects.exists()


def test_rows_for_a_registered_customer_are_added_and_a_second_upload_adds_nothing(admin):
    existing = make_person(document_type_id="1", document_number=valid_dni())
    content = workbook(
        [],
        addresses=[["DNI", existing.document_number, "", "Cusco", "Cusco", "Wanchaq", "Jr. Sol 12"]],
        contacts=[["DNI", existing.document_number, "Luis Quispe", "", "", ""]],
    )
    job = run(admin, preview(admin, content))
    assert job.status == "terminada", (job.message, job.errors)
    address = existing.addresses.get()
    # A customer without a main address gets this one as main, as save_address does.
    assert (address.kind, address.is_default) == ("entrega", True)
    existing.refresh_from_db()
    assert existing.department_id == "08"
    assert existing.contacts.count() == 1

    again = preview(admin, content)
    assert again.sheets["Direcciones"] == {**again.sheets["Direcciones"], "add": 0, "unchanged": 1, "errors": 0}
    assert again.sheets["Contactos"]["unchanged"] == 1


def test_bad_rows_name_their_sheet_row_and_column(admin):
    ruc = valid_ruc()
    content = workbook(
        [company(ruc=ruc)],
        addresses=[
            ["RUC", ruc, "Bodega", "Lima", "Lima", "Ate", "Av. 1"],
            ["RUC", ruc, "", "Lima", "Lima", "Narnia", "Av. 2"],
            ["DNI", valid_dni(), "", "Lima", "Lima", "Ate", "Av. 3"],
        ],
        contacts=[["RUC", ruc, "", "", "", "no-es-correo"]],
    )
    job = preview(admin, content)
    errors = {(sheet, row, column) for row, column, _, sheet in job.errors}
    assert ("Direcciones", 2, "Tipo de dirección") in errors
    assert ("Direcciones", 3, "Distrito") in errors
    assert ("Direcciones", 4, "Número de documento") in errors
    assert ("Contactos", 2, "Nombre") in errors
    assert ("Contactos", 2, "Correos electrónicos") in errors
    assert job.error_rows == 4 and job.to_create == 1
    report = load_workbook(io.BytesIO(job.error_report.read()))
    assert report.sheetnames == ["Clientes", "Direcciones", "Contactos"]
    assert report["Direcciones"].max_row == 4 and report["Direcciones"]["B2"].value == 2


def test_an_error_in_another_sheet_stops_an_all_or_nothing_import(admin):
    ruc = valid_ruc()
    content = workbook([company(ruc=ruc)], contacts=[["RUC", ruc, "", "", "", ""]])
    job = preview(admin, content)
    with pytest.raises(Exception, match="filas con errores"):
        importing.confirm_import(actor=admin, job=job, mode="todo")
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1)
    assert not Contact.objects.exists()


def test_rows_of_a_customer_row_with_errors_are_errors(admin):
    ruc = valid_ruc()
    content = workbook([company(ruc=ruc, name="")], contacts=[["RUC", ruc, "Ana", "", "", ""]])
    job = preview(admin, content)
    assert any(sheet == "Contactos" and "fila 2 de Clientes" in message for _, _, message, sheet in job.errors)


def test_a_person_row_and_its_contacts_are_not_written_when_the_customer_row_fails_at_the_write(admin):
    dni = valid_dni()
    content = workbook([person(dni=dni)], contacts=[["DNI", dni, "Hijo", "", "", ""]])
    job = preview(admin, content)
    make_person(document_type_id="1", document_number=dni)  # registered by someone else meanwhile
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 0, 2), job.errors
    assert not Contact.objects.exists()
    messages = [message for _, _, message, _ in job.errors]
    assert any("registrado después de la vista previa" in m for m in messages)
    assert any("no se importó" in m for m in messages)


# --- the set-based write checks again what others changed --------------------------------------


def test_an_email_taken_by_another_customer_after_the_preview_is_an_error(admin):
    job = preview(admin, workbook([company(**{"Correos electrónicos": "ventas@gloria.com.pe"})]))
    other = make_company()
    other.emails.create(email="ventas@gloria.com.pe", position=0)
    job = run(admin, job)
    assert job.status == "fallida" and "ya es de otro cliente" in job.errors[0][2]
    assert Customer.objects.count() == 1


def test_a_permission_lost_after_the_preview_is_checked_at_the_write(admin):
    importer = user_with_role("Administrador")
    existing = make_company(business_name="Antes S.A.")
    job = preview(importer, workbook([company(ruc=existing.document_number, name="Después S.A.")]))
    importer.groups.clear()
    # Importing needs seeing customers (customers.roles.PERMISSION_NEEDS): kept, the edit one lost.
    importer.user_permissions.add(*_perms("import_customer", "view_customer", "add_customer"))
    importer = type(importer).objects.get(pk=importer.pk)  # permissions are cached per instance
    job = importing.run_import(importing.confirm_import(actor=importer, job=job, mode="validas").pk)
    assert (job.updated, job.rejected) == (0, 1) and "permiso para modificar" in job.errors[0][2]
    existing.refresh_from_db()
    assert existing.business_name == "Antes S.A."


def test_changed_rules_make_the_import_clean_every_row_again(admin):
    job = preview(admin, workbook([person(dni=valid_dni())]))
    CustomerSettings.objects.update_or_create(pk=1, defaults={"require_email": True})
    job = run(admin, job)
    # The staged row was cleaned before the e-mail became required: cleaned again, refused.
    assert job.status == "fallida" and "correo" in job.errors[0][2].lower()
    assert not Customer.objects.exists()


def test_a_new_attribute_definition_makes_the_import_clean_again(admin):
    job = preview(admin, workbook([company()]))
    AttributeDefinition.objects.create(name="Zona", kind=AttributeDefinition.Kind.TEXT, required=True)
    job = run(admin, job)
    assert job.status == "fallida" and "Zona" in job.errors[0][2]


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)


def test_a_direcciones_row_with_a_departamento_that_does_not_exist_has_that_one_error(admin):
    ruc = valid_ruc()
    content = workbook(
        customers=[company(ruc=ruc)],
        addresses=[["RUC", ruc, "Entrega", "Lambayequ", "Chiclayo", "Chiclayo", "Av. Balta 100"]],
    )
    job = preview(admin, content)
    assert [error for error in job.errors if error[3] == "Direcciones"] == [
        [2, "Departamento", "No existe el departamento «Lambayequ».", "Direcciones"]
    ]
