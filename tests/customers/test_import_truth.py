"""What new users' real spreadsheets found in the import (issue 17's outside walk): the short
names people write for districts, a RUC 10 in a «Razón social» column, other systems' credit
columns, amounts written in either convention, and a company's address a file lacks."""

import pytest

from credit.models import CreditAccount, PaymentTerm, PriceList
from customers.models import Customer
from customers.services import create_customer
from tests.attributes.factories import make_definition
from tests.customers.test_import import company, preview, run, xlsx
from tests.customers.test_import_other_systems import csv_bytes, read_as
from tests.factories import RUC, company_data, make_person, valid_ruc
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


# --- 2. A RUC 10 in «Razón social» -------------------------------------------------------------

NO_TYPE = ["Número de documento", "Razón social", "Giro", "Dirección", "Departamento", "Provincia", "Distrito"]


def no_type_row(document, name):
    return [document, name, "Abarrotes", "Jr. Ayacucho 456", "Lima", "Lima", "Lince"]


def test_a_ruc_10_without_a_type_of_customer_is_a_persona_natural_named_as_written(admin):
    # SUNAT: RUC 10 is a persona natural (con negocio), RUC 20 a persona jurídica.
    person, company_ruc = valid_ruc(person=True), valid_ruc()
    rows = [no_type_row(person, "Quispe Mamani, Rosa Elena"), no_type_row(company_ruc, "Comercial Sur S.A.C.")]
    job = run(admin, preview(admin, xlsx(rows, headers=NO_TYPE)))
    assert job.created == 2, job.errors
    rosa = Customer.objects.get(document_number=person)
    assert (rosa.kind, rosa.first_names, rosa.last_names, rosa.business_name) == (
        "persona",
        "Rosa Elena",
        "Quispe Mamani",
        "",
    )
    assert Customer.objects.get(document_number=company_ruc).kind == "empresa"


@pytest.mark.parametrize("name", ["QUISPE MAMANI ROSA ELENA", "Bodega El Sol"])
def test_a_ruc_10_whose_name_cannot_be_split_surely_is_asked_not_guessed(admin, name):
    job = preview(admin, xlsx([no_type_row(valid_ruc(person=True), name)], headers=NO_TYPE))
    [(row, column, message)] = errors_of(job)
    assert (row, column) == (2, "Razón social")
    assert message.startswith(
        "Una persona natural (la de un DNI o un RUC 10) no tiene razón social sino apellidos y nombres: escríbalos "
        "en las columnas Apellidos y Nombres, o en esta como «Apellidos, Nombres»"
    )
    assert "«Nombre completo o razón social»" in message
    assert job.to_create == 0


def test_a_matched_company_with_a_ruc_10_keeps_its_type_when_the_file_does_not_say_it(admin):
    ruc = valid_ruc(person=True)
    create_customer(actor=admin, data=company_data(document_number=ruc, business_name="Bodega El Sol"))
    job = run(admin, preview(admin, xlsx([no_type_row(ruc, "Bodega El Sol E.I.R.L.")], headers=NO_TYPE)))
    assert (job.updated, job.error_rows) == (1, 0), job.errors
    customer = Customer.objects.get(document_number=ruc)
    assert (customer.kind, customer.business_name) == ("empresa", "Bodega El Sol E.I.R.L.")


def test_a_matched_person_keeps_its_names_when_the_file_has_its_name_only_as_razon_social(admin):
    ruc = valid_ruc(person=True)
    make_person(document_type_id=RUC, document_number=ruc, first_names="Rosa Elena", last_names="Quispe Mamani")
    job = run(admin, preview(admin, xlsx([no_type_row(ruc, "QUISPE MAMANI ROSA ELENA")], headers=NO_TYPE)))
    assert job.error_rows == 0, job.errors
    rosa = Customer.objects.get(document_number=ruc)
    assert (rosa.kind, rosa.first_names, rosa.last_names) == ("persona", "Rosa Elena", "Quispe Mamani")


# --- 3. Other systems' credit columns ------------------------------------------------------------


def test_an_erpnext_customer_export_fills_the_cupo_and_the_price_list(admin):
    PriceList.objects.get_or_create(name="Standard Selling")
    headers = [
        "Customer Name",
        "Customer Type",
        "Customer Group",
        "Territory",
        "Tax Id",
        "Email Id",
        "Mobile No",
        "Default Price List",
        "Credit Limit (Credit Limits)",
    ]
    ruc = valid_ruc(person=True)
    row = ["Torres Díaz, Luis Alberto", "Individual", "Individual", "Peru", ruc, "", "999888777"]
    job = preview(admin, csv_bytes(headers, [[*row, "Standard Selling", "5,000.00"]]), "Customer.csv")
    keys = read_as(job)
    assert (keys["Default Price List"], keys["Credit Limit (Credit Limits)"]) == (
        "credito.price_list",
        "credito.credit_limit",
    )
    # ERPNext's groups and territories are its own trees, not our categories nor a ubigeo.
    assert (keys["Customer Group"], keys["Territory"]) == ("", "")
    run(admin, job)
    account = CreditAccount.objects.get(customer__document_number=ruc)
    assert (str(account.credit_limit), account.price_list.name) == ("5000.00", "Standard Selling")


def test_an_odoo_export_in_spanish_fills_the_cupo_and_the_payment_term(admin):
    PaymentTerm.objects.get_or_create(name="30 días", defaults={"kind": "credito", "term_days": 30})
    headers = [
        "Nombre",
        "Tipo de compañía",
        "NIF",
        "Correo electrónico",
        "Plazos de pago del cliente",
        "Límite de crédito",
    ]
    ruc = valid_ruc(person=True)
    rows = [["QUISPE MAMANI ROSA ELENA", "Persona", ruc, "rosa@correo.pe", "30 días", 2500.0]]
    job = preview(admin, xlsx(rows, headers=headers), "res.partner.xlsx")
    assert read_as(job) == {
        "Nombre": "full_name",
        "Tipo de compañía": "kind",
        "NIF": "document_number",
        "Correo electrónico": "emails",
        "Plazos de pago del cliente": "credito.payment_term",
        "Límite de crédito": "credito.credit_limit",
    }
    run(admin, job)
    account = CreditAccount.objects.get(customer__document_number=ruc)
    assert (str(account.credit_limit), account.payment_term.name) == ("2500.00", "30 días")


# --- 4. Amounts in either convention -------------------------------------------------------------

CUPO = ["Tipo de cliente", "Número de documento", "Nombres", "Apellidos", "Cupo de crédito"]


@pytest.mark.parametrize(
    ("written", "separator"),
    [
        ("2000.00", ","),
        ("2,000.00", ","),
        ("S/ 2,000.00", ","),
        ("S/. 2,000.00", ","),
        ("2000,00", ";"),  # Excel with decimal commas writes its CSV with «;»
        ("2.000,00", ";"),
        ("S/ 2.000,00", ";"),
        ("2,000", ","),
    ],
)
def test_a_cupo_written_either_way_is_two_thousand_soles(admin, written, separator):
    ruc = valid_ruc(person=True)
    content = csv_bytes(CUPO, [["Persona natural", ruc, "Rosa", "Quispe", written]], separator=separator)
    job = run(admin, preview(admin, content, "clientes.csv"))
    assert job.created == 1, job.errors
    assert str(CreditAccount.objects.get(customer__document_number=ruc).credit_limit) == "2000.00"


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_cupo_that_could_be_two_thousand_or_two_is_asked_with_its_row_and_column(admin, separator):
    rows = [["Persona natural", valid_ruc(person=True), "Rosa", "Quispe", "2.000"]]
    job = preview(admin, csv_bytes(CUPO, rows, separator=separator), "clientes.csv")
    assert errors_of(job) == [
        [
            2,
            "Cupo de crédito",
            "El cupo de crédito «2.000» es ambiguo: escriba 2,000.00 si son miles o 2.00 si no (coma para los "
            "miles, punto para los decimales).",
        ]
    ]


@pytest.mark.parametrize(("written", "separator"), [("1500,50", ";"), ("1.500,50", ";"), ("S/ 1.500,50", ";")])
def test_a_decimal_attribute_written_with_a_decimal_comma_is_read_as_the_cupo_is(admin, written, separator):
    area = make_definition(kind="decimal", name="Área del local")
    ruc = valid_ruc(person=True)
    content = csv_bytes(
        [*CUPO[:4], "Área del local"], [["Persona natural", ruc, "Rosa", "Quispe", written]], separator=separator
    )
    job = run(admin, preview(admin, content, "clientes.csv"))
    assert job.created == 1, job.errors
    assert Customer.objects.get(document_number=ruc).attributes == {area.key: 1500.5}


def test_a_number_attribute_that_could_be_two_thousand_or_two_is_asked_with_its_row_and_column(admin):
    make_definition(kind="entero", name="Trabajadores")
    rows = [["Persona natural", valid_ruc(person=True), "Rosa", "Quispe", "2.000"]]
    job = preview(admin, csv_bytes([*CUPO[:4], "Trabajadores"], rows, separator=";"), "clientes.csv")
    assert errors_of(job) == [
        [
            2,
            "Trabajadores",
            "El número «2.000» es ambiguo: escriba 2,000 si son miles o 2 si no (coma para los miles, punto para "
            "los decimales).",
        ]
    ]


# --- 6. A company's address the file lacks -----------------------------------------------------


def test_companies_of_a_file_without_address_columns_are_told_what_to_add(admin):
    headers = ["Tipo de cliente", "Número de documento", "Razón social", "Giro"]
    rows = [
        ["Empresa", valid_ruc(), "Comercial Sur S.A.C.", "Abarrotes"],
        ["Empresa", valid_ruc(), "Norte S.A.", "Textil"],
    ]
    job = preview(admin, xlsx(rows, headers=headers))
    message = "Una empresa peruana necesita su dirección fiscal: ingrese la dirección y el distrito."
    assert errors_of(job) == [[2, "Dirección", message], [3, "Dirección", message]]
    [said] = [w for w in job.warnings if w.startswith("El archivo no tiene columnas de dirección")]
    assert "2 filas necesitan la dirección fiscal" in said
    assert "Agregue al archivo las columnas Dirección y Distrito (o Ubigeo)" in said
    assert "elija esa columna como «Dirección» en «Columnas del archivo»" in said


def test_a_file_with_address_columns_gets_no_such_warning(admin):
    job = preview(admin, xlsx([company(Dirección=None)]))
    assert [error[:2] for error in job.errors] == [[2, "Dirección"]]
    assert not [w for w in job.warnings if w.startswith("El archivo no tiene columnas de dirección")]
