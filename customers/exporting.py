"""Export of the customer list: exactly the customers of the list's FilterSet (search, filters,
order), every column of the import template plus estado and dates, and one column per active
attribute.

The cells are formatted by PostgreSQL in one SELECT (the same SELECT for CSV and Excel), so the
CSV streams straight out of COPY … TO STDOUT: 1,000,000 customers in seconds with flat memory
(bench/importing.py). Text that would run as a formula in Excel or LibreOffice (= + - @, tab,
carriage return first) gets a leading apostrophe (the import removes it again). The CSV is UTF-8
with a BOM, so Excel opens accents right.
"""

import csv
import io
import tempfile

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    FilteredRelation,
    Func,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import FileResponse, StreamingHttpResponse

from attributes.models import AttributeDefinition
from attributes.services import attribute_columns
from customers import extensions
from customers.import_columns import COLUMNS, EXPORT_ONLY
from customers.models import CustomerEmail, CustomerPhone
from customers.spreadsheets import write_xlsx

BOM = "\ufeff".encode()
Kind = AttributeDefinition.Kind


class Escaped(Func):
    """Formula-injection escaping in SQL: a leading apostrophe before = + - @ tab CR."""

    template = "regexp_replace(%(expressions)s, '^([-=+@\t\r])', '''\\1')"
    output_field = TextField()


class YesNo(Func):
    template = "CASE WHEN %(expressions)s THEN 'Sí' ELSE 'No' END"
    output_field = TextField()


class Dmy(Func):
    template = "to_char(%(expressions)s AT TIME ZONE 'America/Lima', 'DD/MM/YYYY HH24:MI')"
    output_field = TextField()


class ArrayText(Func):
    template = "array_to_string(%(expressions)s, ', ')"
    output_field = TextField()


class NationalPhone(Func):
    # Peruvian numbers without +51 (what people type; the import reads them back as Peruvian).
    template = "regexp_replace(%(expressions)s, '(^|, )\\+51', '\\1', 'g')"
    output_field = TextField()


def _text(expression):
    return Escaped(Coalesce(Cast(expression, TextField()), Value("")))


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
        return Coalesce(
            Func(
                Cast(value, output_field=CharField()),
                template="to_char(%(expressions)s::date, 'DD/MM/YYYY')",
                output_field=TextField(),
            ),
            Value(""),
            output_field=TextField(),
        )
    if definition.kind == Kind.BOOLEAN:
        return Func(
            value,
            template="CASE %(expressions)s WHEN 'true' THEN 'Sí' WHEN 'false' THEN 'No' ELSE '' END",
            output_field=TextField(),
        )
    if definition.kind == Kind.MULTIPLE:
        return Coalesce(
            Func(
                F("attributes"),
                Value(definition.key),
                output_field=TextField(),
                template=("(SELECT string_agg(item, '; ') FROM jsonb_array_elements_text(%(expressions)s) AS item)"),
                arg_joiner=" -> ",
            ),
            Value(""),
            output_field=TextField(),
        )
    if definition.kind == Kind.PHONE:
        return _text(NationalPhone(value))
    return _text(value)


def export_columns(user=None) -> list[tuple[str, object]]:
    """(header, SQL expression) in the template's order (the columns apps above customers add
    included, for a ``user`` with their permission; every one without a user), then
    attributes, then estado and dates."""
    first_phone = CustomerPhone.objects.filter(customer=OuterRef("pk")).order_by("position", "id")
    emails = (
        CustomerEmail.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(text=StringAgg("email", ", ", order_by=("position", "id")))
        .values("text")
    )
    phones = (
        CustomerPhone.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(text=StringAgg(NationalPhone("number"), ", ", order_by=("position", "id")))
        .values("text")
    )
    by_key = {
        "kind": Case(
            When(kind="empresa", then=Value("Empresa")), default=Value("Persona natural"), output_field=TextField()
        ),
        "is_foreign": YesNo("is_foreign"),
        "document_type": F("document_type__short_name"),
        "document_number": _text("document_number"),
        "country": F("country"),
        "emails": _text(Subquery(emails)),
        "phones": _text(Subquery(phones)),
        "whatsapp": YesNo(
            Coalesce(Subquery(first_phone.values("whatsapp")[:1]), Value(False), output_field=BooleanField())
        ),
        "department": _text("main_address__district__province__department__name"),
        "province": _text("main_address__district__province__name"),
        "district": _text("main_address__district__name"),
        "ubigeo": _text("main_address__district_id"),
        "street": _text("main_address__street"),
        "unit": _text("main_address__unit"),
        "reference": _text("main_address__reference"),
        "category": _text("category__name"),
        "customer_class": _text("customer_class__name"),
        "requests_detraction": YesNo("requests_detraction"),
        "loyalty_enrolled": YesNo("loyalty_enrolled"),
        "notification_emails": _text(ArrayText("notification_emails")),
        "notification_whatsapp": _text(NationalPhone(ArrayText("notification_whatsapp"))),
    }
    columns = [(c.header, by_key.get(c.key) or _text(c.key)) for c in COLUMNS]
    for group in extensions.sheet_columns():
        if user is None or user.has_perm(group.view_permission):
            columns += group.export()
    columns += [(d.name, _attribute(d)) for d in attribute_columns()]
    estado, creado, modificado = EXPORT_ONLY
    columns += [
        (
            estado,
            Case(When(is_active=True, then=Value("Activo")), default=Value("Suspendido"), output_field=TextField()),
        ),
        (creado, Dmy("created_at")),
        (modificado, Dmy("updated_at")),
    ]
    return columns


def export_rows(queryset, user=None):
    """The queryset (the list's FilterSet) as rows of text cells, in the list's order."""
    columns = export_columns(user)
    queryset = queryset.annotate(main_address=FilteredRelation("addresses", condition=Q(addresses__is_default=True)))
    names = []
    annotations = {}
    for index, (_header, expression) in enumerate(columns):
        name = f"col_{index}"
        annotations[name] = expression
        names.append(name)
    return [header for header, _ in columns], queryset.annotate(**annotations).values_list(*names)


def csv_chunks(queryset, user=None):
    """BOM, header line, then COPY's CSV output in blocks (psycopg copy: no row in Python)."""
    headers, rows = export_rows(queryset, user)
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow(headers)
    yield BOM + head.getvalue().encode()
    sql, params = rows.query.sql_with_params()
    statement = connection.ops.compose_sql(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy:
            yield bytes(block)


def csv_response(queryset, user=None):
    response = StreamingHttpResponse(csv_chunks(queryset, user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="clientes.csv"'
    return response


def write_export_xlsx(queryset, path_or_file, user=None) -> int:
    headers, rows = export_rows(queryset, user)
    count = [0]

    def counted():
        for row in rows.iterator(chunk_size=2_000):
            count[0] += 1
            yield row

    write_xlsx(path_or_file, [("Clientes", headers, counted())], escape=False)
    return count[0]


def xlsx_response(queryset, user=None):
    temp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_export_xlsx(queryset, temp, user)
    temp.seek(0)
    return FileResponse(
        temp,
        as_attachment=True,
        filename="clientes.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
