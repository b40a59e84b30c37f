"""django-import-export's resource for customers: the admin's Importar / Exportar buttons run
through it, and it hands every row to customers.importing and customers.exporting — the same
columns, cleaning, matching, bulk writes, history and notes as the app's Importar page.

The admin's import is all or nothing: a file with any invalid row shows the rows and errors and
writes nothing (the app's page also offers importing only the valid rows).

The admin's one import format (UploadedSpreadsheet) hands the resource the uploaded file as it
came, not tablib's reading of it: customers.spreadsheets reads it as the app's page does — the
kind of file told by its content (.xlsx, .ods, .xls or .csv), the same size and zip checks, CSV in
UTF-8 or Windows-1252 with comma or semicolon, and the Direcciones and Contactos sheets."""

import os
import tempfile

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources
from import_export.formats.base_formats import XLSX
from import_export.results import Error, Result, RowResult

from customers import import_columns as cols
from customers import importing, spreadsheets
from customers.exporting import export_rows
from customers.models import Customer

_IMPORT_TYPES = {
    "create": RowResult.IMPORT_TYPE_NEW,
    "update": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
    "error": RowResult.IMPORT_TYPE_INVALID,
}


class UploadedFile(tablib.Dataset):
    """The uploaded file's bytes, for CustomerResource.import_data to read as the app does."""

    def __init__(self, content: bytes, suffix: str):
        super().__init__()
        self.content, self.suffix = content, suffix

    def __bool__(self):  # the admin refuses an empty dataset; whether the file is empty is ours to say
        return True


class _AsUploaded:
    suffix = ""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode()
        return UploadedFile(in_stream, self.suffix)

    # Bytes, never decoded by the admin: the encoding is detected by customers.spreadsheets.
    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"


class UploadedSpreadsheet(_AsUploaded, XLSX):
    """Whichever spreadsheet was uploaded: customers.spreadsheets tells .xlsx, .ods, .xls and .csv
    apart by their bytes (spreadsheets.detect_kind), so the admin asks for no format — with one,
    django-import-export's form shows it alone, without the «---» to choose from first."""

    # The form's words for it. tablib reads a format's title as its name, but only in
    # create_dataset and export_data: this one's create_dataset is _AsUploaded's, and it is an
    # import format only (CustomerAdmin.import_formats).
    def get_title(self):
        return f"Hoja de cálculo: {spreadsheets.FORMATS} (se reconoce sola)"


class ImportResult(Result):
    """django-import-export's Result with the preview's warnings (ignored columns, examples
    skipped, a file without titles…): they block nothing; CustomerAdmin shows them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []


class Refusal(Error):
    """An error of the whole file or of another sheet's row: a sentence for the person. The
    admin's page prints each error's traceback under it, which here would only repeat the
    sentence as «ValueError: …»."""

    traceback = ""


class CustomerResource(resources.ModelResource):
    # The admin's export form lists a resource's fields to tick; the columns are always the
    # list's own (customers.exporting), so there is one choice.
    todas = fields.Field(column_name="Todas las columnas (las de Descargar Excel de la lista)")

    class Meta:
        model = Customer
        fields = ("todas",)

    def __init__(self, user=None, **kwargs):
        """``user``: whose export it is (CustomerAdmin.get_export_resource_kwargs): the columns
        of apps above customers (the cupo…) only for who may see them, as in the list's."""
        super().__init__(**kwargs)
        self.user = user

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Customer.objects.filter(deleted_at__isnull=True)
        headers, rows = export_rows(queryset, self.user)
        dataset = tablib.Dataset(headers=headers)
        for row in rows:
            dataset.append(row)
        return dataset

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        user = kwargs.get("user")
        name = os.path.basename(str(kwargs.get("file_name") or "admin.xlsx"))
        result = ImportResult()
        uploaded = isinstance(dataset, UploadedFile)
        with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1] if uploaded else ".xlsx") as temp:
            try:
                if uploaded:
                    spreadsheets.check_upload(name, len(dataset.content))
                    temp.write(dataset.content)
                    temp.flush()
                else:
                    headers = list(dataset.headers or [])
                    spreadsheets.write_xlsx(temp.name, [("Clientes", headers, dataset)], escape=False)
                with transaction.atomic():
                    analysis = importing.analyze(temp.name, name, actor=user, lock=not dry_run)
                    if not dry_run and not analysis.error_count:
                        importing.write_rows(analysis, actor=user, file_name=name)
            except (spreadsheets.FileRefused, ValidationError) as exc:
                result.append_base_error(result_error(exc))
                if raise_errors:
                    raise
                return result
        result.warnings = [*analysis.warnings, *importing.remembered_constants_warnings(analysis)]
        headers = result.diff_headers = list(analysis.headers)
        # An error names the field («Cupo de crédito»); the admin's table has the file's titles
        # («Línea de crédito»): the error goes under the column the field was read from.
        definitions = {d.key: d for d in cols.Lookups.load_definitions()}
        by_label = {cols.column_label(c["key"], definitions): c["header"] for c in analysis.columns if c["key"]}
        for row in analysis.rows:
            row_result = RowResult()
            row_result.import_type = _IMPORT_TYPES[row.action]
            if row.action == "error":
                errors = {}
                for column, message in row.errors:
                    # A column the file lacks (a company's Giro) is not in the admin's table: its
                    # message names it.
                    header = column if column in headers else by_label.get(column)
                    if header in headers:
                        errors.setdefault(header, []).append(message)
                    else:
                        errors.setdefault("__all__", []).append(importing.error_text(column, message))
                values = dict(zip(headers, [spreadsheets.cell_text(c) for c in row.raw], strict=False))
                result.append_invalid_row(row.number, values, ValidationError(errors))
            else:
                # What the row holds, under the file's titles: the preview shows which customers
                # the file creates or updates, not a column of «Nuevo» beside empty cells.
                row_result.diff = [spreadsheets.cell_text(c) if c is not None else "" for c in row.raw or ()]
                if row.customer is not None:
                    row_result.object_id, row_result.object_repr = row.customer.pk, str(row.customer)
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        # The Direcciones and Contactos sheets' errors: the admin's table has the Clientes
        # sheet's columns, so each is one line naming its sheet, row and column.
        for sheet, (_, rows) in analysis.children.items():
            for row in rows:
                for column, message in row.errors if row.action == "error" else ():
                    text = f"Hoja {sheet}, fila {row.number}, {column}: {message}"
                    result.append_base_error(Refusal(ValueError(text)))
        result.total_rows = len(analysis.rows)
        if not analysis.rows and not any(rows for _, rows in analysis.children.values()):
            # Titles only, or the template's example rows left as they came (skipped): a preview
            # of nothing with «Confirmar importación» under it would import nothing.
            result.append_base_error(Refusal(ValueError(importing.NOTHING_TO_IMPORT)))
        return result


def result_error(exc) -> Error:
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return Refusal(ValueError(message))
