"""The columns of the customer spreadsheet (template, import, export) and how a row's cells
become the data dict customers.services cleans — the spreadsheet quirks live here, the rules
stay in the services.

Quirks handled: numbers typed as numbers (an 11-digit RUC read back as a float, a DNI that
lost its leading zero), Excel date serials, "S/ 1,500.00" amounts, headers and ubigeo names in
any case and with or without accents, stray spaces, the apostrophe the export puts in front of
cells that would run as formulas.
"""

import collections
import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from attributes.models import AttributeDefinition
from attributes.values import FALSE_WORDS, TRUE_WORDS
from customers import extensions
from customers.countries import country_choices
from customers.import_staging import field_values
from customers.models import Category, Customer, CustomerClass, Department, District, DocumentType
from customers.reference import DNI, RUC
from customers.spreadsheets import EXCEL_ERROR_MESSAGE, cell_text, unescape_formula
from peru import validators
from peru.text import CONTROL_MESSAGE, clean_spaces, fold, has_legal_form, spanish_list, split_person_name


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str = ""
    aliases: tuple[str, ...] = ()
    example_company: str = ""
    example_person: str = ""


# In the template's order. key: what the row's dict calls it (see row_data).
COLUMNS = [
    Column(
        "kind",
        "Tipo de cliente",
        "Empresa o Persona natural",
        (
            "tipo",
            "tipo cliente",
            "tipo de persona",
            "tipo persona",
            "empresa o persona",
            "persona o empresa",
            # ERPNext's Customer Type (Company, Individual), Odoo's Company Type.
            "customer type",
            "tipo de compania",
            "company type",
        ),
        "Empresa",
        "Persona natural",
    ),
    Column("is_foreign", "Extranjero", "Sí o No (vacío: No)", ("es extranjero",), "No", "No"),
    Column(
        "document_type",
        "Tipo de documento",
        "RUC, DNI, CE, Pasaporte… o el código SUNAT (6, 1, 4, 7…)",
        (
            "tipo doc",
            "tipo documento",
            "tipo de doc",
            "tipo doc identidad",
            "tipo de documento de identidad",
            "tipo de documento del cliente",
            # Odoo with l10n_latam_base (Peru's l10n_pe): Tipo de identificación.
            "tipo de identificacion",
            "tipo identificacion",
            "identification type",
        ),
        "RUC",
        "DNI",
    ),
    Column(
        "document_number",
        "Número de documento",
        "RUC de 11 dígitos, DNI de 8",
        (
            "documento",
            "nro documento",
            "n documento",
            "numero documento",
            "nro. documento",
            "num doc",
            "ruc",
            "dni",
            "ruc/dni",
            "ruc o dni",
            "doc",
            "numero de documento de identidad",
            "nro doc",
            "documento de identidad",
            "numero de documento del cliente",
            # Odoo with l10n_latam_base: Número de identificación (the partner's vat); Odoo
            # without it and ERPNext: NIF, VAT, Tax ID.
            "numero de identificacion",
            "identification number",
            "nro de identificacion",
            "identificacion",
            "nif",
            "vat",
            "tax id",
            "identificacion fiscal",
            "numero de identificacion fiscal",
        ),
        "20100070970",
        "07654321",
    ),
    Column(
        "business_name",
        "Razón social",
        "Empresas",
        ("razon social", "empresa", "company name", "nombre de la empresa"),
        "Gloria S.A.",
        "",
    ),
    Column("first_names", "Nombres", "Personas", ("nombres del cliente", "first name"), "", "Rosa Elena"),
    Column(
        "last_names", "Apellidos", "Personas", ("apellido", "apellidos del cliente", "last name"), "", "Quispe Mamani"
    ),
    Column(
        "business_line",
        "Giro",
        "Actividad de la empresa",
        (
            "actividad",
            "rubro",
            "actividad economica",
            "giro del negocio",
            "industria",
            "industry",
            "activity",
            "sector",
        ),
        "Lácteos",
        "",
    ),
    Column(
        "country", "País", "Código de 2 letras o nombre (vacío: Perú)", ("pais", "nacionalidad", "country"), "PE", "PE"
    ),
    Column(
        "emails",
        "Correos electrónicos",
        "Separados por coma",
        (
            "correo",
            "correo electronico",
            "email",
            "e-mail",
            "emails",
            "correos",
            "mail",
            "email id",
            "email address",
            "id de correo electronico",
        ),
        "ventas@gloria.com.pe",
        "rosa.quispe@gmail.com",
    ),
    Column(
        "phones",
        "Teléfonos",
        "Separados por coma",
        (
            "telefono",
            "celular",
            "movil",
            "telefonos",
            "tel",
            "fono",
            "cel",
            "phone",
            "mobile",
            "mobile no",
            "telefono movil",
            "telefono fijo",
            "numero de movil",
            "movil no",
        ),
        "01 470 7170",
        "987 654 321",
    ),
    Column("whatsapp", "WhatsApp", "Sí si el primer teléfono tiene WhatsApp", ("tiene whatsapp",), "No", "Sí"),
    Column(
        "department", "Departamento", "Nombre (Lima, Áncash…) o código", ("dpto", "depto", "region"), "Lima", "Cusco"
    ),
    Column("province", "Provincia", "Nombre o código", (), "Lima", "Cusco"),
    # Bsale's «municipality» is the district in Peru.
    Column("district", "Distrito", "Nombre o ubigeo", ("district", "municipio"), "Miraflores", "Wanchaq"),
    Column("ubigeo", "Ubigeo", "6 dígitos; si lo escribe, no hacen falta los nombres", ("codigo ubigeo",), "", ""),
    Column(
        "street",
        "Dirección",
        "Calle y número",
        ("direccion", "calle", "domicilio", "direccion fiscal", "domicilio fiscal", "street", "address"),
        "Av. Larco 123",
        "Jr. Ayacucho 456",
    ),
    Column("unit", "Dpto./Ofic./Casa", "", ("dpto ofic casa", "interior", "oficina"), "Of. 501", ""),
    # Odoo's Calle 2 (street2): the address's second line, kept as its indications.
    Column(
        "reference",
        "Indicaciones",
        "Referencia para llegar",
        ("referencia", "calle 2", "street2", "street 2"),
        "Frente al parque",
        "",
    ),
    Column("category", "Categoría", "Una de las categorías de Configuración", ("categoria",), "PRO", "NORMAL"),
    Column("customer_class", "Clase de cliente", "Una de las clases de Configuración", ("clase",), "", ""),
    Column("requests_detraction", "Solicita detracción", "Sí o No", ("detraccion",), "No", "No"),
    Column("loyalty_enrolled", "Programa de puntos", "Sí o No", ("puntos",), "No", "Sí"),
    Column("notification_emails", "Correos de notificación", "Separados por coma", (), "", ""),
    Column("notification_whatsapp", "WhatsApp de notificación", "Separados por coma", (), "", ""),
    Column("facebook", "Facebook", "", (), "", ""),
    Column("instagram", "Instagram", "", (), "", ""),
    Column("tiktok", "TikTok", "", (), "", ""),
    Column("x", "X", "", ("twitter",), "", ""),
    Column("linkedin", "LinkedIn", "", (), "", ""),
    Column("youtube", "YouTube", "", (), "", ""),
    Column("website", "Página web", "", ("web", "sitio web", "pagina", "website"), "https://www.gloria.com.pe", ""),
    Column(
        "additional_info",
        "Información adicional",
        "",
        ("informacion adicional", "observaciones", "comentarios", "notas", "notes"),
        "",
        "",
    ),
    Column("description", "Descripción", "", ("descripcion",), "", ""),
]
# What a column of a file from another system can be besides the template's columns (the
# mapping step's choices; never in the template nor the export): one column where ours has
# two, or a second column of one of ours.
FULL_NAME, IS_COMPANY, OTHER_PHONES, OTHER_DOCUMENT = "full_name", "is_company", "other_phones", "other_document"
MAPPING_ONLY = [
    Column(
        FULL_NAME,
        "Nombre completo o razón social",
        "Empresas: la razón social; personas: apellidos y nombres (vea apply_full_name)",
        (
            "nombre",
            "name",
            "nombre completo",
            "nombres y apellidos",
            "apellidos y nombres",
            "complete name",
            "nombre a mostrar",
            "nombre para mostrar",
            "display name",
            "cliente",
            "nombre cliente",
            "nombre del cliente",
            "customer name",
            "nombre o razon social",
            "nombre/razon social",
            "razon social/nombre",
            "razon social/nombres",
            "razon social o nombre",
            "nombres o razon social",
            "nombres/razon social",
            "apellidos y nombres o razon social",
            "apellidos y nombres/razon social",
            # SUNAT's label for the acquirer, and Nubefact's cliente_denominacion.
            "apellidos y nombres denominacion o razon social",
            "denominacion",
            "denominacion o razon social",
        ),
    ),
    # Odoo's «Es una compañía» (is_company): Verdadero / Falso.
    Column(
        IS_COMPANY,
        "¿Es empresa? (Sí: Empresa, No: Persona natural)",
        "",
        ("es una compania", "es una empresa", "es empresa", "es compania", "is a company", "is company"),
    ),
    # Odoo's Teléfono and Móvil, a list's Teléfono and Cel.: the second adds its phones.
    Column(OTHER_PHONES, "Otros teléfonos (se agregan)", ""),
    # A list's R.U.C. and D.N.I. columns: the second is read when the first is empty.
    Column(OTHER_DOCUMENT, "Número de documento (si el otro está vacío)", ""),
]
# A second column that is by its title one of ours, when the first took it: what it is instead.
_SECOND_COLUMN = {"phones": OTHER_PHONES, "document_number": OTHER_DOCUMENT}
# Columns the export adds that the import reads past without a warning.
EXPORT_ONLY = ["Estado", "Creado", "Modificado"]
# What an export-only title may still be when its values say so: Odoo's «Estado» is the
# region (Lima (PE), Arequipa (PE)…), ours the customer's status (Activo, Suspendido).
_EXPORT_ONLY_GUESSES = {"estado": ("department",)}
ADDRESS_KEYS = ("department", "province", "district", "ubigeo", "street", "unit", "reference")
# The columns that give a row an address (a departamento or provincia alone does not).
ADDRESS_COLUMN_KEYS = frozenset({"district", "ubigeo", "street"})
_COLUMN_BY_KEY = {c.key: c for c in (*COLUMNS, *MAPPING_ONLY)}
# Error keys of customers.services → the column the message belongs to.
_ERROR_COLUMN = {
    "address_district": "district",
    "address_street": "street",
    "address_unit": "unit",
    "address_reference": "reference",
}


def sheet_columns() -> list[tuple[str, "extensions.SheetColumn", "extensions.SheetColumns"]]:
    """(import key "<group>.<column>", column, group) of the columns apps above customers add."""
    return [
        (f"{group.key}.{column.key}", column, group) for group in extensions.sheet_columns() for column in group.columns
    ]


def template_columns() -> list:
    """The template's and the export's own columns: customers' then the registered ones."""
    return [*COLUMNS, *(column for _, column, _ in sheet_columns())]


def header_key(text: str) -> str:
    """Headers compared without case, accents, punctuation or stray spaces."""
    folded = fold(clean_spaces(str(text))).replace("°", "").replace("º", "")
    words = "".join(ch if ch.isalnum() or ch == "/" else " " for ch in folded).replace("/", " / ").split()
    # Dotted initials as one word ("R.U.C." is "ruc", "D.N.I." "dni"), "a / b" as "a/b".
    joined, initials = [], False
    for word in words:
        single = len(word) == 1 and word.isalpha()
        if single and initials:
            joined[-1] += word
        else:
            joined.append(word)
        initials = single
    return " ".join(joined).replace(" / ", "/")


def known_headers(definitions: list[AttributeDefinition]) -> dict[str, str]:
    """header_key → column key ("attr:<id>" for an attribute)."""
    known = {}
    for column in (*COLUMNS, *MAPPING_ONLY):
        for text in (column.header, *column.aliases):
            known.setdefault(header_key(text), column.key)
    for key, column, _ in sheet_columns():
        for text in (column.header, *column.aliases):
            known.setdefault(header_key(text), key)
    for definition in definitions:
        known[header_key(definition.name)] = f"attr:{definition.key}"
    for text in EXPORT_ONLY:
        known.setdefault(header_key(text), "")
    return known


def column_label(key: str, definitions_by_key: dict) -> str:
    if key.startswith("attr:"):
        definition = definitions_by_key.get(key[5:])
        return definition.name if definition else "Atributos"
    column = _COLUMN_BY_KEY.get(key)
    if column is None and "." in key:
        column = next((c for k, c, _ in sheet_columns() if k == key), None)
    return column.header if column else key


def with_control_errors(errors: list, cells, keys: list, headers: list, label) -> list:
    """A row's ``errors`` [(column, message)] when some of its cells cannot be imported as they
    are (spreadsheets.ControlRow: call only for one): first, for each such cell, its column and
    why — CONTROL_MESSAGE (the services' answer to control characters) or the spreadsheet error
    value it holds (spreadsheets.EXCEL_ERROR_MESSAGE) — named as the import's other errors name
    it (``label(key)``) when the column is read, else by its header in the file; then the other
    errors but of those columns (what their text would add). An error value counts in the
    columns the import reads only."""
    refused = []

    def name_of(index: int) -> str:
        key = keys[index] if index < len(keys) else ""
        header = headers[index] if index < len(headers) else ""
        return label(key) if key else header or f"Columna {index + 1}"

    for index in cells.control:
        refused.append((name_of(index), CONTROL_MESSAGE))
    for index, error in cells.errors.items():
        # An error value in a column the import does not read (a helper column of the sheet's
        # own formulas) blocks nothing: the column is ignored, and listed as such.
        if index < len(keys) and keys[index]:
            refused.append((name_of(index), EXCEL_ERROR_MESSAGE.format(error=error)))
    columns = {column for column, _ in refused}
    return refused + [error for error in errors if error[0] not in columns]


def control_headers_warning(table, sheet: str = "") -> list[str]:
    """The warning for a header row whose titles held control characters (read without them)."""
    if not table.control_headers:
        return []
    names = ", ".join(f"«{table.headers[i][:60]}»" for i in table.control_headers)
    where = f"Hoja {sheet}: " if sheet else ""
    return [
        f"{where}Los títulos {names} tenían caracteres de control (invisibles); se leyeron sin ellos."
        if len(table.control_headers) > 1
        else f"{where}El título {names} tenía caracteres de control (invisibles); se leyó sin ellos."
    ]


UNTITLED_SHOWN = 10  # column letters an untitled-columns warning names before «y N más»


def untitled_cells(headers: list, cells, found: set) -> None:
    """Add to ``found`` the positions of ``cells`` that hold something under no title (an empty
    title, or past the last one)."""
    width = len(headers)
    for index, cell in enumerate(cells):
        if (index >= width or not headers[index]) and text_of(cell):
            found.add(index)


def untitled_columns_warning(table, found: set, sheet: str = "") -> list[str]:
    """The warning for columns with data but no title in a file that has titles (untitled_cells'
    ``found``): nothing tells what they are, so they are ignored — said, by their letters, not
    dropped without a word."""
    if not found:
        return []
    letters = [table.column_name(index).removeprefix("Columna ") for index in sorted(found)]
    if len(letters) > UNTITLED_SHOWN:
        letters = [*letters[:UNTITLED_SHOWN], f"{len(letters) - UNTITLED_SHOWN} más"]
    if len(found) == 1:
        text = (
            f"se ignoró la columna {letters[0]}: tiene datos pero no tiene título. Escriba su título en la "
            "primera fila (el de la plantilla) y vuelva a subir el archivo."
        )
    else:
        text = (
            f"se ignoraron las columnas {spanish_list(letters)}: tienen datos pero no tienen título. Escriba sus "
            "títulos en la primera fila (los de la plantilla) y vuelva a subir el archivo."
        )
    return [f"Hoja {sheet}: {text}" if sheet else text[0].upper() + text[1:]]


# The columns of a row's place: one error among them is enough («No existe el departamento
# «Lambayequ»» needs no «Elija departamento, provincia y distrito» beside it).
PLACE_KEYS = frozenset({"department", "province", "district", "ubigeo"})


def error_column(error_key: str) -> str:
    """The column key an error of customers.services / attributes.services belongs to."""
    if error_key.startswith("attr_"):
        return "attr:" + error_key[5:]
    key = _ERROR_COLUMN.get(error_key, error_key)
    if key == "district":
        return key
    return key if key in _COLUMN_BY_KEY else ""


@dataclass
class Lookups:
    """Reference rows read once per file (instead of once per row)."""

    definitions: list
    document_types: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)
    districts: dict = field(default_factory=dict)  # code → District (with province)
    district_names: dict = field(default_factory=dict)  # folded name → [District]
    # (district, province, department) as a row names them → (District or None, its error): a
    # file repeats its places on many rows.
    districts_named: dict = field(default_factory=dict)
    countries: dict = field(default_factory=dict)  # folded name or code → code
    # (model, pk) → row, for customer_data and the notes (customers.history.describe_changes).
    rows_by_pk: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)  # [(SheetColumns, what its load() read, allowed)]
    # The unsaved customer every row to create is cleaned over (clean_customer_data only reads
    # it): one per file, not a model instance per row.
    new_customer: Customer = field(default_factory=Customer)
    # The folded names of the departamentos and of the provincias (place_names), once per file.
    places: tuple | None = None
    # {text cell: its text_of} as the file's rows read them (cell_texts).
    texts: dict = field(default_factory=dict)

    def place_names(self) -> tuple[set, set]:
        """(departamentos, provincias) folded, for guessing a column by its values."""
        if self.places is None:
            districts = self.districts.values()
            self.places = (
                {fold(d.province.department.name) for d in districts},
                {fold(d.province.name) for d in districts},
            )
        return self.places

    @staticmethod
    def load_definitions() -> list:
        return list(AttributeDefinition.objects.all())

    @classmethod
    def load(cls):
        lookups = cls(definitions=list(AttributeDefinition.objects.all()))
        document_types = list(DocumentType.objects.all())
        categories, classes = list(Category.objects.all()), list(CustomerClass.objects.all())
        for doc in document_types:
            for text in (doc.code, doc.short_name, doc.name):
                lookups.document_types.setdefault(fold(clean_spaces(text)), doc)
        by_code = {doc.pk: doc for doc in document_types}
        lookups.document_types.update(
            {word: by_code[code] for word, code in DOCUMENT_TYPE_WORDS.items() if code in by_code}
        )
        lookups.categories = {fold(clean_spaces(c.name)): c for c in categories}
        lookups.classes = {fold(clean_spaces(c.name)): c for c in classes}
        # Every row, also one whose name folds like another's (the by-name maps keep one of
        # them): the customers' stored values and the notes' names are read from here, never
        # once per row.
        lookups.rows_by_pk.update(
            {(type(row), row.pk): row for row in (*lookups.definitions, *document_types, *categories, *classes)}
        )
        for district in District.objects.select_related("province__department"):
            lookups.districts[district.code] = district
            lookups.district_names.setdefault(fold(district.name), []).append(district)
        for code, name in country_choices():
            lookups.countries[fold(name)] = code
            lookups.countries[code.lower()] = code
        lookups.countries.update({"peru": "PE", "pe": "PE"})
        return lookups


# How other systems name the document types, besides SUNAT's codes and our names (catálogo 06).
DOCUMENT_TYPE_WORDS = {
    "ce": "4",
    "c.e.": "4",
    "carne de extranjeria": "4",
    "carnet de extranjeria": "4",
    "carnet extranjeria": "4",
    "r.u.c.": "6",
    "d.n.i.": "1",
    "01": "1",
    "04": "4",
    "06": "6",
    "07": "7",
    "00": "0",
    "passport": "7",
    # Odoo's identification types as l10n_pe codes them (l10n_latam_base's VAT / IVA is 0, doc.
    # tributario no domiciliado; Passport 7; Foreign ID / ID Extranjera 4) and l10n_pe's own, by
    # their English and Spanish (es_419) names.
    "vat": "0",
    "iva": "0",
    "foreign id": "4",
    "id extranjera": "4",
    "non-domiciled tax document": "0",
    "documento tributario no domiciliado, sin ruc": "0",
    "diplomatic identity card": "A",
    "identity document of the country of residence": "B",
    "documento de identidad del pais de residencia": "B",
    "tax identification number": "C",
    "numero de identificacion fiscal": "C",
    "identification number": "D",
    "numero de identificacion": "D",
    "safe passage": "G",
    "license permit temp. perman.": "H",
    "carne permiso temp. perman.": "H",
}
# What a «Tipo de cliente» cell may say (ours, ERPNext's Customer Type, Odoo's Company Type).
_COMPANY_WORDS = frozenset(
    {"empresa", "persona juridica", "juridica", "e", "compania", "company", "sociedad", "partnership"}
)
_PERSON_WORDS = frozenset({"persona natural", "persona", "natural", "p", "pn", "person", "individual"})
# The words a column of types says (not the one-letter ones, which other columns hold too).
KIND_WORDS = (_COMPANY_WORDS | _PERSON_WORDS) - {"e", "p"}


def without_country(place: str) -> str:
    """A departamento as Odoo exports it, «Lima (PE)»: without the country's code."""
    if place.endswith(")") and place[-4:-3] == "(":
        return place[:-4].strip()
    return place


def text_of(raw) -> str:
    if raw is None:  # most cells of most columns (row_data asks for each column it knows)
        return ""
    if raw.__class__ is not str:
        raw = cell_text(raw)
    return unescape_formula(clean_spaces(raw))


def yes_no(raw, errors: dict, key: str) -> bool | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = fold(text_of(raw))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    errors[key] = [f"«{text_of(raw)[:40]}» no es Sí ni No."]
    return None


def document_digits(raw, doc_type) -> str:
    """The number as typed, with what spreadsheets do to it undone: a float 20100070970.0 → its
    digits; a DNI stored as a number that lost its leading zeros → padded to 8; the apostrophe
    typed before it to keep it as text (a CSV holds it as it is) → gone."""
    numeric = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = text_of(raw).replace(" ", "")
    if text[:1] == "'" and text[1:2].isdigit():
        text = text[1:]
    if doc_type is not None and doc_type.code in (RUC, DNI):
        text = text.replace("-", "").replace(".", "")
        if doc_type.code == DNI and text.isdigit() and len(text) < 8 and (numeric or len(text) >= 6):
            text = text.zfill(8)
    return text


def excel_date(raw):
    """An Excel serial number (days since 30/12/1899) as a date; other values as they are."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return date(1899, 12, 30) + timedelta(days=int(raw))
    if isinstance(raw, datetime):
        return raw.date()
    return raw


def amount(raw):
    """ "S/ 1,500.00", "S/. 1500", "1 500,00"? — currency signs and spaces dropped; the number
    rules (thousands commas, decimal point) stay attributes.values'."""
    if isinstance(raw, str):
        text = raw.strip()
        for prefix in ("S/.", "S/", "s/.", "s/", "PEN", "US$", "$"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        return text.strip().replace("\u00a0", "").replace(" ", "")
    return raw


# Columns whose text is the value, as it is.
_PLAIN_TEXT_KEYS = (
    "business_name",
    "first_names",
    "last_names",
    "business_line",
    "website",
    "facebook",
    "instagram",
    "tiktok",
    "x",
    "linkedin",
    "youtube",
    "emails",
    "notification_emails",
    "notification_whatsapp",
)


def cell_texts(cells: dict, known: dict | None = None) -> dict:
    """{column key: text_of(cell)} of the cells whose text is not empty (what a row's columns
    read as text: computed once per cell, not once per question asked of it). ``known``: a
    file's {text cell: text_of} so far (Lookups.texts) — its columns repeat the same words row
    after row (the type of customer and of document, the giro, the places), each read once."""
    texts = {}
    for key, raw in cells.items():
        if raw is not None and raw != "":
            if known is not None and raw.__class__ is str:
                value = known.get(raw)
                if value is None:
                    value = text_of(raw)
                    if len(known) < KNOWN_TEXTS:
                        known[raw] = value
            else:
                value = text_of(raw)
            if value:
                texts[key] = value
    return texts


# Texts a file's Lookups.texts keeps (the first ones read: a column's repeated words come early;
# a column of names or documents, different on every row, fills it no further).
KNOWN_TEXTS = 20_000


def row_data(cells: dict, lookups: Lookups, errors: dict) -> dict:
    """The data dict for customers.services from one row (column key → cell), only for the
    columns the row holds a value in; parse errors go to ``errors`` by column key."""
    data: dict = {}
    texts = cell_texts(cells, lookups.texts)

    for key in _PLAIN_TEXT_KEYS:
        if key in texts:
            data[key] = texts[key]
    for key in ("additional_info", "description"):
        raw = cells.get(key)
        if raw not in (None, "") and str(raw).strip():
            data[key] = unescape_formula(cell_text(raw).strip())

    if "kind" in texts:
        word = fold(texts["kind"])
        if word in _COMPANY_WORDS:
            data["kind"] = Customer.Kind.COMPANY
        elif word in _PERSON_WORDS:
            data["kind"] = Customer.Kind.PERSON
        else:
            errors["kind"] = [f"«{texts['kind'][:40]}» no es Empresa ni Persona natural."]
    elif IS_COMPANY in texts:
        company = yes_no(cells[IS_COMPANY], errors, IS_COMPANY)
        if company is not None:
            data["kind"] = Customer.Kind.COMPANY if company else Customer.Kind.PERSON
    for key in ("is_foreign", "requests_detraction", "loyalty_enrolled"):
        raw = cells.get(key)
        if raw is not None and raw != "":  # what yes_no reads as no answer, without the call
            value = yes_no(raw, errors, key)
            if value is not None:
                data[key] = value

    doc_type = None
    if "document_type" in texts:
        doc_type = lookups.document_types.get(fold(texts["document_type"]))
        if doc_type is None:
            errors["document_type"] = [f"«{texts['document_type'][:40]}» no es un tipo de documento (RUC, DNI, CE…)."]
        else:
            data["document_type"] = doc_type
    raw_number = cells.get("document_number")
    if OTHER_DOCUMENT in texts and "document_number" not in texts:
        raw_number = cells[OTHER_DOCUMENT]
        texts["document_number"] = texts[OTHER_DOCUMENT]
    if raw_number not in (None, "") and "document_number" in texts:
        if doc_type is None and "document_type" not in errors:
            digits = document_digits(raw_number, None)
            # No type given: an 11-digit number is a RUC, up to 8 digits a DNI.
            if digits.isdigit() and len(digits) == 11:
                doc_type = lookups.document_types.get("6")
            elif digits.isdigit() and len(digits) <= 8:
                doc_type = lookups.document_types.get("1")
            if doc_type is not None:
                data["document_type"] = doc_type
        data["document_number"] = document_digits(raw_number, doc_type)
    if "kind" not in data and "kind" not in errors:
        # The file does not say it: what the document says (kind_of_document), else the name's
        # columns. Only a customer to create takes it (GUESSED_KIND): a matched one keeps its own.
        kind = kind_of_document(doc_type, data.get("document_number", ""))
        if kind is None and data.get("business_name") and not data.get("first_names"):
            kind = Customer.Kind.COMPANY
        elif kind is None and (data.get("first_names") or data.get("last_names")):
            kind = Customer.Kind.PERSON
        if kind is not None:
            data[GUESSED_KIND] = kind

    if "country" in texts:
        code = lookups.countries.get(fold(texts["country"]))
        if code is None:
            errors["country"] = [f"«{texts['country'][:40]}» no es un país; use el código de 2 letras (PE, CL…)."]
        else:
            data["country"] = code
            if code != "PE" and "is_foreign" not in data:
                data["is_foreign"] = True

    phones = _phones_of(texts.get("phones", ""), cells.get("phones"))
    if OTHER_PHONES in texts:
        phones += _phones_of(texts[OTHER_PHONES], cells[OTHER_PHONES])
    if phones:
        whatsapp = yes_no(cells.get("whatsapp"), errors, "whatsapp")
        data["phones"] = [{"number": p.strip(), "whatsapp": bool(whatsapp) and i == 0} for i, p in enumerate(phones)]
    elif cells.get("whatsapp") not in (None, ""):
        data["whatsapp_only"] = yes_no(cells.get("whatsapp"), errors, "whatsapp")

    for key, table, label in (
        ("category", lookups.categories, "categoría"),
        ("customer_class", lookups.classes, "clase de cliente"),
    ):
        if key in texts:
            found = table.get(fold(texts[key]))
            if found is None:
                names = ", ".join(sorted(x.name for x in table.values())[:10]) or "ninguna"
                errors[key] = [f"La {label} «{texts[key][:40]}» no existe (hay: {names})."]
            else:
                data[key] = found

    address = parse_address(cells, lookups, errors, texts=texts)
    if address is not None:
        data["address"] = address

    attributes = {}
    for definition in lookups.definitions:
        raw = cells.get("attr:" + definition.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if definition.kind == AttributeDefinition.Kind.DATE:
            raw = excel_date(raw)
        elif definition.kind in (AttributeDefinition.Kind.INTEGER, AttributeDefinition.Kind.DECIMAL):
            raw = amount(raw)
        elif definition.kind in (AttributeDefinition.Kind.DNI, AttributeDefinition.Kind.RUC):
            raw = document_digits(raw, lookups.document_types.get("1" if definition.kind == "dni" else "6"))
        elif isinstance(raw, str):
            raw = unescape_formula(raw)
        elif isinstance(raw, float) and raw.is_integer() and definition.kind != AttributeDefinition.Kind.BOOLEAN:
            raw = int(raw) if definition.kind != AttributeDefinition.Kind.PHONE else cell_text(raw)
        attributes[definition.key] = raw
    if attributes:
        data["attributes"] = attributes
    if FULL_NAME in texts:
        data[FULL_NAME] = texts[FULL_NAME]  # read with the matched customer: apply_full_name
    return data


def full_name_warning(header: str, rows: list[dict]) -> str:
    """The preview's word on a «Nombre completo o razón social» column: what apply_full_name
    did, with up to two of the file's persons as examples (``rows``: row_data of the first rows)."""
    examples = []
    for data in rows:
        full = {**data}
        apply_full_name(full, data)
        if full.get("kind") == Customer.Kind.PERSON and data.get(FULL_NAME) and len(examples) < 2:
            first, last = full.get("first_names", ""), full.get("last_names", "")
            examples.append(
                f"«{data[FULL_NAME][:60]}» → Apellidos «{last[:40]}», Nombres «{first[:40]}»"
                if last
                else f"«{data[FULL_NAME][:60]}» → sin apellidos (escríbalos en el archivo)"
            )
    text = (
        f"La columna «{header[:60]}» es el nombre completo o la razón social: en las empresas, la razón social; "
        "en las personas se separaron apellidos y nombres así: con coma, «Apellidos, Nombres»; todo en "
        "MAYÚSCULAS y sin coma, las dos primeras palabras son los apellidos (orden de SUNAT y RENIEC); si no, "
        "las dos últimas. Sin tipo de cliente en el archivo, es Empresa la fila con RUC 20 o con S.A.C., "
        "E.I.R.L.… al final del nombre; las demás, Persona natural."
    )
    if examples:
        text += " Revise, p. ej.: " + "; ".join(examples) + "."
    return text


def _phones_of(text: str, raw) -> list[str]:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return [cell_text(raw)]
    return [p for p in text.replace(";", ",").replace("/", ",").split(",") if p.strip()]


# Where row_data keeps the type of customer it read from the document or the name's columns
# when the file has no «Tipo de cliente» (nor «¿Es empresa?»): for a customer to create only.
GUESSED_KIND = "guessed_kind"


def kind_of_document(doc_type, number: str) -> str | None:
    """The type of customer a document tells (SUNAT): a RUC 20 is a persona jurídica's, a RUC
    10 (15, 17) or a DNI a persona natural's; None for the others (foreign documents)."""
    code = getattr(doc_type, "code", doc_type) or ""
    if code == RUC and number[:1] == "2":
        return Customer.Kind.COMPANY
    if code == DNI or (code == RUC and number[:1] == "1"):
        return Customer.Kind.PERSON
    return None


def person_names_from_business_name(data: dict, row: dict) -> str:
    """A persona natural whose row has its name only in «Razón social» (a RUC 10's, as SUNAT
    lists it): its names and surnames from there when the row writes them apart, «Apellidos,
    Nombres»; else the error to show in that column ("" when there is nothing to do). Only a
    comma tells the surnames from the names for sure («BODEGA EL SOL» and «QUISPE MAMANI
    ROSA» look alike); the mapping step's «Nombre completo o razón social» separates them by
    SUNAT's order (apply_full_name), with the preview saying how."""
    name = row.get("business_name")
    if data.get("kind") != Customer.Kind.PERSON or not name or row.get("first_names") or row.get("last_names"):
        return ""
    surnames, comma, names = name.partition(",")
    if comma and surnames.strip() and names.strip():
        data["first_names"], data["last_names"] = clean_spaces(names), clean_spaces(surnames)
        return ""
    if data.get("first_names") and data.get("last_names"):
        return ""  # a matched person keeps the names it has: the cell changes nothing, as before
    return (
        "Una persona natural (la de un DNI o un RUC 10) no tiene razón social sino apellidos y nombres: escríbalos "
        "en las columnas Apellidos y Nombres, o en esta como «Apellidos, Nombres» (p. ej.: «Quispe Mamani, Rosa "
        "Elena»). Si toda la columna es así, en Columnas del archivo elija para ella «Nombre completo o razón "
        "social»: separa apellidos y nombres, y la vista previa muestra cómo."
    )


def apply_full_name(data: dict, row: dict) -> None:
    """The mapping step's «Nombre completo o razón social» (row_data keeps it as
    data["full_name"]) as the fields customers.services asks for, in ``data`` (the row's
    data, over the matched customer's for an update): a company's razón social; a person's
    names and surnames, split by peru.text.split_person_name — unless ``row`` (what the file
    says) has them in columns of their own. Without a type of customer (neither in the file
    nor the matched customer's), a row is a company when its RUC starts with 2, or when its
    name ends with a legal form (S.A.C., E.I.R.L.…) and its document is no DNI or RUC 10; else
    a person."""
    full_name = data.pop(FULL_NAME, None)
    if not full_name:
        return
    kind = data.get("kind")
    if not kind:
        kind = kind_of_document(data.get("document_type"), data.get("document_number") or "")
        if kind is None:
            kind = Customer.Kind.COMPANY if has_legal_form(full_name) else Customer.Kind.PERSON
        data["kind"] = kind
    if kind == Customer.Kind.COMPANY:
        if not row.get("business_name"):
            data["business_name"] = full_name
    elif kind == Customer.Kind.PERSON and not row.get("first_names") and not row.get("last_names"):
        data["first_names"], data["last_names"] = split_person_name(full_name)


def parse_address(cells: dict, lookups: Lookups, errors: dict, *, texts: dict | None = None) -> dict | None:
    """{"district": District, "street", "unit", "reference"} with only what the row gives, or None.
    ``texts``: cell_texts(cells), when the caller has them."""
    text = (cell_texts(cells) if texts is None else texts).get
    address = {}
    for key in ("street", "unit", "reference"):
        if text(key):
            address[key] = text(key)
    ubigeo = text("ubigeo", "").replace(" ", "")
    district_text = text("district", "")
    if not ubigeo and district_text.isdigit() and len(district_text) in (5, 6):
        ubigeo, district_text = district_text, ""
    if ubigeo:
        code = ubigeo.zfill(6) if ubigeo.isdigit() else ubigeo
        district = lookups.districts.get(code)
        if district is None:
            errors["ubigeo"] = [f"El ubigeo «{ubigeo[:10]}» no existe."]
        else:
            address["district"] = district
    elif district_text:
        district = _district_by_name(district_text, text("province", ""), text("department", ""), lookups, errors)
        if district is not None:
            address["district"] = district
    elif text("department") or text("province"):
        errors["district"] = ["Escriba también el distrito (o el ubigeo)."]
    return address or None


def _district_by_name(name: str, province: str, department: str, lookups: Lookups, errors: dict):
    key = (name, province, department)
    found = lookups.districts_named.get(key)
    if found is None:
        found_errors: dict = {}
        district = _find_district(name, province, department, lookups, found_errors)
        found = lookups.districts_named[key] = (district, found_errors)
    district, found_errors = found
    errors.update({column: list(messages) for column, messages in found_errors.items()})
    return district


def _find_district(name: str, province: str, department: str, lookups: Lookups, errors: dict):
    department = without_country(department)
    # A departamento or provincia that does not exist is that column's error, not the district's
    # («Lambayequ»: the person looks at the Departamento cell). Codes are checked below.
    departments, provinces = lookups.place_names()
    if department and not department.isdigit() and fold(department) not in departments:
        errors["department"] = [f"No existe el departamento «{department[:40]}»."]
        return None
    if province and not province.isdigit() and fold(province) not in provinces:
        errors["province"] = [f"No existe la provincia «{province[:40]}»."]
        return None
    candidates = lookups.district_names.get(fold(name), [])
    # The name people write for a district whose own name is longer («Surco» for Santiago de
    # Surco) is one more candidate, weighed with the namesakes: the row's provincia tells them
    # apart; a row that does not say which is told both (never the wrong one in silence).
    short = lookups.districts.get(DISTRICT_SHORT_NAMES.get(fold(name), ""))
    if short is not None and short not in candidates:
        candidates = [*candidates, short]
    if province:
        key = fold(province)
        candidates = [d for d in candidates if fold(d.province.name) == key or d.province_id == province]
    if department:
        key = fold(department)
        candidates = [
            d
            for d in candidates
            if fold(d.province.department.name) == key or d.province.department_id == department.zfill(2)
        ]
    if len(candidates) == 1:
        return candidates[0]
    where = ", ".join(x for x in (province, department) if x)
    if not candidates:
        message = f"No existe el distrito «{name[:40]}»" + (f" en {where}." if where else ".")
        near = _districts_like(name, province, department, lookups) if province else []
        if near:
            message += " ¿Quiso decir " + " o ".join(f"«{n}»" for n in near) + "?"
        errors["district"] = [message]
    else:
        message = f"Hay {len(candidates)} distritos «{name[:40]}»"
        if len(candidates) <= 3:  # few enough to name (four Miraflores, eleven Santa Rosa are not)
            names = [f"{d.name} (provincia {d.province.name}, ubigeo {d.code})" for d in sorted(candidates, key=_code)]
            message += ": " + spanish_list(names)
        if len({d.province.department_id for d in candidates}) == 1:
            message += "; escriba la provincia o el ubigeo."
        else:
            message += "; escriba la provincia y el departamento, o el ubigeo."
        errors["district"] = [message]
    return None


def _code(district) -> str:
    return district.code


# The names people write for districts whose own (INEI) name is longer, by the ubigeo they mean:
# a row that names one of these is read as that district when its provincia (or departamento)
# leaves no other; «Surco» is also a district of Huarochirí (150732), so a row of Lima without
# its provincia is told both. Folded (fold), as the names are compared.
DISTRICT_SHORT_NAMES = {
    "surco": "150140",  # Santiago de Surco
    "magdalena": "150120",  # Magdalena del Mar (Magdalena: Chachapoyas and Cajamarca too)
    "cercado de lima": "150101",
    "lima cercado": "150101",
    "sjl": "150132",  # San Juan de Lurigancho
    "sjm": "150133",  # San Juan de Miraflores
    "smp": "150135",  # San Martín de Porres
    "ves": "150142",  # Villa El Salvador
    "vmt": "150143",  # Villa María del Triunfo
    "cercado del callao": "070101",
    "callao cercado": "070101",
    "cercado de arequipa": "040101",
}


def _districts_like(name: str, province: str, department: str, lookups: Lookups) -> list[str]:
    """The districts of ``province`` a name not found may be short for or a typo of: «San Juan»
    is San Juan de Lurigancho or San Juan de Miraflores, «Miraflore» Miraflores (at most two).
    The short names people use for one district («Surco») are read as it: DISTRICT_SHORT_NAMES."""
    province_key, department_key = fold(province), fold(department)
    names = {
        d.name
        for d in lookups.districts.values()
        if fold(d.province.name) == province_key
        and (not department_key or fold(d.province.department.name) == department_key)
    }
    folded = {fold(n): n for n in names}
    words = fold(name).split()
    found = [n for key, n in folded.items() if words and all(w in key.split() for w in words)]
    found += [folded[key] for key in difflib.get_close_matches(fold(name), list(folded), n=2, cutoff=0.8)]
    return sorted(set(found))[:2]


def customer_data(customer: Customer, *, phones: list, emails: list, address, lookups: Lookups) -> dict:
    """What the customer holds now, as a data dict: the base a row's cells update."""
    data = field_values(
        customer,
        (
            "kind",
            "is_foreign",
            "document_number",
            "business_name",
            "first_names",
            "last_names",
            "business_line",
            "additional_info",
            "description",
            "country",
            "requests_detraction",
            "loyalty_enrolled",
            "notification_emails",
            "notification_whatsapp",
            "facebook",
            "instagram",
            "tiktok",
            "x",
            "linkedin",
            "youtube",
            "website",
        ),
    )
    rows = lookups.rows_by_pk
    data["document_type"] = rows.get((DocumentType, customer.document_type_id), customer.document_type_id)
    data["category"] = rows.get((Category, customer.category_id), customer.category_id)
    data["customer_class"] = rows.get((CustomerClass, customer.customer_class_id), customer.customer_class_id)
    data["phones"] = [{"number": n, "whatsapp": w} for n, w in phones]
    data["emails"] = list(emails)
    data["attributes"] = dict(customer.attributes or {})
    if address is not None:
        data["address"] = {
            "district": address.district,
            "street": address.street,
            "unit": address.unit,
            "reference": address.reference,
        }
    return data


def merge(base: dict, row: dict) -> dict:
    """The customer's data with the row's values over it; an empty cell keeps what is there."""
    data = {**base}
    for key, value in row.items():
        if key == "address":
            data["address"] = {**(base.get("address") or {}), **value}
        elif key == "attributes":
            data["attributes"] = {**(base.get("attributes") or {}), **value}
        elif key == GUESSED_KIND:
            continue  # the matched customer keeps its type when the file does not say it
        elif key == "whatsapp_only":
            if data.get("phones"):
                data["phones"] = [{**p, "whatsapp": bool(value) and i == 0} for i, p in enumerate(data["phones"])]
        else:
            data[key] = value
    data.pop("whatsapp_only", None)
    if "address" in data and data["address"] is not None:
        data["address"] = {"district": None, "street": "", "unit": "", "reference": "", **data["address"]}
    return data


# --- the template's example rows: left in the file, skipped --------------------------------

# The example rows the template writes in the Clientes, Direcciones and Contactos sheets
# (import_template), by the attribute of each column that holds its value.
EXAMPLES = ("example_company", "example_person")


def example_values(columns, example: str) -> list[str]:
    """One example row of the template: a value per column, in the columns' order."""
    return [getattr(column, example) for column in columns]


def customer_examples() -> list[dict]:
    """The Clientes sheet's example rows as {import key: value} (an attribute's column is
    empty in them)."""
    keyed = [(c.key, c) for c in COLUMNS] + [(key, column) for key, column, _ in sheet_columns()]
    return [{key: getattr(column, example) for key, column in keyed} for example in EXAMPLES]


def _example_names() -> list[str]:
    return [e.get("business_name") or f"{e.get('first_names')} {e.get('last_names')}" for e in customer_examples()]


# The example rows' cells that belong to the example's customer alone (its street may be
# another's): a real row holding one was typed over an example row (TemplateExamples' ``kept``).
KEPT_EXAMPLE_KEYS = frozenset({"emails", "phones", "website"})


def _example_text(raw) -> str:
    """A cell as the comparison with an example reads it: case and accents aside, and a number
    without its leading zeros (Excel drops a DNI's)."""
    text = fold(text_of(raw))
    return text.lstrip("0") if text.isdigit() else text


class TemplateExamples:
    """Skips the rows of a sheet that are the template's example rows, as they came (a person
    who types below them and forgets to delete them would create «Gloria S.A.» with its real
    RUC), and counts them in ``skipped`` (a SkippedExamples, shared by a file's sheets).

    A row is an example when every column the file reads holds the example's value (empty where
    the example has none). Only a file that reads the document column skips anything: the
    examples' documents tell them from real rows, and the one test per row is whether that cell
    is one of them (a set lookup); the whole row is compared only then."""

    def __init__(self, keys: list, examples: list[dict], skipped: "SkippedExamples", *, kept: bool = False):
        """``kept``: also note the rows that are not an example but keep one of its own contact
        cells (two or more of KEPT_EXAMPLE_KEYS, as the template wrote them): someone typed a
        customer over an example row and left its e-mail, phone or web page (not its street: «Av. Larco 123»
        is also a real address)."""
        self.skipped = skipped
        self.probe = keys.index("document_number") if "document_number" in keys else None
        read = [(index, key) for index, key in enumerate(keys) if key]
        self.expected, self.documents = [], set()
        for example in examples:
            number = example.get("document_number", "")
            if not number:
                continue
            self.expected.append([(index, _example_text(example.get(key, ""))) for index, key in read])
            # The cell as a spreadsheet may hold it: text, or a number (an integral float).
            self.documents.update({number, number.lstrip("0"), int(number), float(number)})
        self.kept = [
            (index, values)
            for index, key in read
            if kept and key in KEPT_EXAMPLE_KEYS
            if (values := frozenset(e[key] for e in examples if e.get(key)))
        ]

    def rows(self, rows):
        """``rows`` ((number, cells) pairs) without the examples."""
        if (self.probe is None or not self.expected) and not self.kept:
            return rows
        return self._skip(rows)

    def _skip(self, rows):
        probe, documents, kept = self.probe, self.documents, self.kept
        for number, cells in rows:
            width = len(cells)
            if probe is not None and probe < width and cells[probe] in documents and self._is_example(cells):
                self.skipped.count += 1
                continue
            # One set lookup per contact column, of the cell as it came: a kept cell is the
            # template's own text, untouched. Two of them, as one alone may be a real customer's
            # («987 654 321» is a mobile number like any).
            if kept and sum(index < width and cells[index] in values for index, values in kept) > 1:
                self.skipped.kept.append(number)
            yield number, cells

    def _is_example(self, cells) -> bool:
        width = len(cells)
        return any(
            all(_example_text(cells[index] if index < width else None) == text for index, text in expected)
            for expected in self.expected
        )


class SkippedExamples:
    """The example rows a file's sheets skipped (TemplateExamples), for one warning."""

    def __init__(self):
        self.count = 0
        self.kept = []  # the rows of the Clientes sheet that keep an example's contact cell

    def warnings(self) -> list[str]:
        warnings = []
        if self.count == 1:
            warnings.append("Se omitió la fila de ejemplo de la plantilla.")
        elif self.count:
            warnings.append(f"Se omitieron las {self.count:,} filas de ejemplo de la plantilla.")
        if self.kept:
            named = spanish_list(str(n) for n in self.kept[:5])
            more = f" (y {len(self.kept) - 5:,} más)" if len(self.kept) > 5 else ""
            warnings.append(
                f"{'La fila' if len(self.kept) == 1 else 'Las filas'} {named}{more} de Clientes "
                f"{'conserva' if len(self.kept) == 1 else 'conservan'} el correo, el teléfono o la "
                f"página web de una fila de ejemplo de la plantilla ({' o '.join(_example_names())}): revíselos "
                "en la vista previa y corríjalos en el archivo antes de confirmar."
            )
        return warnings


# --- the mapping step: which field each column of a foreign file is --------------------------


# Where the mapping step lists each MAPPING_ONLY choice: after the column it is closest to.
_CHOICE_AFTER = {FULL_NAME: "last_names", IS_COMPANY: "kind", OTHER_PHONES: "phones", OTHER_DOCUMENT: "document_number"}


def column_choices(definitions: list) -> list[tuple[str, str]]:
    """(key, label) of what a column can be: "" (ignorar), each field, each active attribute."""
    choices = [("", "Ignorar esta columna")]
    for column in COLUMNS:
        choices.append((column.key, column.header))
        choices += [(c.key, c.header) for c in MAPPING_ONLY if _CHOICE_AFTER[c.key] == column.key]
    choices += [(key, column.header) for key, column, _ in sheet_columns()]
    choices += [(f"attr:{d.key}", f"Atributo: {d.name}") for d in definitions if not d.archived]
    return choices


def column_ids(headers: list) -> list[str]:
    """Each column's name in a mapping (ImportJob.mapping, ImportMapping, the mapping step's
    form): its title; a repeated title's later columns with their occurrence after a separator
    no title holds (the second «Teléfono» is «Teléfono\x1f2»), so that each column of a list
    with two «Teléfono» takes its own choice. The first keeps its title: mappings stored before
    read the same."""
    seen: collections.Counter = collections.Counter()
    ids = []
    for header in headers:
        seen[header] += 1
        ids.append(header if seen[header] == 1 else f"{header}\x1f{seen[header]}")
    return ids


def map_columns(headers: list, sample: list, lookups: Lookups, *, chosen: dict, remembered: dict) -> list[dict]:
    """What each column is, and how that was decided: "elegido" (the mapping step), "guardado"
    (the mapping chosen before for a file with these headers), "nombre" (a known header),
    "sugerido" (a similar header, or values that look like one field), or "" (ignored).
    ``chosen`` and ``remembered`` name the columns by column_ids."""
    known = known_headers(lookups.definitions)
    active = {f"attr:{d.key}" for d in lookups.definitions if not d.archived}
    valid = {c.key for c in (*COLUMNS, *MAPPING_ONLY)} | active | {key for key, _, _ in sheet_columns()}
    columns, used = [], set()
    for index, (header, name) in enumerate(zip(headers, column_ids(headers), strict=True)):
        if name in chosen:
            key, how = chosen[name], "elegido"
        elif name in remembered and (remembered[name] in valid or remembered[name] == ""):
            key, how = remembered[name], "guardado"
        elif header_key(header) in known:
            key, how = known[header_key(header)], "nombre"
            if key in used and _SECOND_COLUMN.get(key) not in (None, *used):
                key = _SECOND_COLUMN[key]  # Odoo's Móvil after its Teléfono, a list's D.N.I. after its R.U.C.
        else:
            key, how = "", ""
        if key and key not in valid:
            key = ""
        columns.append({"header": header, "key": key, "how": how, "samples": _samples(sample, index)})
        used.add(key)
    _names_apart(columns, used)
    # Odoo's «Estado» (its region) guesses before an unknown «Ciudad» whose values could be taken
    # for departamentos too.
    order = sorted(range(len(columns)), key=lambda i: header_key(columns[i]["header"]) not in _EXPORT_ONLY_GUESSES)
    for index in order:
        column = columns[index]
        if not column["header"]:
            continue
        only = _EXPORT_ONLY_GUESSES.get(header_key(column["header"])) if column["how"] == "nombre" else None
        if column["how"] and (column["key"] or only is None):
            continue
        values = [v for v in (text_of(row[index]) for row in sample if index < len(row)) if v]
        guesses = _by_values(values, lookups)
        if "province" in guesses and header_key(column["header"]) in _CITY_TITLES:
            # «Lima», «Arequipa» are provincias and departamentos: a city is the provincia.
            guesses.remove("province")
            guesses.insert(0, "province")
        if only is not None:
            guesses = [g for g in guesses if g in only]
        else:
            similar = _similar_header(column["header"], known)
            # A type read from a title like ours only when its values are types too («Código de
            # cliente» is not «Tipo de cliente»).
            if similar not in _CLOSED_VALUES or similar in guesses:
                guesses.append(similar)
        # A second phones or document column (Alegra's «Teléfono 1» beside its «Celular»).
        guesses = [_SECOND_COLUMN.get(g, "") if g in used else g for g in guesses]
        guess = next((g for g in guesses if g and g not in used and g in valid), "")
        if guess:
            column["key"], column["how"] = guess, "sugerido"
            used.add(guess)
    _places_need_a_district(columns, used)
    return columns


# --- a file typed without a title row: its first row is a customer --------------------------


def looks_like_data(text: str) -> bool:
    """A first-row cell no title would be: a document, phone, ubigeo, date or amount (6 digits
    or more once its separators go), or an e-mail."""
    digits = "".join(ch for ch in text if ch not in " .,-/:+()")
    return (digits.isdigit() and len(digits) >= 6) or ("@" in text and " " not in text.strip())


def first_row_is_data(first: list, sample: list, lookups: Lookups) -> bool:
    """Whether a sheet's first row is a customer typed without titles above it, not titles.

    Conservative: titles («RUC», «Teléfono 1», «Nro.», «Distrito») stay titles. The first row
    is data when one of its cells is what no title is (looks_like_data: a RUC or DNI, a phone,
    a date, an e-mail), or when most of its cells in columns whose values below say what they
    are (_by_values) are such values too («Empresa | Miraflores» over companies and districts)
    — at least two of them, so that one title that is also a word of the list («Persona»)
    decides nothing. Once per file, on the first row and the sample read for the mapping."""
    texts = [text_of(cell) for cell in first]
    if any(looks_like_data(text) for text in texts if text):
        return True
    # What each cell alone could be, first: a title row has at most one such cell (nearly always
    # none), and then its columns below need not be read at all.
    own = {index: set(_by_values([text], lookups)) for index, text in enumerate(texts) if text}
    if sum(1 for guesses in own.values() if guesses) < 2:
        return False
    considered = alike = 0
    for index, guesses in own.items():
        below = _by_values([v for v in (text_of(row[index]) for row in sample if index < len(row)) if v], lookups)
        if below:
            considered += 1
            alike += bool(guesses & set(below))
    return alike >= 2 and alike * 2 > considered


def column_profiles(rows: list, width: int, lookups: Lookups) -> list[str]:
    """What each column of a file without titles holds, in a few letters: the fields its
    values fit (_by_values) and their shape (n: numbers, d: text with digits such as an
    address, t: words such as a name; "" an empty column). A mapping chosen for such a file is
    remembered under its columns' letters and profiles (customers.importing.mapping_key): the
    next file of the same layout finds it, another with as many columns does not."""
    profiles = []
    for index in range(width):
        values = [v for v in (text_of(row[index]) for row in rows if index < len(row)) if v]
        shapes = collections.Counter(_shape(v) for v in values)
        shape = shapes.most_common(1)[0][0] if shapes else ""
        profiles.append("+".join(sorted(set(_by_values(values, lookups)))) + ":" + shape)
    return profiles


def _shape(value: str) -> str:
    digits = sum(ch.isdigit() for ch in value)
    if digits and all(ch.isdigit() or ch in " .,-/:+()" for ch in value):
        return "n"
    return "d" if digits else "t"


SAMPLES_SHOWN = 3


def _samples(sample: list, index: int) -> list[str]:
    """The first few different values of a column, as the mapping step shows them beside it
    (what the column holds tells what it is when its title does not)."""
    found = []
    for row in sample:
        value = text_of(row[index])[:40] if index < len(row) else ""
        if value and value not in found:
            found.append(value)
            if len(found) == SAMPLES_SHOWN:
                break
    return found


# Titles of a column of cities: Odoo's (l10n_pe's city_id is the provincia), a list's.
_CITY_TITLES = {"ciudad", "city", "localidad"}
# Columns whose values are a short list of words (which _by_values recognises).
_CLOSED_VALUES = {"kind", "document_type"}


def _names_apart(columns: list, used: set) -> None:
    """A file with «Nombre» and «Apellido» columns (Bsale…) has the names apart: its «Nombre»,
    read by its title as the whole name, is the first names."""
    if "last_names" not in used or "first_names" in used:
        return
    for column in columns:
        if column["key"] == FULL_NAME and column["how"] == "nombre" and header_key(column["header"]) in _FIRST_NAMES:
            column["key"] = "first_names"
            used.discard(FULL_NAME)
            used.add("first_names")
            return


_FIRST_NAMES = {"nombre", "name"}


def _places_need_a_district(columns: list, used: set) -> None:
    """A departamento or provincia guessed from the values, in a file with neither district nor
    ubigeo column, is left out: without a district it would only give each row an error
    («Escriba también el distrito»)."""
    if {"district", "ubigeo"} & used:
        return
    export_only = {header_key(text) for text in EXPORT_ONLY}
    for column in columns:
        if column["how"] == "sugerido" and column["key"] in ("department", "province"):
            used.discard(column["key"])
            column["key"] = ""
            column["how"] = "nombre" if header_key(column["header"]) in export_only else ""


def _similar_header(header: str, known: dict) -> str:
    key = header_key(header)
    words = set(key.split())
    # "Nro. RUC/DNI del cliente", "E-mail de contacto": a known header inside a longer one.
    for text, column in sorted(known.items(), key=lambda item: -len(item[0])):
        one_word = len(text.split()) == 1
        # Not a whole name from one word: «Nombre del contacto», «Código de cliente» are not it.
        if column == FULL_NAME and one_word:
            continue
        if column and len(text) > 3 and (text in key or (one_word and text in words)):
            return column
    match = difflib.get_close_matches(key, [k for k, v in known.items() if v], n=1, cutoff=0.8)
    return known[match[0]] if match else ""


# 2024-01-15, 15-01-2024, 15.01.2024: 8 digits without the separators, as a DNI, but a date.
_DATE_SHAPE = re.compile(r"^\d{1,4}([-/.])\d{1,2}\1\d{1,4}$")


def _by_values(values: list[str], lookups: Lookups) -> list[str]:
    """The fields most sample values are valid for, the likeliest first (an 11-digit column
    that validates as RUC is the document; one with @ the e-mails; Company / Individual the
    type of customer…)."""
    if len(values) < 1:
        return []

    def share(test) -> float:
        hits = 0
        for value in values:
            try:
                hits += bool(test(value))
            except Exception:  # noqa: S112 - a value that fails a validator is simply no hit
                continue
        return hits / len(values)

    guesses = []

    def is_ruc(value: str) -> bool:
        return bool(validators.validate_ruc(value.replace(" ", "").replace("-", "")))

    def is_dni(value: str) -> bool:
        digits = value.replace(" ", "").replace("-", "")
        return digits.isdigit() and 7 <= len(digits) <= 8 and not _DATE_SHAPE.match(value.strip())

    if share(is_ruc) >= 0.6:
        guesses.append("document_number")
    if share(lambda v: len(v) <= 6 and v.zfill(6) in lookups.districts) >= 0.6:
        guesses.append("ubigeo")
    # DNIs, or RUCs and DNIs (Bsale's «Código» of persons and companies).
    if share(lambda v: is_dni(v) or is_ruc(v)) >= 0.6:
        guesses.append("document_number")
    if share(lambda v: "@" in v and validators.normalize_email(v.split(",")[0].strip())) >= 0.6:
        guesses.append("emails")
    if share(lambda v: len(v.replace(" ", "")) >= 7 and validators.normalize_phone(v.split(",")[0])) >= 0.6:
        guesses.append("phones")
    if share(lambda v: fold(v) in KIND_WORDS) >= 0.6:
        guesses.append("kind")
    # SUNAT's codes and the types' names (RUC, DNI, «Carnet de extranjería», Odoo's VAT…); a
    # column of only 0 and 1 is rather a yes/no one.
    # (Not single letters: SUNAT's A to H are rare, and a zone or class column has them.)
    if share(lambda v: fold(v) in lookups.document_types and not (len(v) == 1 and v.isalpha())) >= 0.6 and {
        fold(v) for v in values
    } - {"0", "1"}:
        guesses.append("document_type")
    departments, provinces = lookups.place_names()
    if share(lambda v: fold(without_country(v)) in departments) >= 0.6:
        guesses.append("department")
    # Odoo's «Ciudad» in Peru (l10n_pe's city_id) is the provincia.
    if share(lambda v: fold(v) in provinces) >= 0.6:
        guesses.append("province")
    if share(lambda v: fold(v) in lookups.district_names) >= 0.6:
        guesses.append("district")
    return guesses


# --- the mapping step's values for every row -------------------------------------------------
#
# A file from another system often lacks a column every row needs (a company's Giro, a list of
# persons without «Tipo de cliente»): the owner gives one value for the whole file. It is
# written into each row's cells where the row has none (empty cell or no such column: what the
# file says wins), so it is read, and checked, exactly as a cell with that text would be.

# Stored with a job's and an ImportMapping's columns ({header: key}), under a key no header can
# be (a file's titles are read without control characters: spreadsheets._header).
CONSTANTS_KEY = "\x1fvalores"
# The fields that make sense with one value for all the rows (an address's street does not; a
# one-town shop's district may), in the order the mapping step lists them.
CONSTANT_KEYS = (
    "kind",
    "is_foreign",
    "document_type",
    "business_line",
    "country",
    "department",
    "province",
    "district",
    "category",
    "customer_class",
    "requests_detraction",
    "loyalty_enrolled",
)
_YES_NO = [("Sí", "Sí"), ("No", "No")]
# A departamento or provincia only tells which district a row names: given for every row, it
# fills only the rows that name one (else a row without an address would get «Escriba también
# el distrito»).
_PLACE_KEYS = ("department", "province")


def mapping_constants(mapping: dict | None) -> dict | None:
    """The values for every row stored with a mapping ({key: text}); None when the mapping
    says nothing of them (a mapping stored before they existed, or none)."""
    found = (mapping or {}).get(CONSTANTS_KEY)
    return dict(found) if isinstance(found, dict) else None


def with_constants(columns: dict, constants: dict) -> dict:
    """A mapping's {header: key} with its values for every row (kept only when there are some)."""
    return {**columns, CONSTANTS_KEY: dict(constants)} if constants else dict(columns)


def constant_keys(definitions: list, actor) -> list[str]:
    """The keys the mapping step offers a value for every row: the fields above, the active
    attributes, and the columns of apps above customers that ``actor`` may import."""
    keys = list(CONSTANT_KEYS)
    keys += [f"attr:{d.key}" for d in definitions if not d.archived]
    keys += [key for key, _, group in sheet_columns() if actor is None or actor.has_perm(group.permission)]
    return keys


def constant_fields(definitions: list, actor, values: dict) -> list[dict]:
    """The mapping step's «Valor para todas las filas»: {key, label, options (None: free
    text), value} for each key of constant_keys; an option's value is the text a cell would
    hold."""
    options = {
        "kind": [("Empresa", "Empresa"), ("Persona natural", "Persona natural")],
        "is_foreign": _YES_NO,
        "requests_detraction": _YES_NO,
        "loyalty_enrolled": _YES_NO,
        "document_type": [
            (d.short_name, f"{d.short_name} — {d.name}" if d.name != d.short_name else d.name)
            for d in DocumentType.objects.order_by("position", "code")
        ],
        "country": [(code, name) for code, name in country_choices()],
        "department": [(d.name, d.name) for d in Department.objects.order_by("name")],
        "category": [(c.name, c.name) for c in Category.objects.all()],
        "customer_class": [(c.name, c.name) for c in CustomerClass.objects.all()],
    }
    for key, column, _ in sheet_columns():
        if column.options is not None:
            options[key] = [(name, name) for name in column.options()]
    by_key = {d.key: d for d in definitions}
    for definition in definitions:
        if definition.kind == AttributeDefinition.Kind.BOOLEAN:
            options[f"attr:{definition.key}"] = _YES_NO
        elif definition.kind == AttributeDefinition.Kind.CHOICE:
            options[f"attr:{definition.key}"] = [(o, o) for o in definition.options]
    fields = []
    for key in constant_keys(definitions, actor):
        label = column_label(key, by_key)
        fields.append({"key": key, "label": label, "options": options.get(key), "value": values.get(key, "")})
    return fields


def constant_shown(field: dict) -> str:
    """A value of constant_fields as the preview names it (RUC, not its code; Perú, not PE)."""
    for value, text in field["options"] or ():
        if value == field["value"]:
            return text.split(" — ")[0]
    return field["value"]


class RowConstants:
    """The values for every row, put into one row's cells (column key → cell) where the row
    has none: a dict lookup per value, nothing else per row."""

    def __init__(self, constants: dict):
        self.cells = [(k, v) for k, v in constants.items() if k not in _PLACE_KEYS]
        self.places = [(k, v) for k, v in constants.items() if k in _PLACE_KEYS]

    def __bool__(self) -> bool:
        return bool(self.cells or self.places)

    def fill(self, cells: dict) -> None:
        for key, value in self.cells:
            # «¿Es empresa?» is the type of customer too: a row that says it keeps it.
            if _empty(cells.get(key)) and not (key == "kind" and not _empty(cells.get(IS_COMPANY))):
                cells[key] = value
        if self.places and not (_empty(cells.get("district")) and _empty(cells.get("ubigeo"))):
            for key, value in self.places:
                if _empty(cells.get(key)):
                    cells[key] = value


def _empty(raw) -> bool:
    return raw is None or raw == "" or (raw.__class__ is str and not raw.strip())
