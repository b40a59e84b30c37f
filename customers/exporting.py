"""Export of the customer list: exactly the customers of the list's FilterSet (search, filters,
order), every column of the import template plus estado and dates, and one column per active
attribute.

The cells are formatted by PostgreSQL in one SELECT (the same SELECT for CSV and Excel), so the
CSV streams straight out of COPY … TO STDOUT with flat memory (bench/importing.py). The SELECT
is shaped for a million rows at once: each customer's e-mails and phones are aggregated once
with GROUP BY and hash-joined (three correlated subqueries per customer cost more than the rest
of the export together), the joins are left to the planner, which runs them in parallel
workers, and the rows are sorted once, at the end, in the list's order. Text that would run as
a formula in Excel or LibreOffice (spreadsheets.FORMULA_STARTS first) gets a leading apostrophe
(the import removes it again), by one SQL expression that the tests hold to escape_formula. The
CSV is UTF-8 with a BOM, so Excel opens accents right.

The Excel file has the same cells but for amounts and dates (``Typed``): there they are numbers
with a number format — money «S/ 1,234.50», dates dd/mm/aaaa — so that a cupo adds up and a date
sorts; documents and phones stay text (their leading zeros). A column an app above customers
adds is typed by its model field: a DecimalField is money, a DateField a date.
"""

import csv
import io
import json
import tempfile

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    FilteredRelation,
    Func,
    OrderBy,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from attributes.models import AttributeDefinition
from attributes.services import attribute_columns
from customers import extensions
from customers.import_columns import COLUMNS, EXPORT_ONLY
from customers.models import Customer
from customers.spreadsheets import FORMULA_STARTS, NEGATIVE_NUMBER, escape_formula
from customers.xlsx_stream import write_sheet
from peru.numbers import AMBIGUOUS_SQL_PATTERN

BOM = "\ufeff".encode()
Kind = AttributeDefinition.Kind

# spreadsheets.escape_formula in SQL, from the same characters (tests/customers/test_exporting.py
# runs both over the same strings). ascii() of the first character rather than a regular
# expression: at 1,000,000 rows of 45 cells regexp_replace cost 6 s, this 1 s. The list is
# padded with codes ascii() never gives to 9, the length from which PostgreSQL looks a constant
# IN list up in a hash table instead of comparing with each (about a third less per cell).
_FORMULA_CODES = ", ".join(
    [str(ord(character)) for character in FORMULA_STARTS] + [str(-n) for n in range(1, 10 - len(FORMULA_STARTS))]
)


def escaped_sql(column: str) -> str:
    """A leading apostrophe before ``column`` when it starts as a formula would (``column`` is
    read twice: a column, or a cheap expression)."""
    return (
        f"CASE WHEN ascii({column}) IN ({_FORMULA_CODES}) AND {column} !~ '^{NEGATIVE_NUMBER}$' "
        f"THEN '''' || {column} ELSE {column} END"
    )


class YesNo(Func):
    template = "CASE WHEN %(expressions)s THEN 'Sí' ELSE 'No' END"
    output_field = TextField()


class Dmy(Func):
    template = "to_char(%(expressions)s AT TIME ZONE 'America/Lima', 'DD/MM/YYYY HH24:MI')"
    output_field = TextField()


class ArrayText(Func):
    template = "array_to_string(%(expressions)s, ', ')"
    output_field = TextField()


class Typed:
    """A cell the Excel file holds as a number of kind ``kind`` (xlsx_stream.NUMBER_KINDS:
    money, number, date, datetime) and the CSV as text: ``text`` is the CSV's cell (an
    expression or Fixed), ``value`` an expression of the number as text — a date as Excel's
    serial day — or NULL (an empty cell)."""

    def __init__(self, text, value, kind: str):
        self.text, self.value, self.kind = text, value, kind


# Excel's serial day: days since 1899-12-30 (its day 1 is 1900-01-01, and it counts a 29 Feb 1900).
class SerialDay(Func):
    template = "(%(expressions)s - DATE '1899-12-30')::text"
    output_field = TextField()


class SerialMoment(Func):
    """A moment as Excel's serial day and fraction, in Lima's time (as Dmy shows it)."""

    template = "round(extract(epoch FROM (%(expressions)s AT TIME ZONE 'America/Lima')) / 86400 + 25569, 6)::text"
    output_field = TextField()


def national_phone_sql(expression: str) -> str:
    """Peruvian numbers without +51 (what people type; the import reads them back as Peruvian):
    a +51 at the start or after ", " dropped, as regexp_replace(…, '(^|, )\\+51', '\\1', 'g') would,
    with replace(), which costs nothing next to the regular expression (0.4 s a column at
    1,000,000 rows)."""
    return f"substr(replace(', ' || {expression}, ', +51', ', '), 3)"


class NationalPhone(Func):
    template = national_phone_sql("%(expressions)s")
    output_field = TextField()


def _text(expression):
    return Coalesce(Cast(expression, TextField()), Value(""), output_field=TextField())


def _attribute(definition: AttributeDefinition):
    # ->> with the key as text: Django's KeyTextTransform reads a digit key as an array index.
    value = Func(
        F("attributes"),
        Value(definition.key),
        template="(%(expressions)s)",
        arg_joiner=" ->> ",
        output_field=TextField(),
    )
    if definition.kind == Kind.DATE:
        day = Func(Cast(value, output_field=CharField()), template="(%(expressions)s)::date", output_field=DateField())
        return Typed(
            Fixed(
                Coalesce(
                    Func(day, template="to_char(%(expressions)s, 'DD/MM/YYYY')", output_field=TextField()),
                    Value(""),
                    output_field=TextField(),
                )
            ),
            SerialDay(day),
            "date",
        )
    if definition.kind == Kind.BOOLEAN:
        return Fixed(
            Func(
                value,
                template="CASE %(expressions)s WHEN 'true' THEN 'Sí' WHEN 'false' THEN 'No' ELSE '' END",
                output_field=TextField(),
            )
        )
    if definition.kind == Kind.MULTIPLE:
        # customer_join_list (migration 0040) rather than a subquery: a subquery keeps the
        # whole select list out of the parallel workers. Only where there is a list; the key
        # is the definition's id, digits only.
        items = f"(%(expressions)s -> '{int(definition.pk)}')"
        return Func(
            F("attributes"),
            output_field=TextField(),
            template=(
                f"CASE jsonb_typeof({items}) WHEN 'array' THEN coalesce(customer_join_list({items}), '') "
                f"ELSE coalesce({items} #>> '{{}}', '') END"
            ),
        )
    if definition.kind in (Kind.DECIMAL, Kind.INTEGER):
        # As attributes.values.format_value shows it on the customer's page (decimal_text): no
        # trailing zeros ("1500.5", "1000") but for three decimals after up to three digits,
        # which get a fourth ("1.2340": the import would refuse "1.234" as ambiguous), whether
        # the JSON holds 1500.50, 1500.5 or, written by something other than parse_value, the
        # text "1500.50". Anything else as it is in the CSV, and an empty cell in the Excel file
        # (which holds numbers in this column).
        item = f"(%(expressions)s -> '{int(definition.pk)}')"
        text = f"({item} #>> '{{}}')"

        def plain(numeric: str) -> str:
            return f"regexp_replace(trim_scale({numeric})::text, '{AMBIGUOUS_SQL_PATTERN}', '\\&0')"

        number = (
            f"CASE WHEN jsonb_typeof({item}) = 'number' THEN {plain(f'({item})::numeric')} "
            f"WHEN {text} ~ '^-?[0-9]+([.][0-9]+)?$' THEN {plain(f'{text}::numeric')}"
        )
        csv_cell = (
            _text(value)
            if definition.kind == Kind.INTEGER
            else Func(F("attributes"), output_field=TextField(), template=f"{number} ELSE coalesce({text}, '') END")
        )
        return Typed(csv_cell, Func(F("attributes"), output_field=TextField(), template=f"{number} END"), "number")
    if definition.kind == Kind.PHONE:
        return _text(NationalPhone(value))
    return _text(value)


class Aggregated:
    """A cell read from the e-mails and phones aggregated per customer (export_sql's joins,
    aliases ``e`` and ``f``), not an expression on Customer."""

    def __init__(self, sql: str):
        self.sql = sql


class Fixed:
    """A cell whose every value is one of a few words or a date (Sí/No, Activo, dd/mm/aaaa):
    none starts as a formula, so it skips the escaping (which would compute it twice)."""

    def __init__(self, cell):
        self.cell = cell


# Each customer's e-mails and phones in their order, once per customer (GROUP BY); the first
# phone's WhatsApp flag rides along. {picked}: a condition on customer_id (see export_sql).
_AGGREGATES = """
WITH e AS (
    SELECT customer_id, string_agg(email, ', ' ORDER BY position, id) AS emails
    FROM customers_customeremail
    WHERE {picked}
    GROUP BY customer_id
), f AS (
    SELECT customer_id,
        string_agg({phone}, ', ' ORDER BY position, id) AS phones,
        (array_agg(whatsapp ORDER BY position, id))[1] AS first_whatsapp
    FROM customers_customerphone
    WHERE {picked}
    GROUP BY customer_id
)
"""


def _national_phone_sql(n: str) -> str:
    """A stored phone ``n`` (E.164, peru.phones; no extension) as the customer's page shows it
    (peru.phones.national_format) for Peru's usual shapes — a mobile «987 654 321», Lima «(01)
    470 1234», another departamento «(084) 234 567» — with string functions, not a parse per
    number (a million customers); any other Peruvian number without its +51, a foreign one as
    stored. The import reads each back. A second writing of national_format's rule: a test
    compares the two for every stored shape."""
    return (
        f"CASE WHEN length({n}) = 12 AND left({n}, 4) = '+519'"
        f" THEN substr({n}, 4, 3) || ' ' || substr({n}, 7, 3) || ' ' || substr({n}, 10)"
        f" WHEN length({n}) = 11 AND left({n}, 4) = '+511' THEN '(01) ' || substr({n}, 5, 3) || ' ' || substr({n}, 8)"
        f" WHEN length({n}) = 11 AND left({n}, 3) = '+51' AND substr({n}, 4, 1) BETWEEN '2' AND '8'"
        f" THEN '(0' || substr({n}, 4, 2) || ') ' || substr({n}, 6, 3) || ' ' || substr({n}, 9)"
        f" WHEN left({n}, 3) = '+51' THEN substr({n}, 4) ELSE {n} END"
    )


def phone_cell_sql(number: str) -> str:
    """A stored phone (``number``, a column: the number, then «;ext=» and the extension if it
    has one) as the export writes it: _national_phone_sql, then « anexo » and the extension.
    Most have none, and are formatted from the column itself: split_part would run once for
    each of the dozen uses of the number (a third of the phones' aggregate)."""
    main, ext = f"split_part({number}, ';ext=', 1)", f"split_part({number}, ';ext=', 2)"
    return (
        f"CASE WHEN strpos({number}, ';ext=') = 0 THEN {_national_phone_sql(number)} "
        f"ELSE {_national_phone_sql(main)} || CASE WHEN {ext} <> '' THEN ' anexo ' || {ext} ELSE '' END END"
    )


def export_columns(user=None) -> list[tuple[str, object]]:
    """(header, cell) in the template's order (the columns apps above customers add included,
    for a ``user`` with their permission; every one without a user), then attributes, then
    estado and dates. A cell is an ORM expression on Customer (with ``main_address``) or
    Aggregated."""
    by_key = {
        "kind": Fixed(
            Case(
                When(kind="empresa", then=Value("Empresa")), default=Value("Persona natural"), output_field=TextField()
            )
        ),
        "is_foreign": Fixed(YesNo("is_foreign")),
        "document_type": F("document_type__short_name"),
        "document_number": _text("document_number"),
        "country": F("country"),
        "emails": Aggregated("coalesce(e.emails, '')"),
        "phones": Aggregated("coalesce(f.phones, '')"),
        "whatsapp": Fixed(Aggregated("CASE WHEN f.first_whatsapp THEN 'Sí' ELSE 'No' END")),
        "department": _text("main_address__district__province__department__name"),
        "province": _text("main_address__district__province__name"),
        "district": _text("main_address__district__name"),
        "ubigeo": _text("main_address__district_id"),
        "street": _text("main_address__street"),
        "unit": _text("main_address__unit"),
        "reference": _text("main_address__reference"),
        "category": _text("category__name"),
        "customer_class": _text("customer_class__name"),
        "requests_detraction": Fixed(YesNo("requests_detraction")),
        "loyalty_enrolled": Fixed(YesNo("loyalty_enrolled")),
        "notification_emails": _text(ArrayText("notification_emails")),
        "notification_whatsapp": _text(NationalPhone(ArrayText("notification_whatsapp"))),
    }
    columns = [(c.header, by_key.get(c.key) or _text(c.key)) for c in COLUMNS]
    for group in extensions.sheet_columns():
        if user is None or user.has_perm(group.view_permission):
            columns += [(header, _by_field(expression)) for header, expression in group.export()]
    columns += [(d.name, _attribute(d)) for d in attribute_columns()]
    estado, creado, modificado = EXPORT_ONLY
    columns += [
        (
            estado,
            # The list never exports the Papelera; the admin's changelist (and so its export) shows it.
            Fixed(
                Case(
                    When(deleted_at__isnull=False, then=Value("En la Papelera")),
                    When(is_active=True, then=Value("Activo")),
                    default=Value("Suspendido"),
                    output_field=TextField(),
                )
            ),
        ),
        (creado, Typed(Fixed(Dmy("created_at")), SerialMoment("created_at"), "datetime")),
        (modificado, Typed(Fixed(Dmy("updated_at")), SerialMoment("updated_at"), "datetime")),
    ]
    return columns


def _by_field(expression):
    """An app's column (an expression on Customer) by its model field: an amount (DecimalField)
    is money and a DateField a date in the Excel file; anything else text."""
    field = Customer.objects.annotate(cell=expression).query.annotations["cell"].output_field
    if isinstance(field, DecimalField):
        return Typed(_text(expression), Cast(expression, TextField()), "money")
    if isinstance(field, DateTimeField):
        return Typed(Fixed(_text(Dmy(expression))), SerialMoment(expression), "datetime")
    if isinstance(field, DateField):
        shown = Func(expression, template="to_char(%(expressions)s, 'DD/MM/YYYY')", output_field=TextField())
        return Typed(Fixed(_text(shown)), SerialDay(expression), "date")
    return expression if isinstance(field, TextField) else _text(expression)


def _ordering(queryset) -> list[tuple[object, bool]]:
    """The queryset's ORDER BY as (expression, descending) pairs (the list's FilterSet always
    sets one; the model's ordering otherwise), the primary key last as a tie-break."""
    terms = list(queryset.query.order_by)
    if not terms and queryset.query.default_ordering:
        terms = list(queryset.model._meta.ordering)
    ordering = []
    for term in terms:
        if isinstance(term, str):
            ordering.append((F(term.lstrip("-")), term.startswith("-")))
        elif isinstance(term, OrderBy):
            ordering.append((term.expression, term.descending))
        else:
            ordering.append((term, False))
    return [*ordering, (F("pk"), False)]


AGGREGATE_ALL_ABOVE = 200_000


def _estimated_rows(sql: str, params) -> float:
    """The planner's estimate of the rows of a query (EXPLAIN: planned, not run)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def export_sql(queryset, user=None, *, columns=None, typed: bool = False) -> tuple[list[str], str, tuple]:
    """Headers, and one SELECT (sql, params) of the queryset's customers (the list's FilterSet:
    its rows, order and slice) as text cells, in the list's order. ``typed``: the Typed
    columns' numbers instead of their text (the Excel file's). ``columns``: export_columns'."""
    if columns is None:
        columns = export_columns(user)
    sliced = queryset.query.is_sliced
    annotations = {"main_address": FilteredRelation("addresses", condition=Q(addresses__is_default=True))}
    cells = []
    for index, (_header, cell) in enumerate(columns):
        # Every cell but the Fixed ones and the numbers escaped here, in one place.
        escape = escaped_sql
        if isinstance(cell, Typed):
            cell = Fixed(cell.value) if typed else cell.text
        if isinstance(cell, Fixed):
            cell, escape = cell.cell, str
        if isinstance(cell, Aggregated):
            cells.append(escape(cell.sql))
        else:
            annotations[f"col_{index}"] = cell
            cells.append(escape(f"b.col_{index}"))
    order = []
    for index, (expression, descending) in enumerate(_ordering(queryset)):
        annotations[f"ord_{index}"] = expression
        order.append(f"b.ord_{index}{' DESC' if descending else ''}")
    names = [name for name in annotations if name != "main_address"]
    # The customers with the cells that are expressions on Customer (the ORM compiles them and
    # their joins), unordered unless sliced: PostgreSQL flattens the subquery into one join
    # (parallel workers can share it at a million rows) and orders once, at the end.
    base = queryset.annotate(**annotations).values_list("pk", *names)
    if not sliced:
        base = base.order_by()
    base_sql, base_params = base.query.sql_with_params()
    # The same customers' ids, so that only their e-mails and phones are aggregated — when they
    # are few. For many, aggregating every customer's is cheaper than finding theirs: the
    # parallel workers each aggregate on their own, and each would find them again (at
    # 1,000,000 customers 1.5 s of CPU more). The joins below keep the picked ones either way.
    picked = queryset.values_list("pk", flat=True)
    if not sliced:
        picked = picked.order_by()
    picked_sql, picked_params = picked.query.sql_with_params()
    if _estimated_rows(picked_sql, picked_params) < AGGREGATE_ALL_ABOVE:
        picked_sql = f"customer_id IN ({picked_sql})"
    else:
        picked_sql, picked_params = "true", ()
    # SQL the ORM compiled and fixed SQL; the values are parameters.
    sql = (
        _AGGREGATES.format(picked=picked_sql, phone=phone_cell_sql("number"))
        + f"SELECT {', '.join(cells)} "  # noqa: S608
        + f"FROM ({base_sql}) b LEFT JOIN e ON e.customer_id = b.pk LEFT JOIN f ON f.customer_id = b.pk "
        + f"ORDER BY {', '.join(order)}"
    )
    # The titles are cells too (an attribute's name is whatever its Administrador typed).
    return [escape_formula(header) for header, _ in columns], sql, (*picked_params, *picked_params, *base_params)


def export_rows(queryset, user=None, *, columns=None, typed: bool = False):
    """Headers, and the rows of cells (a server-side cursor: memory stays flat); export_sql's
    ``columns`` and ``typed``."""
    headers, sql, params = export_sql(queryset, user, columns=columns, typed=typed)

    def rows():
        # Django's server-side cursor (the one QuerySet.iterator uses), read in blocks.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while block := cursor.fetchmany(2_000):
                yield from block

    return headers, rows()


# COPY sends one message per row (about 330 bytes here): the rows are passed on in blocks of this
# size, so that whoever writes them out (the WSGI server, a socket) does so 200 times less often.
CSV_BLOCK_BYTES = 64 * 1024


def csv_chunks(queryset, user=None):
    """BOM, header line, then COPY's CSV output in blocks of about CSV_BLOCK_BYTES (psycopg
    copy: no row parsed in Python)."""
    headers, sql, params = export_sql(queryset, user)
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow(headers)
    yield BOM + head.getvalue().encode()
    statement = connection.ops.compose_sql(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params)
    with transaction.atomic(), connection.cursor() as cursor:
        # At a million rows PostgreSQL runs the joins, aggregates and sorts in two parallel
        # workers; the backend that leads them only merges their rows and writes the CSV. Left
        # to help the workers as well, it fell behind on that (bench/README.md: 10.8 s → 9.2 s).
        cursor.execute("SET LOCAL parallel_leader_participation = off")
        with connection.connection.cursor() as raw, raw.copy(statement) as copy:
            block = bytearray()
            for row in copy:
                block += row
                if len(block) >= CSV_BLOCK_BYTES:
                    yield bytes(block)
                    block.clear()
            if block:
                yield bytes(block)


def nothing_to_export(filterset) -> str:
    """What the list's Descargar CSV / Excel say when the list has no customer: the menu's
    disabled entries and the export's answer when its address is opened anyway."""
    if filterset.search_term or filterset.active_filters:
        return "No hay clientes que descargar con esta búsqueda."
    return "No hay clientes que descargar."


def file_name(extension: str) -> str:
    """«clientes-2026-12-02.csv»: the day of the download (Lima's), so that the downloads of
    several days are told apart rather than piling up as clientes (1).csv, clientes (2).csv…
    (the app's list and the admin alike)."""
    return f"clientes-{timezone.localdate().isoformat()}.{extension}"


def csv_response(queryset, user=None):
    response = StreamingHttpResponse(csv_chunks(queryset, user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name("csv")}"'
    return response


def write_export_xlsx(queryset, path_or_file, user=None) -> int:
    """The same cells as the CSV in an .xlsx (customers.xlsx_stream), amounts and dates as
    numbers; the number of rows."""
    columns = export_columns(user)
    headers, rows = export_rows(queryset, user, columns=columns, typed=True)
    kinds = [cell.kind if isinstance(cell, Typed) else None for _, cell in columns]
    return write_sheet(path_or_file, "Clientes", headers, rows, kinds)


def xlsx_response(queryset, user=None):
    temp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        write_export_xlsx(queryset, temp, user)
    except BaseException:
        temp.close()
        raise
    temp.seek(0)
    return FileResponse(
        temp,
        as_attachment=True,
        filename=file_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
