"""The import template (.xlsx): a Clientes sheet with one column per field and per active
attribute, two example rows and drop-down lists; an Instrucciones sheet; a hidden Listas sheet
the drop-downs read (departamentos, tipos de documento, categorías, options of list attributes)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from attributes.models import AttributeDefinition
from attributes.services import attribute_columns
from customers import import_sheets
from customers.import_columns import EXAMPLES, example_values, template_columns
from customers.models import Category, CustomerClass, Department, DocumentType
from customers.spreadsheets import FORMATS, escape_formula, max_bytes, max_rows
from peru.text import sort_key

ROWS_WITH_LISTS = 5_000
_YES_NO = '"Sí,No"'
# The example rows in grey italics: they read as examples, not as customers someone typed.
_EXAMPLE_FONT = Font(italic=True, color="808080")


def build_template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Clientes"
    definitions = attribute_columns()
    columns = template_columns()  # customers' own and the ones apps above it add
    headers = [c.header for c in columns] + [d.name for d in definitions]
    # Names whoever configured them typed («=…» included) are text cells like any other: escaped
    # (spreadsheets.escape_formula; the import removes the apostrophe), or openpyxl writes a formula.
    sheet.append([escape_formula(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    # The rows the import skips when they are left as they are (import_columns.TemplateExamples).
    for example in EXAMPLES:
        sheet.append(example_values(columns, example) + ["" for _ in definitions])
    for row in sheet.iter_rows(min_row=2, max_row=len(EXAMPLES) + 1):
        for cell in row:
            cell.font = _EXAMPLE_FONT
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(30, len(header) + 4))
        # Documents and ubigeo as text: Excel would drop a DNI's leading zero.
        if header in ("Número de documento", "Ubigeo", "Teléfonos"):
            for row in range(2, ROWS_WITH_LISTS + 2):
                sheet.cell(row=row, column=index).number_format = "@"

    # Whole customers in one upload: more addresses and the contacts, by the customer's document.
    child_sheets = []
    for title, sheet_columns in (
        (import_sheets.ADDRESSES, import_sheets.ADDRESS_COLUMNS),
        (import_sheets.CONTACTS, import_sheets.CONTACT_COLUMNS),
    ):
        other = workbook.create_sheet(title)
        child_sheets.append(other)
        other.append([c.header for c in sheet_columns])
        for cell in other[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for example in import_sheets.CHILD_EXAMPLES:
            other.append(example_values(sheet_columns, example))
        for row in other.iter_rows(min_row=2, max_row=len(import_sheets.CHILD_EXAMPLES) + 1):
            for cell in row:
                cell.font = _EXAMPLE_FONT
        other.freeze_panes = "A2"
        for index, column in enumerate(sheet_columns, start=1):
            other.column_dimensions[get_column_letter(index)].width = max(12, min(30, len(column.header) + 4))
            if column.key in ("document_number", "ubigeo", "phones"):
                for row in range(2, ROWS_WITH_LISTS + 2):
                    other.cell(row=row, column=index).number_format = "@"

    lists = workbook.create_sheet("Listas")
    lists.sheet_state = "hidden"
    list_columns = {}

    def add_list(title: str, values: list[str]) -> str | None:
        if not values:
            return None
        column = get_column_letter(len(list_columns) + 1)
        lists.cell(row=1, column=len(list_columns) + 1, value=escape_formula(title))
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=len(list_columns) + 1, value=escape_formula(value))
        list_columns[title] = column
        return f"Listas!${column}$2:${column}${len(values) + 1}"

    lists_by_header = {
        "Tipo de cliente": '"Empresa,Persona natural"',
        "Extranjero": _YES_NO,
        "WhatsApp": _YES_NO,
        "Solicita detracción": _YES_NO,
        "Programa de puntos": _YES_NO,
        "Tipo de documento": add_list("Tipos de documento", [d.short_name for d in DocumentType.objects.all()]),
        # In alphabetical order as people read it (Áncash after Amazonas, not after Ucayali).
        "Departamento": add_list("Departamentos", sorted((d.name for d in Department.objects.all()), key=sort_key)),
        "Categoría": add_list("Categorías", [c.name for c in Category.objects.all()]),
        "Clase de cliente": add_list("Clases", [c.name for c in CustomerClass.objects.all()]),
    }
    for definition in definitions:
        if definition.kind == AttributeDefinition.Kind.BOOLEAN:
            lists_by_header[definition.name] = _YES_NO
        elif definition.kind == AttributeDefinition.Kind.CHOICE:
            lists_by_header[definition.name] = add_list(definition.name, list(definition.options))
    child_lists = {
        "Tipo de documento": lists_by_header["Tipo de documento"],
        "Tipo de dirección": '"Fiscal,Entrega,Otra"',
        "Departamento": lists_by_header["Departamento"],
    }
    for target, by_header in ((sheet, lists_by_header), *((other, child_lists) for other in child_sheets)):
        target_position = {cell.value: cell.column_letter for cell in target[1]}
        for header, formula in by_header.items():
            if not formula or escape_formula(header) not in target_position:
                continue
            validation = DataValidation(
                type="list", formula1=formula if formula.startswith('"') else f"={formula}", allow_blank=True
            )
            validation.error = "Elija un valor de la lista."
            validation.errorTitle = header
            target.add_data_validation(validation)
            column = target_position[escape_formula(header)]
            validation.add(f"{column}2:{column}{ROWS_WITH_LISTS + 1}")

    # Second, beside Clientes, where a person opening the file sees it (not after the other sheets).
    help_sheet = workbook.create_sheet("Instrucciones", 1)
    help_sheet.column_dimensions["A"].width = 30
    help_sheet.column_dimensions["B"].width = 90
    help_sheet.append(["Cómo llenar esta plantilla"])
    help_sheet["A1"].font = Font(bold=True, size=14)
    for line in (
        "Una fila por cliente en la hoja Clientes. Borre las filas de ejemplo (en gris) de las hojas Clientes, "
        "Direcciones y Contactos, o escriba sus datos encima: si quedan tal cual, la importación las omite.",
        "Si el número de documento (o, sin documento, el primer correo) ya es de un cliente, la fila lo actualiza; "
        "si no, crea uno nuevo.",
        "Una celda vacía no borra el dato de un cliente que ya existe.",
        "Empresa peruana: RUC, razón social, giro y dirección (con distrito) son obligatorios. "
        "Persona natural: nombres y apellidos; el DNI es opcional.",
        "Ubigeo: escriba el código de 6 dígitos, o departamento, provincia y distrito por su nombre "
        "(con o sin tildes).",
        "Fechas como dd/mm/aaaa; montos como 1500.50 o «S/ 1,500.50».",
        f"Puede subir {FORMATS} (el .csv separado por comas o por punto y coma). "
        f"Máximo {max_bytes() // 1_048_576} MB y {max_rows():,} filas.",
        "Antes de guardar nada verá una vista previa con los errores por hoja, fila y columna.",
        "Hojas Direcciones y Contactos (opcionales): una fila por dirección o contacto más, con el tipo y número "
        "de documento del cliente (de la hoja Clientes o ya registrado). La dirección principal va en la hoja "
        "Clientes. Lo que el cliente ya tiene (la misma dirección, un contacto del mismo nombre) no se repite.",
    ):
        help_sheet.append(["", line])
    help_sheet.append([])
    help_sheet.append(["Columna", "Qué escribir"])
    for column in columns:
        help_sheet.append([column.header, column.help])
    for definition in definitions:
        text = definition.help_text or definition.get_kind_display()
        if definition.options:
            text += " (" + ", ".join(definition.options) + ")"
        if definition.required:
            text += " — obligatorio"
        help_sheet.append([escape_formula(definition.name), escape_formula(text)])
    for title, sheet_columns in (
        (import_sheets.ADDRESSES, import_sheets.ADDRESS_COLUMNS),
        (import_sheets.CONTACTS, import_sheets.CONTACT_COLUMNS),
    ):
        help_sheet.append([])
        help_sheet.append([f"Hoja {title}", ""])
        for column in sheet_columns:
            help_sheet.append([column.header, column.help])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
