"""Customer exports from other systems, in the shape each one writes them: Odoo (Spanish and
English interface, with Peru's l10n_latam fields), ERPNext, Bsale, Alegra, a Nubefact-like list
and an old hand-made Excel list. Uploaded as they come, their columns are mostly recognised by
title or by values, and they import through the preview and the confirmation."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import import_columns as cols
from customers import importing
from customers.models import Customer, ImportJob
from peru.text import fold
from tests.customers.test_import import xlsx
from tests.factories import valid_dni, valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def preview(actor, content: bytes, name: str):
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile(name, content))
    return importing.preview_import(job.pk)


def run(actor, job):
    return importing.run_import(importing.confirm_import(actor=actor, job=job, mode="todo").pk)


def csv_bytes(headers, rows, *, separator=",", encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def read_as(job) -> dict:
    return {c["header"]: c["key"] for c in job.columns}


# --- Odoo ------------------------------------------------------------------------------------

# Contactos → Exportar, interface in Spanish (es_419), Peru's localisation (l10n_pe): booleans
# as the spreadsheet's own True/False, the region as Odoo names it, «Lima (PE)».
ODOO_ES = [
    "Nombre",
    "Es una compañía",
    "Tipo de identificación",
    "Número de identificación",
    "Calle",
    "Calle 2",
    "Distrito",
    "Ciudad",
    "Estado",
    "País",
    "Teléfono",
    "Móvil",
    "Correo electrónico",
    "Industria",
]


def odoo_rows(ruc, dni):
    return [
        [
            "Gloria S.A.",
            True,
            "RUC",
            ruc,
            "Av. Larco 123",
            "Of. 501",
            "Miraflores",
            "Lima",
            "Lima (PE)",
            "Perú",
            "01 470 7170",
            "987 654 321",
            "ventas@gloria.com.pe",
            "Lácteos",
        ],
        [
            "Rosa Elena Quispe Mamani",
            False,
            "DNI",
            dni,
            "Jr. Ayacucho 456",
            None,
            "Wanchaq",
            "Cusco",
            "Cusco (PE)",
            "Perú",
            None,
            "984 111 222",
            "rosa.quispe@gmail.com",
            None,
        ],
    ]


def test_an_odoo_export_in_spanish_is_read_by_title_and_by_values(admin):
    job = preview(admin, xlsx(odoo_rows(valid_ruc(), valid_dni()), headers=ODOO_ES), "res.partner.xlsx")
    assert read_as(job) == {
        "Nombre": "full_name",
        "Es una compañía": "is_company",
        "Tipo de identificación": "document_type",
        "Número de identificación": "document_number",
        "Calle": "street",
        "Calle 2": "reference",
        "Distrito": "district",
        "Ciudad": "province",  # l10n_pe's city is the provincia (Miraflores: in Lima and in Yauyos)
        "Estado": "department",  # not our export's status: its values are regions
        "País": "country",
        "Teléfono": "phones",
        "Móvil": "other_phones",
        "Correo electrónico": "emails",
        "Industria": "business_line",
    }
    assert {c["header"]: c["how"] for c in job.columns}["Estado"] == "sugerido"
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


def test_an_odoo_export_imports_companies_and_persons_from_one_name_column(admin):
    ruc, dni = valid_ruc(), valid_dni()
    job = run(admin, preview(admin, xlsx(odoo_rows(ruc, dni), headers=ODOO_ES), "res.partner.xlsx"))
    assert job.created == 2, (job.errors, job.message)
    gloria = Customer.objects.get(document_number=ruc)
    assert (gloria.kind, gloria.business_name, gloria.business_line) == ("empresa", "Gloria S.A.", "Lácteos")
    assert sorted(gloria.phones.values_list("number", flat=True)) == ["+5114707170", "+51987654321"]
    address = gloria.addresses.get()
    assert (address.district.name, address.street, address.reference) == ("Miraflores", "Av. Larco 123", "Of. 501")
    rosa = Customer.objects.get(document_number=dni)
    assert (rosa.kind, rosa.first_names, rosa.last_names) == ("persona", "Rosa Elena", "Quispe Mamani")
    assert rosa.addresses.get().district.province.department.name == "Cusco"


def test_the_preview_says_how_a_whole_name_was_split(admin):
    job = preview(admin, xlsx(odoo_rows(valid_ruc(), valid_dni()), headers=ODOO_ES), "res.partner.xlsx")
    [said] = [w for w in job.warnings if w.startswith("La columna «Nombre» es el nombre completo")]
    assert "todo en MAYÚSCULAS y sin coma, las dos primeras palabras son los apellidos" in said
    assert "«Rosa Elena Quispe Mamani» → Apellidos «Quispe Mamani», Nombres «Rosa Elena»" in said


# The same export with the interface in English, as a CSV; «Is a Company» as text, a foreign
# person with Odoo's own identification type «Passport».
ODOO_EN = ["Name", "Is a Company", "Identification Type", "Identification Number", "Street", "District", "State"]


def test_an_odoo_export_in_english_as_csv(admin):
    ruc, dni = valid_ruc(), valid_dni()
    rows = [
        ["Comercial Norte S.A.C.", "True", "RUC", ruc, "Av. España 100", "Trujillo", "La Libertad (PE)"],
        ["QUISPE MAMANI ROSA ELENA", "False", "DNI", dni, "", "", ""],
    ]
    headers = [*ODOO_EN, "Industry", "Country"]
    rows = [[*rows[0], "Transporte", "Peru"], [*rows[1], "", "Peru"]]
    job = preview(admin, csv_bytes(headers, rows), "Contact (res.partner).csv")
    assert read_as(job) == {
        "Name": "full_name",
        "Is a Company": "is_company",
        "Identification Type": "document_type",
        "Identification Number": "document_number",
        "Street": "street",
        "District": "district",
        "State": "department",
        "Industry": "business_line",
        "Country": "country",
    }
    assert (job.to_create, job.error_rows) == (2, 0), job.errors
    run(admin, job)
    assert Customer.objects.get(document_number=ruc).business_name == "Comercial Norte S.A.C."
    rosa = Customer.objects.get(document_number=dni)
    # In capitals without a comma: SUNAT's and RENIEC's order, surnames first.
    assert (rosa.first_names, rosa.last_names) == ("ROSA ELENA", "QUISPE MAMANI")


def test_odoo_identification_types_passport_and_vat_are_sunat_codes(admin):
    headers = ["Name", "Is a Company", "Identification Type", "Identification Number", "Country"]
    rows = [["John Smith", "0", "Passport", "X1234567", "Chile"], ["Acme Inc.", "1", "VAT", "99-1234567", "Chile"]]
    job = preview(admin, csv_bytes(headers, rows), "partners.csv")
    assert (job.to_create, job.error_rows) == (2, 0), job.errors
    run(admin, job)
    john = Customer.objects.get(document_number="X1234567")
    assert (john.document_type_id, john.is_foreign, john.first_names, john.last_names) == ("7", True, "John", "Smith")
    acme = Customer.objects.get(business_name="Acme Inc.")
    assert (acme.kind, acme.document_type_id) == ("empresa", "0")  # l10n_pe codes Odoo's VAT as 0


@pytest.mark.parametrize(
    ("odoo", "code"),
    [
        ("RUC", "6"),
        ("DNI", "1"),
        ("Passport", "7"),
        ("Pasaporte", "7"),
        ("Foreign ID", "4"),
        ("ID Extranjera", "4"),
        ("VAT", "0"),
        ("Non-Domiciled Tax Document", "0"),
        ("Documento tributario no domiciliado, sin RUC", "0"),
        ("Cédula Diplomática de identidad", "A"),
        ("Documento de identidad del país de residencia", "B"),
        ("Carné Permiso Temp. Perman.", "H"),
    ],
)
def test_each_odoo_identification_type_is_its_sunat_code(db, odoo, code):
    lookups = cols.Lookups.load()
    assert lookups.document_types[fold(odoo)].code == code


def test_our_own_exports_estado_is_still_read_past_silently(admin):
    headers = ["Tipo de cliente", "Número de documento", "Nombres", "Apellidos", "Estado"]
    job = preview(
        admin, xlsx([["Persona natural", valid_dni(), "Rosa", "Quispe", "Activo"]], headers=headers), "a.xlsx"
    )
    assert read_as(job)["Estado"] == ""
    assert not [w for w in job.warnings if "Estado" in w]
    assert (job.to_create, job.error_rows) == (1, 0)


# --- ERPNext ---------------------------------------------------------------------------------

# Data Import → Export of Customer: the labels, Customer Type's own values.
ERPNEXT = ["ID", "Customer Name", "Customer Type", "Customer Group", "Territory", "Tax ID", "Email Id", "Mobile No"]


@pytest.mark.parametrize(
    "dates", [["2024-01-15", "2024-03-01"], ["15-01-2024", "01-03-2024"], ["15.01.2024", "1.3.2024"]]
)
def test_a_column_of_dates_is_not_taken_for_dnis(admin, dates):
    # ERPNext's «Creation», a list's «Fecha de alta»: a date is 8 digits once its separators go,
    # as a DNI is; read as the second document column it refused the rows without a Tax ID.
    rows = [
        ["Inversiones Andinas", "Company", valid_ruc(), dates[0]],
        ["Bodega Doña Rosa", "Individual", "", dates[1]],
    ]
    job = preview(admin, xlsx(rows, headers=["Customer Name", "Customer Type", "Tax ID", "Creation"]), "Customer.xlsx")
    assert read_as(job)["Creation"] == ""
    assert not [error for error in job.errors if error[1] == "Número de documento"]


def test_an_erpnext_export_by_customer_type(admin):
    ruc, person_ruc = valid_ruc(), valid_ruc(person=True)
    rows = [
        ["CUST-2024-00001", "Inversiones Andinas", "Company", "Commercial", "Peru", ruc, "info@andinas.pe", ""],
        [
            "CUST-2024-00002",
            "Luis Alberto Torres Díaz",
            "Individual",
            "Individual",
            "Peru",
            person_ruc,
            "",
            "999888777",
        ],
    ]
    job = preview(admin, xlsx(rows, headers=ERPNEXT), "Customer.xlsx")
    assert read_as(job) == {
        "ID": "",
        "Customer Name": "full_name",
        "Customer Type": "kind",
        "Customer Group": "",
        "Territory": "",
        "Tax ID": "document_number",
        "Email Id": "emails",
        "Mobile No": "phones",
    }
    # A Peruvian company needs its giro and address (customers.services): ERPNext's list has
    # neither, so those rows say so, by column.
    errors = {(row, column) for row, column, _, _ in job.errors}
    assert errors == {(2, "Giro"), (2, "Dirección")}
    assert job.to_create == 1
    run_valid = importing.confirm_import(actor=admin, job=job, mode="validas")
    importing.run_import(run_valid.pk)
    luis = Customer.objects.get(document_number=person_ruc)
    assert (luis.kind, luis.first_names, luis.last_names) == ("persona", "Luis Alberto", "Torres Díaz")


def test_customer_type_is_guessed_from_its_values_whatever_the_title(admin):
    rows = [["Ana Torres", "Individual", valid_dni()], ["Pedro Ruiz", "Persona", valid_dni()]]
    job = preview(admin, xlsx(rows, headers=["Cliente", "Clasificación", "Documento"]), "a.xlsx")
    assert {c["header"]: (c["key"], c["how"]) for c in job.columns}["Clasificación"] == ("kind", "sugerido")
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


# --- Bsale, Alegra, Nubefact-like, hand-made -------------------------------------------------


def test_a_bsale_list_with_name_and_surname_apart(admin):
    headers = ["Código", "Nombre", "Apellido", "Razón Social", "Giro", "Email", "Teléfono", "Dirección", "Comuna"]
    dni, ruc = valid_dni(), valid_ruc()
    rows = [
        [dni, "Rosa", "Quispe", "", "", "rosa@correo.pe", "987 000 111", "", ""],
        [ruc, "", "", "Ferretería Central S.A.C.", "Ferretería", "", "", "Av. Grau 5", "Breña"],
    ]
    job = preview(admin, xlsx(rows, headers=headers), "clientes-bsale.xlsx")
    keys = read_as(job)
    assert (keys["Nombre"], keys["Apellido"], keys["Razón Social"]) == ("first_names", "last_names", "business_name")
    assert keys["Código"] == "document_number"  # its values are RUCs and DNIs
    assert keys["Comuna"] == "district"  # Breña: a district's name
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


def test_an_alegra_list_with_its_second_phone_and_typed_identification(admin):
    headers = ["Nombre / Razón social", "Tipo de identificación", "Identificación", "Teléfono 1", "Celular", "Correo"]
    dni = valid_dni()
    rows = [["Carlos Mendoza Ruiz", "DNI", dni, "01 444 5555", "912 345 678", "carlos@mail.pe"]]
    job = preview(admin, xlsx(rows, headers=headers), "contactos-alegra.xlsx")
    keys = read_as(job)
    assert keys["Nombre / Razón social"] == "full_name"
    assert (keys["Teléfono 1"], keys["Celular"]) == ("other_phones", "phones")
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    run(admin, job)
    carlos = Customer.objects.get(document_number=dni)
    assert (carlos.first_names, carlos.last_names) == ("Carlos", "Mendoza Ruiz")
    assert carlos.phones.count() == 2


def test_a_nubefact_like_list_with_sunat_codes_for_the_document_type(admin):
    headers = ["Tipo Doc.", "Nro. Doc.", "Apellidos y nombres, denominación o razón social", "Dirección", "Email"]
    ruc, dni = valid_ruc(), valid_dni()
    rows = [
        [6, ruc, "TRANSPORTES EL RÁPIDO E.I.R.L.", "Av. Perú 100 - Lima", ""],
        [1, dni, "MAMANI CONDORI, JUAN CARLOS", "", "jc@gmail.com"],
    ]
    job = preview(admin, csv_bytes(headers, rows, separator=";", encoding="cp1252"), "clientes.csv")
    keys = read_as(job)
    assert (keys["Tipo Doc."], keys["Nro. Doc."]) == ("document_type", "document_number")
    assert keys["Apellidos y nombres, denominación o razón social"] == "full_name"
    # The company's giro and district are not in such a list: its row says so; the person imports.
    assert {column for row, column, _, _ in job.errors if row == 2} == {"Giro", "Distrito"}
    importing.run_import(importing.confirm_import(actor=admin, job=job, mode="validas").pk)
    juan = Customer.objects.get(document_number=dni)
    assert (juan.first_names, juan.last_names) == ("JUAN CARLOS", "MAMANI CONDORI")


HAND_MADE = ["N°", "Cliente", "R.U.C.", "D.N.I.", "Cel.", "E-mail", "Dirección fiscal", "Distrito", "Contacto"]


def hand_made_rows(ruc, dni):
    return [
        [1, "Bodega Don Lucho S.A.C.", ruc, None, "987 123 456", "", "Jr. Lampa 300", "Lima", "Sr. Lucho"],
        [2, "María de la Cruz Pérez", None, dni, "986 555 444", "maria@hotmail.com", "", "", ""],
    ]


def test_an_old_hand_made_list_with_ruc_and_dni_columns(admin):
    job = preview(admin, xlsx(hand_made_rows(valid_ruc(), valid_dni()), headers=HAND_MADE), "CLIENTES 2015.xlsx")
    assert read_as(job) == {
        "N°": "",
        "Cliente": "full_name",
        "R.U.C.": "document_number",
        "D.N.I.": "other_document",
        "Cel.": "phones",
        "E-mail": "emails",
        "Dirección fiscal": "street",
        "Distrito": "district",
        "Contacto": "",
    }
    # Bodega Don Lucho has no giro in the list: the only thing left to fix, and it says where.
    assert [(row, column) for row, column, _, _ in job.errors] == [(2, "Giro")]
    assert job.to_create == 1


def test_a_hand_made_list_imports_end_to_end_through_the_pages(admin, client):
    """Upload, the preview page with the columns pre-filled, one choice in the mapping step
    (this list's «Contacto» holds the giro), confirm: every customer is in."""
    ruc, dni = valid_ruc(), valid_dni()
    rows = hand_made_rows(ruc, dni)
    rows[0][8] = "Abarrotes"
    client.force_login(admin)
    upload = SimpleUploadedFile("CLIENTES 2015.xlsx", xlsx(rows, headers=HAND_MADE))
    response = client.post(reverse("customers:import"), {"archivo": upload})
    job = ImportJob.objects.get()
    page = client.get(response.url).content.decode()
    assert 'id="import-columns" open' in page  # a file from another system: its columns to look at
    assert 'value="full_name" selected>Nombre completo o razón social' in page
    assert "La columna «Cliente» es el nombre completo o la razón social" in page
    post = {f"col_{i}": c["key"] for i, c in enumerate(job.columns)}
    post[f"col_{HAND_MADE.index('Contacto')}"] = "business_line"
    client.post(reverse("customers:import_columns", args=[job.pk]), post)
    job.refresh_from_db()
    assert (job.status, job.to_create, job.error_rows) == ("lista", 2, 0), job.errors
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    job.refresh_from_db()
    assert (job.status, job.created) == ("terminada", 2), (job.message, job.errors)
    bodega = Customer.objects.get(document_number=ruc)
    assert (bodega.business_name, bodega.business_line) == ("Bodega Don Lucho S.A.C.", "Abarrotes")
    assert sorted(bodega.phones.values_list("number", flat=True)) == ["+51987123456"]
    maria = Customer.objects.get(document_number=dni)
    assert (maria.first_names, maria.last_names, maria.email) == ("María", "de la Cruz Pérez", "maria@hotmail.com")


def test_a_city_column_is_the_provincia_when_its_values_are(admin):
    """«Lima» is a departamento and a provincia; Miraflores is in Lima's provincia and in Yauyos:
    read as the provincia, the district is one."""
    headers = ["Cliente", "RUC", "Giro", "Dirección", "Distrito", "Ciudad"]
    rows = [["Comercial Sur S.A.C.", valid_ruc(), "Abarrotes", "Av. Larco 1", "Miraflores", "Lima"]]
    job = preview(admin, xlsx(rows, headers=headers), "lista.xlsx")
    assert read_as(job)["Ciudad"] == "province"
    assert (job.to_create, job.error_rows) == (1, 0), job.errors


# --- what is not guessed -----------------------------------------------------------------------


def test_titles_and_values_that_only_look_like_ours_are_left_alone(admin):
    headers = ["Código de cliente", "Nombres y apellidos", "Zona", "Nombre del contacto", "DNI"]
    rows = [
        ["C-001", "Ana Torres Díaz", "A", "Luis", valid_dni()],
        ["C-002", "Pedro Ruiz Paz", "B", "Eva", valid_dni()],
    ]
    job = preview(admin, xlsx(rows, headers=headers), "a.xlsx")
    assert read_as(job) == {
        "Código de cliente": "",
        "Nombres y apellidos": "full_name",
        "Zona": "",  # A, B: SUNAT codes too, but a zone's letters
        "Nombre del contacto": "",
        "DNI": "document_number",
    }
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


def test_a_region_column_without_districts_is_not_read(admin):
    """Odoo's «Estado» alone would only give each row «escriba también el distrito»."""
    headers = ["Nombre", "Número de identificación", "Estado"]
    job = preview(admin, xlsx([["Ana Torres Díaz", valid_dni(), "Lima (PE)"]], headers=headers), "a.xlsx")
    assert read_as(job)["Estado"] == ""
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
