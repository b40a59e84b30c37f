"""The columns of the customer spreadsheet (template, import, export) and how a row's cells
become the data dict customers.services cleans — the spreadsheet quirks live here, the rules
stay in the services.

Quirks handled: numbers typed as numbers (an 11-digit RUC read back as a float, a DNI that
lost its leading zero), Excel date serials, "S/ 1,500.00" amounts, headers and ubigeo names in
any case and with or without accents, stray spaces, the apostrophe the export puts in front of
cells that would run as formulas.
"""

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from attributes.models import AttributeDefinition
from attributes.values import FALSE_WORDS, TRUE_WORDS
from customers import extensions
from customers.countries import country_choices
from customers.import_staging import field_values
from customers.models import Category, Customer, CustomerClass, District, DocumentType
from customers.reference import DNI, RUC
from customers.spreadsheets import cell_text, unescape_formula
from peru import validators
from peru.text import CONTROL_MESSAGE, clean_spaces, fold


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
        ("tipo", "tipo cliente", "tipo de persona"),
        "Empresa",
        "Persona natural",
    ),
    Column("is_foreign", "Extranjero", "Sí o No (vacío: No)", ("es extranjero",), "No", "No"),
    Column(
        "document_type",
        "Tipo de documento",
        "RUC, DNI, CE, Pasaporte… o el código SUNAT (6, 1, 4, 7…)",
        ("tipo doc", "tipo documento", "tipo de doc", "tipo doc identidad", "tipo de documento de identidad"),
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
        ),
        "20100070970",
        "07654321",
    ),
    Column(
        "business_name",
        "Razón social",
        "Empresas",
        ("razon social", "empresa", "nombre o razon social", "denominacion"),
        "Gloria S.A.",
        "",
    ),
    Column("first_names", "Nombres", "Personas", ("nombre", "nombres del cliente"), "", "Rosa Elena"),
    Column("last_names", "Apellidos", "Personas", ("apellido", "apellidos del cliente"), "", "Quispe Mamani"),
    Column(
        "business_line", "Giro", "Actividad de la empresa", ("actividad", "rubro", "actividad economica"), "Lácteos", ""
    ),
    Column("country", "País", "Código de 2 letras o nombre (vacío: Perú)", ("pais", "nacionalidad"), "PE", "PE"),
    Column(
        "emails",
        "Correos electrónicos",
        "Separados por coma",
        ("correo", "correo electronico", "email", "e-mail", "emails", "correos", "mail"),
        "ventas@gloria.com.pe",
        "rosa.quispe@gmail.com",
    ),
    Column(
        "phones",
        "Teléfonos",
        "Separados por coma",
        ("telefono", "celular", "movil", "telefonos", "tel", "fono"),
        "01 470 7170",
        "987 654 321",
    ),
    Column("whatsapp", "WhatsApp", "Sí si el primer teléfono tiene WhatsApp", ("tiene whatsapp",), "No", "Sí"),
    Column("department", "Departamento", "Nombre (Lima, Áncash…) o código", ("dpto", "region"), "Lima", "Cusco"),
    Column("province", "Provincia", "Nombre o código", (), "Lima", "Cusco"),
    Column("district", "Distrito", "Nombre o ubigeo", (), "Miraflores", "Wanchaq"),
    Column("ubigeo", "Ubigeo", "6 dígitos; si lo escribe, no hacen falta los nombres", ("codigo ubigeo",), "", ""),
    Column(
        "street",
        "Dirección",
        "Calle y número",
        ("direccion", "calle", "domicilio", "direccion fiscal", "domicilio fiscal"),
        "Av. Larco 123",
        "Jr. Ayacucho 456",
    ),
    Column("unit", "Dpto./Ofic./Casa", "", ("dpto ofic casa", "interior", "oficina"), "Of. 501", ""),
    Column("reference", "Indicaciones", "Referencia para llegar", ("referencia",), "Frente al parque", ""),
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
    Column("website", "Página web", "", ("web", "sitio web", "pagina"), "https://www.gloria.com.pe", ""),
    Column("additional_info", "Información adicional", "", ("informacion adicional",), "", ""),
    Column("description", "Descripción", "", ("descripcion",), "", ""),
]
# Columns the export adds that the import reads past without a warning.
EXPORT_ONLY = ["Estado", "Creado", "Modificado"]
ADDRESS_KEYS = ("department", "province", "district", "ubigeo", "street", "unit", "reference")
_COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
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
    return " ".join("".join(ch if ch.isalnum() or ch == "/" else " " for ch in folded).split())


def known_headers(definitions: list[AttributeDefinition]) -> dict[str, str]:
    """header_key → column key ("attr:<id>" for an attribute)."""
    known = {}
    for column in COLUMNS:
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
    """A row's ``errors`` [(column, message)] when its cells held control characters
    (spreadsheets.ControlRow: call only for one): first, for each such cell, its column and
    CONTROL_MESSAGE (the services' answer to such text), named as the import's other errors
    name it (``label(key)``) when the column is read, else by its header in the file; then
    the other errors but of those columns (what their text, read without the characters,
    would add)."""
    refused = []
    for index in cells.control:
        key = keys[index] if index < len(keys) else ""
        header = headers[index] if index < len(headers) else ""
        refused.append((label(key) if key else header or f"Columna {index + 1}", CONTROL_MESSAGE))
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
        lookups.document_types.update({"ce": by_code.get("4"), "carne de extranjeria": by_code.get("4")})
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
    digits; a DNI stored as a number that lost its leading zeros → padded to 8."""
    numeric = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = text_of(raw).replace(" ", "")
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


def cell_texts(cells: dict) -> dict:
    """{column key: text_of(cell)} of the cells whose text is not empty (what a row's columns
    read as text: computed once per cell, not once per question asked of it)."""
    texts = {}
    for key, raw in cells.items():
        if raw is not None and raw != "":
            value = text_of(raw)
            if value:
                texts[key] = value
    return texts


def row_data(cells: dict, lookups: Lookups, errors: dict) -> dict:
    """The data dict for customers.services from one row (column key → cell), only for the
    columns the row holds a value in; parse errors go to ``errors`` by column key."""
    data: dict = {}
    texts = cell_texts(cells)

    for key in _PLAIN_TEXT_KEYS:
        if key in texts:
            data[key] = texts[key]
    for key in ("additional_info", "description"):
        raw = cells.get(key)
        if raw not in (None, "") and str(raw).strip():
            data[key] = unescape_formula(cell_text(raw).strip())

    if "kind" in texts:
        word = fold(texts["kind"])
        if word in ("empresa", "persona juridica", "juridica", "e", "compania", "company"):
            data["kind"] = Customer.Kind.COMPANY
        elif word in ("persona natural", "persona", "natural", "p", "pn", "person"):
            data["kind"] = Customer.Kind.PERSON
        else:
            errors["kind"] = [f"«{texts['kind'][:40]}» no es Empresa ni Persona natural."]
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
        number = data.get("document_number", "")
        if (
            doc_type is not None
            and doc_type.code == RUC
            and number.startswith("2")
            or data.get("business_name")
            and not data.get("first_names")
        ):
            data["kind"] = Customer.Kind.COMPANY
        elif data.get("first_names") or data.get("last_names"):
            data["kind"] = Customer.Kind.PERSON

    if "country" in texts:
        code = lookups.countries.get(fold(texts["country"]))
        if code is None:
            errors["country"] = [f"«{texts['country'][:40]}» no es un país; use el código de 2 letras (PE, CL…)."]
        else:
            data["country"] = code
            if code != "PE" and "is_foreign" not in data:
                data["is_foreign"] = True

    phones = [p for p in texts.get("phones", "").replace(";", ",").replace("/", ",").split(",") if p.strip()]
    if isinstance(cells.get("phones"), (int, float)) and not isinstance(cells.get("phones"), bool):
        phones = [cell_text(cells["phones"])]
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
    return data


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
        found = lookups.districts_named[key] = (district, found_errors.get("district"))
    district, messages = found
    if messages:
        errors["district"] = list(messages)
    return district


def _find_district(name: str, province: str, department: str, lookups: Lookups, errors: dict):
    candidates = lookups.district_names.get(fold(name), [])
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
        errors["district"] = [f"No existe el distrito «{name[:40]}»" + (f" en {where}." if where else ".")]
    else:
        errors["district"] = [
            f"Hay {len(candidates)} distritos «{name[:40]}»; escriba la provincia y el departamento, o el ubigeo."
        ]
    return None


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

# The example rows the template writes in the Clientes sheet (import_template), by the
# attribute of each column that holds its value; the Direcciones and Contactos sheets have the
# first one only.
EXAMPLES = ("example_company", "example_person")


def example_values(columns, example: str) -> list[str]:
    """One example row of the template: a value per column, in the columns' order."""
    return [getattr(column, example) for column in columns]


def customer_examples() -> list[dict]:
    """The Clientes sheet's example rows as {import key: value} (an attribute's column is
    empty in them)."""
    keyed = [(c.key, c) for c in COLUMNS] + [(key, column) for key, column, _ in sheet_columns()]
    return [{key: getattr(column, example) for key, column in keyed} for example in EXAMPLES]


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

    def __init__(self, keys: list, examples: list[dict], skipped: "SkippedExamples"):
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

    def rows(self, rows):
        """``rows`` ((number, cells) pairs) without the examples."""
        if self.probe is None or not self.expected:
            return rows
        return self._skip(rows)

    def _skip(self, rows):
        probe, documents = self.probe, self.documents
        for number, cells in rows:
            if probe < len(cells) and cells[probe] in documents and self._is_example(cells):
                self.skipped.count += 1
                continue
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

    def warnings(self) -> list[str]:
        if not self.count:
            return []
        if self.count == 1:
            return ["Se omitió la fila de ejemplo de la plantilla."]
        return [f"Se omitieron las {self.count:,} filas de ejemplo de la plantilla."]


# --- the mapping step: which field each column of a foreign file is --------------------------


def column_choices(definitions: list) -> list[tuple[str, str]]:
    """(key, label) of what a column can be: "" (ignorar), each field, each active attribute."""
    choices = [("", "Ignorar esta columna")]
    choices += [(c.key, c.header) for c in COLUMNS]
    choices += [(key, column.header) for key, column, _ in sheet_columns()]
    choices += [(f"attr:{d.key}", f"Atributo: {d.name}") for d in definitions if not d.archived]
    return choices


def map_columns(headers: list, sample: list, lookups: Lookups, *, chosen: dict, remembered: dict) -> list[dict]:
    """What each column is, and how that was decided: "elegido" (the mapping step), "guardado"
    (the mapping chosen before for a file with these headers), "nombre" (a known header),
    "sugerido" (a similar header, or values that look like one field), or "" (ignored)."""
    known = known_headers(lookups.definitions)
    active = {f"attr:{d.key}" for d in lookups.definitions if not d.archived}
    valid = {c.key for c in COLUMNS} | active | {key for key, _, _ in sheet_columns()}
    columns, used = [], set()
    for index, header in enumerate(headers):
        if header in chosen:
            key, how = chosen[header], "elegido"
        elif header in remembered and (remembered[header] in valid or remembered[header] == ""):
            key, how = remembered[header], "guardado"
        elif header_key(header) in known:
            key, how = known[header_key(header)], "nombre"
        else:
            key, how = "", ""
        if key and key not in valid:
            key = ""
        columns.append({"header": header, "key": key, "how": how, "samples": _samples(sample, index)})
        used.add(key)
    for index, column in enumerate(columns):
        if column["how"] or not column["header"]:
            continue
        values = [text_of(row[index]) for row in sample if index < len(row)]
        guess = _by_values([v for v in values if v], lookups) or _similar_header(column["header"], known)
        if guess and guess not in used and guess in valid:
            column["key"], column["how"] = guess, "sugerido"
            used.add(guess)
    return columns


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


def _similar_header(header: str, known: dict) -> str:
    key = header_key(header)
    words = set(key.split())
    # "Nro. RUC/DNI del cliente", "E-mail de contacto": a known header inside a longer one.
    for text, column in sorted(known.items(), key=lambda item: -len(item[0])):
        if column and len(text) > 3 and (text in key or (len(text.split()) == 1 and text in words)):
            return column
    match = difflib.get_close_matches(key, [k for k, v in known.items() if v], n=1, cutoff=0.8)
    return known[match[0]] if match else ""


def _by_values(values: list[str], lookups: Lookups) -> str:
    """The field most sample values are valid for (an 11-digit column that validates as RUC is
    the document; one with @ the e-mails…)."""
    if len(values) < 1:
        return ""

    def share(test) -> float:
        hits = 0
        for value in values:
            try:
                hits += bool(test(value))
            except Exception:  # noqa: S112 - a value that fails a validator is simply no hit
                continue
        return hits / len(values)

    digits = [v.replace(" ", "").replace("-", "") for v in values]
    if share(lambda v: validators.validate_ruc(v.replace(" ", "").replace("-", ""))) >= 0.6:
        return "document_number"
    if share(lambda v: len(v) <= 6 and v.zfill(6) in lookups.districts) >= 0.6:
        return "ubigeo"
    if sum(d.isdigit() and 7 <= len(d) <= 8 for d in digits) / len(values) >= 0.6:
        return "document_number"
    if share(lambda v: "@" in v and validators.normalize_email(v.split(",")[0].strip())) >= 0.6:
        return "emails"
    if share(lambda v: len(v.replace(" ", "")) >= 7 and validators.normalize_phone(v.split(",")[0])) >= 0.6:
        return "phones"
    departments = {fold(d.province.department.name) for d in lookups.districts.values()}
    if share(lambda v: fold(v) in departments) >= 0.6:
        return "department"
    if share(lambda v: fold(v) in lookups.district_names) >= 0.6:
        return "district"
    return ""
