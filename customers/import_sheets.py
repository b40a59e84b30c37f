"""The optional Direcciones and Contactos sheets of an import: whole customers in one upload.

Each row names its customer by document (Tipo de documento + Número de documento): a customer
of the same file's Clientes sheet (created or updated by it) or one already registered. A row
adds an address or a contact to that customer, cleaned by the services' own rules
(customers.services.clean_address_data / clean_contact_data); a row equal to what the customer
already has (the same address, a contact of the same name) is left as it is, so uploading the
same file again adds nothing. The main (fiscal) address stays in the Clientes sheet's columns;
an address added here becomes the main one only for a customer that has none, as
customers.services.save_address does.
"""

from dataclasses import dataclass, field

from customers import import_columns as cols
from customers.models import Address, Contact, Customer
from customers.services import clean_address_data, clean_contact_data
from customers.spreadsheets import ControlRow
from peru.text import fold

ADDRESSES, CONTACTS = "Direcciones", "Contactos"
CHUNK = 5_000
# The two columns the rejected-rows report puts first (customers.importing.report_xlsx): a
# report fixed and uploaded again brings them back, and they are ignored without a warning.
REPORT_HEADERS = ("Errores", "Fila")
REPORT_KEYS = {cols.header_key(header) for header in REPORT_HEADERS}

_KEY_COLUMNS = [
    cols.Column(
        "document_type",
        "Tipo de documento",
        "Del cliente: RUC, DNI, CE, Pasaporte… o el código SUNAT",
        ("tipo doc", "tipo documento", "tipo de doc", "tipo documento cliente"),
        "RUC",
        "DNI",
    ),
    cols.Column(
        "document_number",
        "Número de documento",
        "Del cliente (de la hoja Clientes o ya registrado)",
        ("documento", "nro documento", "numero documento", "ruc", "dni", "ruc/dni", "documento del cliente"),
        "20100070970",
        "07654321",
    ),
]
# The template's example documents (import_template writes _KEY_COLUMNS' examples).
_EXAMPLE_NUMBERS = {_KEY_COLUMNS[1].example_company, _KEY_COLUMNS[1].example_person}
ADDRESS_COLUMNS = [
    *_KEY_COLUMNS,
    cols.Column(
        "kind", "Tipo de dirección", "Fiscal, Entrega u Otra (vacío: Entrega)", ("tipo",), "Entrega", "Entrega"
    ),
    cols.Column("department", "Departamento", "Nombre o código", ("dpto", "region"), "Lima", "Cusco"),
    cols.Column("province", "Provincia", "Nombre o código", (), "Lima", "Cusco"),
    cols.Column("district", "Distrito", "Nombre o ubigeo", (), "Ate", "San Sebastián"),
    cols.Column("ubigeo", "Ubigeo", "6 dígitos", ("codigo ubigeo",), "", ""),
    cols.Column(
        "street", "Dirección", "Calle y número", ("direccion", "calle"), "Av. Nicolás Ayllón 2890", "Jr. Sol 12"
    ),
    cols.Column("unit", "Dpto./Ofic./Casa", "", ("dpto ofic casa", "interior", "oficina"), "Almacén 3", ""),
    cols.Column("reference", "Indicaciones", "Referencia para llegar", ("referencia",), "Portón verde", ""),
]
CONTACT_COLUMNS = [
    *_KEY_COLUMNS,
    cols.Column(
        "name",
        "Nombre",
        "Nombre y apellido del contacto",
        ("nombre del contacto", "contacto"),
        "Ana Torres",
        "Luis Quispe",
    ),
    cols.Column("role", "Cargo", "", ("puesto",), "Jefa de compras", "Hijo"),
    cols.Column(
        "phones",
        "Teléfonos",
        "Separados por coma",
        ("telefono", "celular", "telefonos"),
        "987 111 222",
        "984 222 333",
    ),
    cols.Column(
        "emails", "Correos electrónicos", "Separados por coma", ("correo", "email", "correos"), "ana@gloria.com.pe", ""
    ),
    cols.Column("note", "Nota", "", ("observacion",), "Llamar por la mañana", ""),
]
COLUMNS_BY_SHEET = {ADDRESSES: ADDRESS_COLUMNS, CONTACTS: CONTACT_COLUMNS}
_KINDS = {
    "fiscal": Address.Kind.FISCAL,
    "entrega": Address.Kind.DELIVERY,
    "de entrega": Address.Kind.DELIVERY,
    "otra": Address.Kind.OTHER,
    "otro": Address.Kind.OTHER,
}


def sheet_of(name: str) -> str:
    """The child sheet a workbook sheet's name stands for ("" for none)."""
    key = cols.header_key(name)
    if key in ("direcciones", "direccion", "addresses"):
        return ADDRESSES
    if key in ("contactos", "contacto", "contacts"):
        return CONTACTS
    return ""


@dataclass
class ChildResult:
    sheet: str
    number: int
    raw: list
    action: str = "error"  # add, unchanged, error
    errors: list = field(default_factory=list)  # [(column label, message)]
    values: dict | None = None  # what to write (JSON-ready)
    parent: int | None = None  # the Clientes row of this file that is its customer
    customer_id: int | None = None  # the customer, when it exists already
    note: str = ""


@dataclass
class _Owner:
    parent: int | None
    customer_id: int | None
    is_foreign: bool
    error: str = ""


# The example rows the template writes in these sheets: the company's and the person's, as in
# Clientes (cols.EXAMPLES).
CHILD_EXAMPLES = cols.EXAMPLES


def analyze_sheet(
    table, sheet: str, customers: list, lookups, *, actor, skipped: cols.SkippedExamples | None = None
) -> tuple[list[ChildResult], list[str]]:
    """Every row of one child sheet, matched to its customer and cleaned. ``customers``: the
    Clientes sheet's RowResults (their ``key`` is the (document type, number) they name).
    The template's example rows are skipped and counted in ``skipped``."""
    columns = COLUMNS_BY_SHEET[sheet]
    known = {}
    for column in columns:
        for text in (column.header, *column.aliases):
            known.setdefault(cols.header_key(text), column.key)
    keys, warnings, seen = [], [], set()
    for header in table.headers:
        key = known.get(cols.header_key(header), "") if header else ""
        if header and not key and cols.header_key(header) not in REPORT_KEYS:
            warnings.append(f"Hoja {sheet}: se ignoró la columna «{header[:60]}».")
        if key and key in seen:
            warnings.append(f"Hoja {sheet}: la columna «{header[:60]}» está repetida: se usa la primera.")
            key = ""
        seen.add(key)
        keys.append(key)
    warnings += cols.control_headers_warning(table, sheet)
    labels = {c.key: c.header for c in columns}
    missing = [labels[k] for k in ("document_type", "document_number") if k not in seen]
    if missing:
        warnings.append(f"Hoja {sheet}: falta la columna {' y '.join(missing)}; sus filas no se pueden leer.")
    by_key = {}
    for result in customers:
        if result.key is not None and result.key not in by_key:
            by_key[result.key] = result
    can_add_to_existing = actor is None or actor.has_perm(
        "customers.add_address" if sheet == ADDRESSES else "customers.add_contact"
    )
    results: list[ChildResult] = []
    pending: list[tuple[ChildResult, dict, tuple | None]] = []
    present: dict = {}  # customer id or ("row", n) → set of what it has (for "unchanged")
    examples = [{c.key: getattr(c, example) for c in columns} for example in CHILD_EXAMPLES]
    rows = cols.TemplateExamples(keys, examples, skipped or cols.SkippedExamples()).rows(table.rows)
    untitled, titles = set(), table.headers
    for number, cells in rows:
        cols.untitled_cells(titles, cells, untitled)
        row = {key: cells[i] for i, key in enumerate(keys) if key and i < len(cells)}
        result = ChildResult(sheet=sheet, number=number, raw=list(cells))
        results.append(result)
        errors: dict = {}
        doc_type = None
        if cols.text_of(row.get("document_type")):
            doc_type = lookups.document_types.get(fold(cols.text_of(row.get("document_type"))))
            if doc_type is None:
                errors["document_type"] = [
                    f"«{cols.text_of(row.get('document_type'))[:40]}» no es un tipo de documento."
                ]
        number_text = cols.document_digits(row.get("document_number"), doc_type)
        if doc_type is None and "document_type" not in errors and number_text.isdigit():
            doc_type = lookups.document_types.get("6" if len(number_text) == 11 else "1")
            number_text = cols.document_digits(row.get("document_number"), doc_type)
        if not number_text:
            errors["document_number"] = ["Escriba el número de documento del cliente."]
        for key, messages in errors.items():
            result.errors += [(labels[key], m) for m in messages]
        if cells.__class__ is ControlRow:  # control characters, error values (#N/A): errors
            result.errors = cols.with_control_errors(result.errors, cells, keys, table.headers, labels.__getitem__)
            if any(keys[i] in ("document_type", "document_number") for i in cells.errors if i < len(keys)):
                number_text = ""  # «#N/A» is no customer's document: no «no such customer» besides
        key = (doc_type.pk, number_text) if doc_type is not None and number_text else None
        if key is None and not result.errors:
            result.errors.append((labels["document_type"], "Escriba el tipo de documento del cliente (RUC, DNI, CE…)."))
        pending.append((result, row, key))
        if len(pending) >= CHUNK:
            _resolve(pending, sheet, by_key, lookups, labels, present, can_add_to_existing)
            pending = []
    if pending:
        _resolve(pending, sheet, by_key, lookups, labels, present, can_add_to_existing)
    return results, warnings + cols.untitled_columns_warning(table, untitled, sheet)


def _resolve(pending, sheet, by_key, lookups, labels, present, can_add_to_existing) -> None:
    """Match a chunk of rows to their customers (one query), then clean each one."""
    wanted = {key for _, _, key in pending if key is not None and key not in by_key}
    registered = {}
    if wanted:
        for customer in Customer.objects.filter(document_number__in={n for _, n in wanted}).only(
            "id", "name", "document_type_id", "document_number", "deleted_at", "is_foreign"
        ):
            key = (customer.document_type_id, customer.document_number)
            if customer.deleted_at is None or key not in registered:
                registered[key] = customer
    owners: dict = {}
    for _, _, key in pending:
        if key is None or key in owners:
            continue
        in_file = by_key.get(key)
        if in_file is not None:
            if in_file.action == "error":
                owners[key] = _Owner(
                    None, None, False, f"Su cliente (fila {in_file.number} de Clientes) tiene errores."
                )
            else:
                fields = in_file.cleaned["fields"]
                customer_id = in_file.customer_id
                owners[key] = _Owner(in_file.number, customer_id, bool(fields.get("is_foreign")))
                if customer_id is None:
                    present.setdefault(("row", in_file.number), set()).update(_main_address(in_file.cleaned))
            continue
        customer = registered.get(key)
        if customer is None:
            reason = "No hay un cliente con ese documento en la hoja Clientes ni registrado."
            if key[1] in _EXAMPLE_NUMBERS:  # the examples deleted from Clientes but not from this sheet
                reason += " Si es la fila de ejemplo de la plantilla, bórrela."
            owners[key] = _Owner(None, None, False, reason)
        elif customer.deleted_at is not None:
            owners[key] = _Owner(
                None, None, False, f"El cliente «{customer.name}» está en la Papelera: restáurelo antes de importar."
            )
        elif not can_add_to_existing:
            what = "direcciones" if sheet == ADDRESSES else "contactos"
            owners[key] = _Owner(None, None, False, f"No tiene permiso para agregar {what} a «{customer.name}».")
        else:
            owners[key] = _Owner(None, customer.pk, customer.is_foreign)
    _load_present(sheet, {o.customer_id for o in owners.values() if o.customer_id}, present)

    for result, row, key in pending:
        owner = owners.get(key) if key is not None else None
        if owner is not None and owner.error:
            result.errors.append((labels["document_number"], owner.error))
        if result.errors or owner is None:
            result.action = "error"
            continue
        result.parent, result.customer_id = owner.parent, owner.customer_id
        holder = owner.customer_id if owner.customer_id is not None else ("row", owner.parent)
        if sheet == ADDRESSES:
            _clean_address(result, row, owner, lookups, labels)
            same = _address_key(result.values) if result.values else None
        else:
            _clean_contact(result, row, labels)
            same = ("contact", fold(result.values["name"])) if result.values else None
        if result.errors:
            result.action, result.values = "error", None
            continue
        had = present.setdefault(holder, set())
        result.action = "unchanged" if same in had else "add"
        had.add(same)


def _clean_address(result, row, owner, lookups, labels) -> None:
    errors: dict = {}
    parsed = cols.parse_address(row, lookups, errors) or {}
    kind_text = fold(cols.text_of(row.get("kind")))
    kind = _KINDS.get(kind_text) if kind_text else None
    if kind_text and kind is None:
        errors["kind"] = [f"«{cols.text_of(row.get('kind'))[:40]}» no es Fiscal, Entrega ni Otra."]
    kind, cleaned, more = clean_address_data({**parsed, "kind": kind}, is_foreign=owner.is_foreign)
    if cols.PLACE_KEYS & errors.keys():
        more = {
            key: messages for key, messages in more.items() if (cols.error_column(key) or key) not in cols.PLACE_KEYS
        }
    for key, messages in {**more, **errors}.items():
        label = labels.get(cols.error_column(key) or key, "—")
        result.errors += [(label, str(m)) for m in messages]
    if result.errors or not cleaned:
        if not result.errors:
            result.errors.append((labels["street"], "Escriba la dirección."))
        return
    district = cleaned["district"]
    result.values = {
        "kind": kind,
        "district_id": district.pk if district else None,
        "street": cleaned["street"],
        "unit": cleaned["unit"],
        "reference": cleaned["reference"],
    }
    text = ", ".join(x for x in (cleaned["street"], cleaned["unit"], district.name if district else "") if x)
    result.note = f"Dirección agregada: {text} ({Address.Kind(kind).label})."


def _clean_contact(result, row, labels) -> None:
    data = {
        "name": cols.text_of(row.get("name")),
        "role": cols.text_of(row.get("role")),
        "note": cols.text_of(row.get("note")),
        "phones": cols.text_of(row.get("phones")).replace(";", ",").replace("/", ","),
        "emails": cols.text_of(row.get("emails")).replace(";", ","),
    }
    if isinstance(row.get("phones"), (int, float)) and not isinstance(row.get("phones"), bool):
        data["phones"] = cols.text_of(row["phones"])
    values, errors = clean_contact_data(data)
    for key, messages in errors.items():
        result.errors += [(labels.get(key, "—"), str(m)) for m in messages]
    if not result.errors:
        result.values = values
        result.note = f"Contacto agregado: {values['name']}."


def _address_key(values: dict) -> tuple:
    return ("address", values.get("district_id"), fold(values.get("street") or ""), fold(values.get("unit") or ""))


def _main_address(cleaned: dict) -> set:
    address = cleaned.get("address")
    if not address:
        return set()
    district = address["district"]
    return {_address_key({"district_id": district.pk if district else None, **address})}


def _load_present(sheet: str, ids: set, present: dict) -> None:
    ids = {pk for pk in ids if pk not in present}
    if not ids:
        return
    for pk in ids:
        present[pk] = set()
    if sheet == ADDRESSES:
        for pk, district_id, street, unit in Address.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "district_id", "street", "unit"
        ):
            present[pk].add(_address_key({"district_id": district_id, "street": street, "unit": unit}))
    else:
        for pk, name in Contact.objects.filter(customer_id__in=ids).values_list("customer_id", "name"):
            present[pk].add(("contact", fold(name)))
