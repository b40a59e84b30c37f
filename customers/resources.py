"""django-import-export's resource for customers: the admin's Importar / Exportar buttons run
through it, and it hands every row to customers.importing and customers.exporting — the same
columns, cleaning, matching, bulk writes, history and notes as the app's Importar page.

The admin's import is all or nothing: a file with any invalid row shows the rows and errors and
writes nothing (the app's page also offers importing only the valid rows)."""

import os
import tempfile

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources
from import_export.results import Error, Result, RowResult

from customers import importing, spreadsheets
from customers.exporting import export_rows
from customers.models import Customer

_IMPORT_TYPES = {
    "create": RowResult.IMPORT_TYPE_NEW,
    "update": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
    "error": RowResult.IMPORT_TYPE_INVALID,
}


class CustomerResource(resources.ModelResource):
    # The admin's export form lists a resource's fields to tick; the columns are always the
    # list's own (customers.exporting), so there is one choice.
    todas = fields.Field(column_name="Todas las columnas (las de Descargar Excel de la lista)")

    class Meta:
        model = Customer
        fields = ("todas",)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Customer.objects.filter(deleted_at__isnull=True)
        headers, rows = export_rows(queryset)
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
        result = Result()
        result.diff_headers = list(dataset.headers or [])
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as temp:
            spreadsheets.write_xlsx(temp.name, [("Clientes", list(dataset.headers or []), dataset)], escape=False)
            try:
                with transaction.atomic():
                    analysis = importing.analyze(temp.name, name, actor=user, lock=not dry_run)
                    if not dry_run and not analysis.error_count:
                        importing.write_rows(analysis, actor=user, file_name=name)
            except (spreadsheets.FileRefused, ValidationError) as exc:
                result.append_base_error(result_error(exc))
                if raise_errors:
                    raise
                return result
        headers = result.diff_headers
        for row in analysis.rows:
            row_result = RowResult()
            row_result.import_type = _IMPORT_TYPES[row.action]
            if row.action == "error":
                errors = {}
                for column, message in row.errors:
                    errors.setdefault(column if column in headers else "__all__", []).append(message)
                values = dict(zip(headers, [spreadsheets.cell_text(c) for c in row.raw], strict=False))
                result.append_invalid_row(row.number, values, ValidationError(errors))
            elif row.customer is not None:
                row_result.object_id, row_result.object_repr = row.customer.pk, str(row.customer)
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        result.total_rows = len(analysis.rows)
        return result


def result_error(exc) -> Error:
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return Error(ValueError(message))
