"""customers.exporting: the one SELECT behind Descargar CSV and Excel — exactly the list's
customers in its order, e-mails and phones aggregated per customer, every attribute and credit
column, and the formula escaping of spreadsheets.escape_formula, in SQL."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from credit.models import CreditAccount, PriceList
from customers import exporting, queries
from customers.filters import CustomerFilterSet
from customers.models import CustomerEmail, CustomerPhone
from customers.spreadsheets import FORMULA_STARTS, escape_formula
from peru.phones import national_format, parse_phone
from tests.factories import make_address, make_company, make_person

pytestmark = pytest.mark.django_db


def csv_rows(params=None, queryset=None) -> list[dict]:
    if queryset is None:
        queryset = CustomerFilterSet(params or {}, queryset=queries.list_customers()).qs
    body = b"".join(exporting.csv_chunks(queryset))
    assert body.startswith(b"\xef\xbb\xbf")
    headers, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    return [dict(zip(headers, row, strict=True)) for row in rows]


def test_the_sql_escaping_is_the_python_rule():
    # Every first character that matters, and some that must not be touched.
    texts = ["", "'", "'=1", "a=b", " =1", "\n=1", "ñandú", "€", "=", "-", "x" * 300]
    # Negative numbers are numbers to a spreadsheet, not formulas; anything more is escaped.
    texts += ["-5", "-2.5", "-0.0001", "-5.", "-.5", "-1e5", "-5-1", "-5\n", "-5 ", "--5", "-٥"]
    texts += [chr(code) + "1" for code in range(1, 128)]
    texts += [character + "SUM(A1)" for character in FORMULA_STARTS]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t, {exporting.escaped_sql('t')} FROM unnest(%s::text[]) AS t", [texts])  # noqa: S608
        escaped = dict(cursor.fetchall())
    assert escaped == {text: escape_formula(text) for text in texts}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {exporting.escaped_sql('NULL::text')}")
        assert cursor.fetchone() == (None,)


def test_the_export_is_the_filtered_list_in_its_order():
    make_person(first_names="Rosa", last_names="Quispe")
    make_person(first_names="Ana", last_names="Quispe")
    make_person(first_names="Luis", last_names="Quispe", is_active=False)
    make_company(business_name="Quispe Hermanos S.A.C.")
    make_person(first_names="Rosa", last_names="Mamani")
    for order in ("nombre", "-nombre", "documento", "-documento"):
        params = {"q": "quispe", "tipo": "persona", "orden": order}
        listed = list(CustomerFilterSet(params, queryset=queries.list_customers()).qs)
        assert [row["Número de documento"] for row in csv_rows(params)] == [c.document_number for c in listed]
        assert len(listed) == 2


def test_a_sliced_list_exports_its_first_rows_in_order():
    for index in range(5):
        make_company(business_name=f"Empresa {index}")
    queryset = CustomerFilterSet({"orden": "-nombre"}, queryset=queries.list_customers()).qs[:3]
    assert [row["Razón social"] for row in csv_rows(queryset=queryset)] == ["Empresa 4", "Empresa 3", "Empresa 2"]


@pytest.mark.parametrize("aggregate_all", [False, True], ids=["few-picked", "many-picked"])
def test_emails_phones_and_whatsapp_come_in_their_order_per_customer(aggregate_all, monkeypatch):
    # Many customers picked: every customer's e-mails and phones are aggregated, the join keeps theirs.
    monkeypatch.setattr(exporting, "AGGREGATE_ALL_ABOVE", 0 if aggregate_all else 10**9)
    make_company(email="otro@papelera.pe", phone="+51911111111", deleted_at=timezone.now())
    customer = make_company(email="", phone="")
    CustomerEmail.objects.create(customer=customer, email="segundo@gloria.pe", position=1)
    CustomerEmail.objects.create(customer=customer, email="primero@gloria.pe", position=0)
    CustomerPhone.objects.create(customer=customer, number="+5114701234;ext=205", position=1)
    CustomerPhone.objects.create(customer=customer, number="+51987654321", whatsapp=True, position=0)
    CustomerPhone.objects.create(customer=customer, number="+13055550123", position=2)
    bare = make_company(email="", phone="")
    rows = {row["Número de documento"]: row for row in csv_rows()}
    row = rows[customer.document_number]
    assert row["Correos electrónicos"] == "primero@gloria.pe, segundo@gloria.pe"
    # Peruvian numbers as the customer's page shows them (national_format), a foreign one as stored.
    assert row["Teléfonos"] == "987 654 321, (01) 470 1234 anexo 205, +13055550123"
    assert row["WhatsApp"] == "Sí"
    empty = rows[bare.document_number]
    assert (empty["Correos electrónicos"], empty["Teléfonos"], empty["WhatsApp"]) == ("", "", "No")
    assert len(rows) == 2


def test_every_attribute_kind_and_the_credit_columns_are_exported():
    kinds = {
        "Nivel": ("lista", ["Oro", "Plata"], "Oro", "Oro"),
        "Rubros": ("multiple", ["Lácteos", "Bebidas"], ["Lácteos", "Bebidas"], "Lácteos; Bebidas"),
        "Desde": ("fecha", [], "2024-03-15", "15/03/2024"),
        "VIP": ("si_no", [], False, "No"),
        # A decimal as the customer's page shows it (format_value): no trailing zeros, however
        # the JSON holds it.
        "Monto": ("decimal", [], "1500.50", "1500.5"),
        "Peso": ("decimal", [], 2.25, "2.25"),
        "Saldo": ("decimal", [], -1000, "-1000"),
        "Metros": ("decimal", [], "n/d", "n/d"),
        "Deuda": ("entero", [], -5, "-5"),
        "Celular": ("telefono", [], "+51987654321", "987654321"),
    }
    values, expected = {}, {}
    for position, (name, (kind, options, stored, shown)) in enumerate(kinds.items()):
        definition = AttributeDefinition.objects.create(name=name, kind=kind, options=options, position=position)
        values[definition.key] = stored
        expected[name] = shown
    customer = make_company(attributes=values)
    make_address(customer=customer, district_id="150122", street="Av. Larco 123", reference="-frente al parque")
    CreditAccount.objects.create(
        customer=customer, credit_limit=Decimal("750.00"), price_list=PriceList.objects.create(name="=Especial")
    )
    (row,) = csv_rows()
    assert {name: row[name] for name in kinds} == expected
    assert (row["Cupo de crédito"], row["Lista de precios"], row["Forma de pago"]) == ("750.00", "'=Especial", "")
    assert (row["Departamento"], row["Provincia"], row["Distrito"], row["Ubigeo"]) == (
        "Lima",
        "Lima",
        "Miraflores",
        "150122",
    )
    assert (row["Dirección"], row["Indicaciones"]) == ("Av. Larco 123", "'-frente al parque")


def test_formulas_are_escaped_in_every_kind_of_cell():
    note = AttributeDefinition.objects.create(name="Nota", kind="texto", position=1)
    tags = AttributeDefinition.objects.create(name="Etiquetas", kind="multiple", options=["-10%", "Otro"], position=2)
    make_company(
        business_name="@Comercial S.A.C.",
        website="=HYPERLINK(1)",
        notification_emails=["+cobranzas@gloria.pe"],
        attributes={note.key: "=1+1", tags.key: ["-10%", "Otro"]},
    )
    (row,) = csv_rows()
    assert row["Razón social"] == "'@Comercial S.A.C."
    assert row["Página web"] == "'=HYPERLINK(1)"
    assert row["Correos de notificación"] == "'+cobranzas@gloria.pe"
    assert (row["Nota"], row["Etiquetas"]) == ("'=1+1", "'-10%; Otro")


MONEY, DATE, MOMENT = '"S/ "#,##0.00', "dd/mm/yyyy", "dd/mm/yyyy hh:mm"


def _as_csv(cell) -> str:
    """An Excel cell as the CSV writes the same value: a number cell by its format."""
    if cell.value is None:
        return ""
    if cell.number_format == MOMENT:
        return cell.value.strftime("%d/%m/%Y %H:%M")
    if cell.number_format == DATE:
        return cell.value.strftime("%d/%m/%Y")
    if cell.number_format == MONEY:
        return f"{cell.value:.2f}"
    if isinstance(cell.value, int | float):
        return format(Decimal(str(cell.value)).normalize(), "f")
    return cell.value


def test_the_excel_export_has_the_same_cells_as_the_csv_with_amounts_and_dates_as_numbers():
    level = AttributeDefinition.objects.create(name="Nivel", kind="lista", options=["Oro"], position=1)
    since = AttributeDefinition.objects.create(name="Desde", kind="fecha", position=2)
    amount = AttributeDefinition.objects.create(name="Monto", kind="decimal", position=3)
    count = AttributeDefinition.objects.create(name="Deuda", kind="entero", position=4)
    values = {level.key: "Oro", since.key: "2024-03-15", amount.key: 1500.5, count.key: -5}
    gloria = make_company(business_name="=Gloria S.A.", document_number="20100070970", attributes=values)
    CreditAccount.objects.create(customer=gloria, credit_limit=Decimal("12345.50"))
    make_person(first_names="Rosa", last_names="Quispe", document_number="00123456", phone="+5114707170")
    queryset = CustomerFilterSet({}, queryset=queries.list_customers()).qs
    buffer = io.BytesIO()
    assert exporting.write_export_xlsx(queryset, buffer) == 2
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    headers, *rows = [[cell.value for cell in row] for row in sheet.iter_rows(max_row=1)] + [
        list(row) for row in sheet.iter_rows(min_row=2)
    ]
    assert [{h: _as_csv(c) for h, c in zip(headers, row, strict=True)} for row in rows] == csv_rows()

    cells = {h: c for h, c in zip(headers, rows[0], strict=True)}
    assert (cells["Cupo de crédito"].value, cells["Cupo de crédito"].number_format) == (12345.5, MONEY)
    assert (cells["Desde"].value.date().isoformat(), cells["Desde"].number_format) == ("2024-03-15", DATE)
    assert (cells["Monto"].value, cells["Deuda"].value) == (1500.5, -5)
    # A serial day with 6 decimals: within 0.05 s of the moment (compared with the moment cut to
    # whole seconds, one created at .96 s came out 1.005 s away).
    created = timezone.localtime(gloria.created_at).replace(tzinfo=None)
    assert abs((cells["Creado"].value - created).total_seconds()) < 0.1 and cells["Creado"].number_format == MOMENT
    person = {h: c.value for h, c in zip(headers, rows[1], strict=True)}
    # Documents and phones stay text: their leading zeros.
    assert (person["Número de documento"], person["Teléfonos"]) == ("00123456", "(01) 470 7170")
    assert cells["Razón social"].value == "'=Gloria S.A."


def test_the_excel_export_shows_amounts_and_dates_whole_under_a_title_that_stays_in_view():
    """Excel shows a number or a date wider than its column as «########»: a column the file
    gives no width is 8.43 characters wide, which holds neither «15/03/2024» nor «S/ 12,345.50»."""
    since = AttributeDefinition.objects.create(name="Desde", kind="fecha", position=1)
    gloria = make_company(attributes={since.key: "2024-03-15"})
    CreditAccount.objects.create(customer=gloria, credit_limit=Decimal("12345.50"))
    buffer = io.BytesIO()
    exporting.write_export_xlsx(CustomerFilterSet({}, queryset=queries.list_customers()).qs, buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    widths = {letter: dimension.width for letter, dimension in dict(sheet.column_dimensions).items()}
    letters = {cell.value: cell.column_letter for cell in sheet[1]}
    shown = {"Desde": "15/03/2024", "Creado": "15/03/2024 10:30", "Cupo de crédito": "S/ 12,345.50"}
    for header, text in shown.items():
        assert widths.get(letters[header], 8.43) > len(text), header
    assert widths.get(letters["Número de documento"], 8.43) > len("Número de documento")
    assert sheet.freeze_panes == "A2"


def test_a_download_cut_short_leaves_the_connection_usable():
    for _ in range(3):
        make_company()
    chunks = exporting.csv_chunks(CustomerFilterSet({}, queryset=queries.list_customers()).qs)
    next(chunks)
    next(chunks)
    chunks.close()  # the browser went away
    assert len(csv_rows()) == 3


def test_the_streamed_workbook_keeps_text_exactly_and_drops_what_xml_cannot_carry():
    from customers.xlsx_stream import column_letter, write_text_sheet

    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
    buffer = io.BytesIO()
    rows = [["<b>Tom & Jerry</b>", "  espacios  ", "", None, "línea\nnueva", "bell\x07"]]
    assert write_text_sheet(buffer, "Clientes", ["Uno", "Dos", "Tres", "Cuatro", "Cinco", "Seis"], rows) == 1
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["Clientes"]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    expected = ["<b>Tom & Jerry</b>", "  espacios  ", None, None, "línea\nnueva", "bell"]
    assert [cell.value for cell in sheet[2]] == expected


def test_a_decimal_attribute_is_exported_as_the_customers_page_shows_it():
    from attributes.values import format_value

    amount = AttributeDefinition.objects.create(name="Monto", kind="decimal", position=1)
    # 1.234 and "-12.500": three decimals after up to three digits get a fourth («1.2340»), or the
    # import would refuse the export's own cell as ambiguous (two thousand or two?).
    stored = ["1500.50", 1500.5, 1000, 0.0001, -2.5, 12345678901.1234, 1.234, "-12.500", 0.125, 1234.567]
    customers = [make_person(attributes={amount.key: value}) for value in stored]
    # 1500.50 as a JSON number with its trailing zero, as SQL (not parse_value) may write it.
    raw = make_person()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET attributes = jsonb_build_object(%s::text, '1500.50'::jsonb) WHERE id = %s",
            [amount.key, raw.pk],
        )
    raw.refresh_from_db()
    shown = {row["Número de documento"]: row["Monto"] for row in csv_rows()}
    for customer in [*customers, raw]:
        assert shown[customer.document_number] == format_value(amount, customer.attributes[amount.key])
    assert shown[raw.document_number] == "1500.5"
    assert [shown[customer.document_number] for customer in customers[6:]] == ["1.2340", "-12.5", "0.125", "1234.567"]


def test_the_exports_phone_format_is_the_pages_for_every_shape_stored():
    """The export formats phones in SQL (a parse per number would cost a million parses): it must
    say what peru.phones.national_format says, for every shape a phone is stored in."""
    stored = [
        "+51987654321",
        "+51912345678",
        "+5114707170",
        "+5114701234;ext=205",
        "+5184234567",
        "+5144123456;ext=12",
        "+5154987654",
        "+13055550123",
    ]
    stored += [parse_phone(typed).stored for typed in ("01 470 7170", "(054) 123 456", "987-654-321", "4707170")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {exporting.phone_cell_sql('s')} FROM unnest(%s::text[]) WITH ORDINALITY AS u(s, o) ORDER BY o",  # noqa: S608
            [stored],
        )
        exported = [row[0] for row in cursor.fetchall()]
    # A foreign number as stored (national_format would write it the international way).
    assert exported == [national_format(n) if n.startswith("+51") else n for n in stored]


def test_the_whole_export_query_may_run_in_parallel_workers():
    """At a million customers PostgreSQL runs the export in parallel workers. A parallel-restricted
    cell (a correlated subquery, say) would leave every cell's work to the one backend above them
    (bench/README.md). debug_parallel_query puts a Gather on top of a plan only when all of it,
    select list included, is parallel safe."""
    for position, kind in enumerate(AttributeDefinition.Kind):
        options = ["Uno", "Dos"] if kind in ("lista", "multiple") else []
        AttributeDefinition.objects.create(name=f"Atributo {kind}", kind=kind, options=options, position=position)
    make_company()
    _headers, sql, params = exporting.export_sql(CustomerFilterSet({}, queryset=queries.list_customers()).qs)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL debug_parallel_query = on")
        cursor.execute(f"EXPLAIN (COSTS OFF) {sql}", params)
        plan = [line for (line,) in cursor.fetchall()]
    assert plan[0].startswith("Gather"), "\n".join(plan)


def test_a_multiple_choice_list_is_joined_as_its_items_are_read():
    """customer_join_list (migration 0040, parallel safe) says what string_agg over
    jsonb_array_elements_text says, for any JSON list: nulls skipped, numbers and nested values as
    their JSON text, NULL when nothing is left."""
    lists = ['["Lácteos", "Bebidas"]', "[]", "[null]", "[null, null]", '["a", null, "b"]', '["", "x"]']
    lists += ["[1, 2.50, true]", '[{"a": 1}, [1, "x"]]', '["; ya"]']
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_join_list(l::jsonb),"
            " (SELECT string_agg(item, '; ') FROM jsonb_array_elements_text(l::jsonb) AS item)"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(l, o) ORDER BY o",
            [lists],
        )
        pairs = cursor.fetchall()
    assert pairs[0] == ("Lácteos; Bebidas", "Lácteos; Bebidas")
    assert [joined for joined, _ in pairs] == [subquery for _, subquery in pairs]


def test_the_national_phone_sql_drops_each_plus_51_as_the_regular_expression_did():
    texts = ["+51987654321", "+51987654321, +5114707170", "+13055550123, +51987654321", "", "51+51", ", +51"]
    texts += ["+51+51", "+5, +51, , +51x", "a, +51, +51"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {exporting.national_phone_sql('t')} FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, o) ORDER BY o",  # noqa: S608
            [texts],
        )
        national = [row[0] for row in cursor.fetchall()]
    assert national == [re.sub(r"(^|, )\+51", r"\1", text) for text in texts]
    assert national[:3] == ["987654321", "987654321, 14707170", "+13055550123, 987654321"]
