"""What a previewed import will do, row by row, for the page that shows it: the customers a
file updates with each change «antes → después», and the customers it creates.

Worked out when the page is shown, for the rows of that page only (a 100,000-row file has
50,000 updates): the preview stages what each row writes (customers.import_staging), and here
the staged values of the page's rows are compared with their customers as they are now, in
a fixed number of queries whatever the page's rows hold. The lines are the history's own
(customers.history.describe_changes: dates dd/mm/aaaa, Sí/No, names of related rows, attributes
through attributes.values.format_value), so they read as the note the import will leave.
Columns of the apps above customers (credit's cupo…) are described by their app, and only for
a user with their view permission.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

from attributes.models import AttributeDefinition
from customers import extensions
from customers.history import describe_changes, describe_main_address, phones_text
from customers.import_staging import field_value
from customers.models import Address, Customer, CustomerEmail, CustomerPhone, District, ImportJob, ImportStagedRow

PAGE_SIZE = 50

_BY_COLUMN = {f.column: f for f in Customer._meta.concrete_fields}


@dataclass
class UpdateRow:
    number: int  # the row's number in the file
    customer: Customer | None  # None: gone since the preview
    changes: list[tuple[str, str]] = field(default_factory=list)  # (label, "antes → después")
    trashed: bool = False  # moved to the Papelera since the preview: the import will not update it


@dataclass
class CreateRow:
    number: int
    name: str
    kind: str
    document: str
    phones: str
    emails: str
    address: str
    other: list[str] = field(default_factory=list)  # columns of apps above customers (credit's cupo…)


def _page(job: ImportJob, action: str, number, *, count: int) -> tuple[Page, list[ImportStagedRow]]:
    """The page ``number`` of the job's staged Clientes rows of ``action`` (``count`` of them, as
    the preview counted: no COUNT), and those rows. The page's ids first, then their rows: an
    OFFSET deep into 50,000 rows sorts only ids and numbers, not every row's JSON before it."""
    ids = ImportStagedRow.objects.filter(batch=f"job-{job.pk}", sheet="", action=action).order_by("number")
    paginator = Paginator(ids.values_list("pk", flat=True), PAGE_SIZE)
    paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    paged = paginator.get_page(number)
    rows = ImportStagedRow.objects.in_bulk(list(paged.object_list))
    return paged, [rows[pk] for pk in paged.object_list if pk in rows]


def _values(fields: dict) -> dict:
    """The staged columns (JSON) as the model's values ({attname: value}): dates, decimals."""
    values = {}
    for column, value in fields.items():
        f = _BY_COLUMN.get(column)
        if f is not None:
            values[f.attname] = value if value is None else f.to_python(value)
    return values


def _related_rows(pairs) -> dict:
    """{(model, pk): row} of the related rows the page names, one query per model."""
    wanted: dict = {}
    for model, pk in pairs:
        if pk is not None:
            wanted.setdefault(model, set()).add(pk)
    rows = {}
    for model, pks in wanted.items():
        rows.update({(model, row.pk): row for row in model._base_manager.filter(pk__in=pks)})
    return rows


_FOREIGN_KEYS = [f for f in Customer._meta.concrete_fields if f.is_relation]


def _visible_groups(user, staged_rows) -> list:
    """The apps' column groups that the page's rows write and ``user`` may see."""
    return [
        group
        for group in extensions.sheet_columns()
        if user.has_perm(group.view_permission) and any(group.key in (row.extra or {}) for row in staged_rows)
    ]


def update_page(job: ImportJob, *, page, user) -> tuple[Page, list[UpdateRow]]:
    """The page ``page`` of the rows that update a customer, each with its changes."""
    paged, staged_rows = _page(job, "update", page, count=job.to_update)
    ids = [row.customer_id for row in staged_rows]
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids).select_related("document_type")}
    before, after = {}, {}
    for row in staged_rows:
        customer = customers.get(row.customer_id)
        new = _values(row.fields or {})
        after[row.number] = new
        before[row.number] = {name: field_value(customer, name) for name in new} if customer else {}
    rows = _related_rows(
        (f.related_model, values.get(f.attname))
        for values in (*before.values(), *after.values())
        for f in _FOREIGN_KEYS
        if f.attname in values
    )
    if any("attributes" in values for values in after.values()):
        rows.update({(AttributeDefinition, d.pk): d for d in AttributeDefinition.objects.all()})
    phones = _by_customer(
        CustomerPhone, "number", "whatsapp", ids=[r.customer_id for r in staged_rows if r.phones is not None]
    )
    emails = _by_customer(CustomerEmail, "email", ids=[r.customer_id for r in staged_rows if r.emails is not None])
    with_address = [r for r in staged_rows if r.address]
    addresses = {
        a.customer_id: a
        for a in Address.objects.filter(
            customer_id__in=[r.customer_id for r in with_address], is_default=True
        ).select_related("district")
    }
    districts = District.objects.in_bulk([r.address["district_id"] for r in with_address if r.address["district_id"]])
    groups = [(group, group.load(), group.current(ids)) for group in _visible_groups(user, staged_rows)]
    result = []
    for row in staged_rows:
        customer = customers.get(row.customer_id)
        if customer is not None and customer.deleted_at is not None:
            # The confirm refuses the row (the customer changed since the preview): no changes shown.
            result.append(UpdateRow(row.number, customer, trashed=True))
            continue
        old, new = before[row.number], dict(after[row.number])
        if row.phones is not None:
            old["phones"] = [[n, bool(w)] for n, w in phones.get(row.customer_id, [])]
            new["phones"] = [[n, bool(w)] for n, w in row.phones]
        if row.emails is not None:
            old["emails"] = [e for (e,) in emails.get(row.customer_id, [])]
            new["emails"] = list(row.emails)
        changes = describe_changes(Customer, old, new, rows=rows) if customer else []
        if row.address and customer:
            wanted = row.address
            district = districts.get(wanted["district_id"])
            changes.append(
                describe_main_address(
                    addresses.get(row.customer_id),
                    street=wanted["street"],
                    unit=wanted["unit"],
                    district_name=district.name if district else "",
                )
            )
        for group, loaded, current in groups:
            if customer and group.key in (row.extra or {}):
                changes += group.describe(current.get(row.customer_id, {}), row.extra[group.key], loaded)
        # "Etiqueta: antes → después" → (etiqueta, "antes → después"): the page sets the label apart.
        result.append(UpdateRow(row.number, customer, [tuple(line.partition(": ")[::2]) for line in changes]))
    return paged, result


def _by_customer(model, *names, ids) -> dict:
    """{customer id: [(values…), …]} of a child model of the customers ``ids``, in its order."""
    found: dict = {}
    if ids:
        for customer_id, *values in model.objects.filter(customer_id__in=ids).values_list("customer_id", *names):
            found.setdefault(customer_id, []).append(tuple(values))
    return found


def create_page(job: ImportJob, *, page, user) -> tuple[Page, list[CreateRow]]:
    """The page ``page`` of the rows that create a customer: who, document, phones, e-mails and
    main address as they will be written."""
    paged, staged_rows = _page(job, "create", page, count=job.to_create)
    rows = _related_rows(
        (model, (row.fields or {}).get(column))
        for row in staged_rows
        for model, column in ((Customer.document_type.field.related_model, "document_type_id"),)
    )
    districts = District.objects.in_bulk(
        [row.address["district_id"] for row in staged_rows if row.address and row.address.get("district_id")]
    )
    groups = [(group, group.load()) for group in _visible_groups(user, staged_rows)]
    kinds = dict(Customer.Kind.choices)
    result = []
    for row in staged_rows:
        fields = row.fields or {}
        document_type = rows.get((Customer.document_type.field.related_model, fields.get("document_type_id")))
        document = " ".join(x for x in (str(document_type or ""), fields.get("document_number") or "") if x)
        address = row.address or {}
        district = districts.get(address.get("district_id"))
        where = ", ".join(
            x for x in (address.get("street"), address.get("unit"), district.name if district else "") if x
        )
        other = []
        for group, loaded in groups:
            if group.key in (row.extra or {}):
                # Described as a change from nothing ("Cupo de crédito: sin crédito → S/ 5,000.00"),
                # shown as the value it gets ("Cupo de crédito: S/ 5,000.00"), as
                # history.describe_state shows a new row.
                for line in group.describe({}, row.extra[group.key], loaded):
                    label, _, change = line.partition(": ")
                    other.append(f"{label}: {change.split(' → ', 1)[-1]}")
        result.append(
            CreateRow(
                number=row.number,
                name=fields.get("name") or "—",
                kind=str(kinds.get(fields.get("kind"), "")),
                document=document or "—",
                phones=phones_text(row.phones or []),
                emails=", ".join(row.emails or []) or "—",
                address=where or "—",
                other=other,
            )
        )
    return paged, result
