"""The write path of an import, set-based: the preview stages every row it checked (COPY into
ImportStagedRow), and the confirmed import writes them with a few INSERT … SELECT and
UPDATE … FROM statements — customers, phones, e-mails, main addresses, history and notes —
instead of cleaning the file again and writing row by row.

Between the preview and the confirmation other people keep working, so ``apply`` checks again,
set-based and inside the import's transaction, what the preview's answer depended on outside
the file: a customer to update changed or went to the Papelera since the preview (the UPDATE
itself skips it, under its row lock), a document to create was registered meanwhile, an e-mail
became another customer's, the importer lost a permission. Those rows become errors, like the
preview's. The rules themselves ran once, in the preview, through customers.services' own
cleaning; customers.importing falls back to cleaning again when they changed meanwhile
(attribute definitions, required fields).
"""

import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

from customers import extensions
from customers.history import record_bulk_import
from customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerNote,
    CustomerPhone,
    ImportJob,
    ImportStagedRow,
)

# Customer columns an import may change (the rest — creation, trash, ids — it never touches).
UPDATED_COLUMNS = (
    "kind",
    "is_foreign",
    "document_type_id",
    "document_number",
    "business_name",
    "first_names",
    "last_names",
    "name",
    "sort_key",
    "email",
    "phone",
    "business_line",
    "country",
    "registry_status",
    "registry_condition",
    "registry_checked_at",
    "category_id",
    "customer_class_id",
    "requests_detraction",
    "loyalty_enrolled",
    "additional_info",
    "description",
    "notification_emails",
    "notification_whatsapp",
    "facebook",
    "instagram",
    "tiktok",
    "x",
    "linkedin",
    "youtube",
    "website",
    "attributes",
    "search_text",
    "has_whatsapp",
    "department_id",
)
_STAGED = (
    "batch",
    "sheet",
    "number",
    "action",
    "parent",
    "customer_id",
    "fields",
    "phones",
    "emails",
    "address",
    "note",
    "extra",
    "errors",
    "raw",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _dumps(value) -> str | None:
    """JSON text of a staged value, as json.dumps with Django's encoder would give it (dates,
    decimals, UUIDs and lazy texts by that encoder), by orjson: a preview encodes seven values
    per row, and the standard library's encoder was a tenth of a worker's time."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, default=_DJANGO_JSON.default, option=_ORJSON_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):  # what orjson does not take (an int over 64 bits…)
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


_DJANGO_JSON = DjangoJSONEncoder()
# Non-string keys written as json.dumps writes them; datetimes and dataclasses through Django's
# encoder, as before.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


# Generated columns (match_key) are the database's to compute: never read from a new row, never written.
_WRITTEN = [f for f in Customer._meta.concrete_fields if not f.generated]
_COLUMNS = [(f.column, f.attname) for f in _WRITTEN if not f.primary_key]


def _plain(value):
    if value.__class__ in _AS_IS:  # nearly every value: no isinstance chain
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


_AS_IS = frozenset((str, int, bool, float, type(None), dict, list))


def customer_columns(customer: Customer) -> dict:
    """Every column of ``customer`` (but the id) as JSON values jsonb_populate_record reads back."""
    return {column: _plain(getattr(customer, attname)) for column, attname in _COLUMNS}


_UPDATED = [(column, attname) for column, attname in _COLUMNS if column in UPDATED_COLUMNS]


def field_value(instance, attname: str):
    """A model instance's value of ``attname``: a loaded field's straight from the instance's
    __dict__ (what its descriptor would return, without the call: a preview asks this of tens of
    thousands of customers), a deferred one through getattr."""
    loaded = instance.__dict__
    return loaded[attname] if attname in loaded else getattr(instance, attname)


def field_values(instance, attnames) -> dict:
    """{attname: field_value} of a model instance (a loaded field's read here, without the call)."""
    loaded = instance.__dict__
    return {name: loaded[name] if name in loaded else field_value(instance, name) for name in attnames}


_FIELD_COLUMNS = {f.name: (f.column, f.is_relation) for f in _WRITTEN if not f.primary_key}
_NEW: dict = {}


def new_customer_columns() -> dict:
    """customer_columns of a new Customer() (its defaults), computed once."""
    if not _NEW:
        customer = Customer()
        for f in _WRITTEN:
            # A field with only a database default holds a placeholder until saved: its value.
            if isinstance(getattr(customer, f.attname), DatabaseDefault):
                setattr(customer, f.attname, f.db_default)
        _NEW.update(customer_columns(customer))
    return dict(_NEW)


def with_fields(columns: dict, fields: dict, *, copy: bool = True) -> dict:
    """``columns`` with the cleaned ``fields`` (clean_customer_data's, by field name) over them
    (``copy`` False: set in ``columns`` itself, which is returned)."""
    result = dict(columns) if copy else columns
    for name, value in fields.items():
        column, relation = _FIELD_COLUMNS[name]
        if relation and value is not None and hasattr(value, "pk"):
            value = value.pk
        result[column] = value if value.__class__ in _AS_IS else _plain(value)
    return result


def stored_column(customer: Customer, column: str):
    """The stored value of one of the UPDATED_COLUMNS of ``customer``, as JSON (customer_columns)."""
    return _plain(field_value(customer, _UPDATED_ATTNAME[column]))


def changed_from(customer: Customer, new: dict) -> dict:
    """The UPDATED_COLUMNS of ``new`` (columns → values, as with_fields writes them) whose value
    differs from the stored one, in UPDATED_COLUMNS' order: an update's staged row. Only the
    columns the row writes are read, not every column of the customer."""
    changed = {}
    loaded = customer.__dict__  # field_value's answer for a loaded field, without a call per column
    for column, attname in _UPDATED_IN_ORDER:
        if column in new:
            stored = loaded[attname] if attname in loaded else field_value(customer, attname)
            if new[column] != (stored if stored.__class__ in _AS_IS else _plain(stored)):
                changed[column] = new[column]
    return changed


_UPDATED_ATTNAME = dict(_UPDATED)


def _staged_value(field) -> str | None:
    """SQL of the value of ``field`` (one of the UPDATED_COLUMNS) in a staged row's JSON (alias
    s), as jsonb_populate_record gives it: the text through the type's input function (a text
    column's own length check is the assignment's), or None for an array or JSON column, which
    only jsonb_populate_record reads as it does."""
    db_type = field.db_type(connection)
    if db_type.endswith("]") or db_type in ("json", "jsonb"):
        return None
    value = f"(s.fields->>'{field.column}')"
    return value if db_type == "text" or db_type.startswith("varchar") else f"{value}::{db_type}"


_STAGED_VALUE = {f.column: _staged_value(f) for f in _WRITTEN if f.column in UPDATED_COLUMNS}
_UPDATED_IN_ORDER = [(column, _UPDATED_ATTNAME[column]) for column in UPDATED_COLUMNS]


@dataclass
class Staged:
    number: int
    action: str  # create, update, address, contact, error
    sheet: str = ""  # "" for Clientes
    parent: int | None = None  # an address's or contact's customer row in Clientes
    customer_id: int | None = None
    fields: dict | None = None
    phones: list | None = None
    emails: list | None = None
    address: dict | None = None
    note: str = ""
    extra: dict | None = None
    errors: list | None = None
    raw: list | None = None


def copy_values(batch: str, row: Staged) -> tuple:
    """What stage() writes for ``row``: plain text and numbers (a worker process prepares them)."""
    return (
        batch,
        row.sheet,
        row.number,
        row.action,
        row.parent,
        row.customer_id,
        _dumps(row.fields),
        _dumps(row.phones),
        _dumps(row.emails),
        _dumps(row.address),
        row.note,
        _dumps(row.extra),
        _dumps(row.errors),
        _dumps(row.raw),
    )


# Where copy_values puts the action and the customer's id.
_ACTION, _CUSTOMER_ID = _STAGED.index("action"), _STAGED.index("customer_id")
_STAGE_BLOCK = 5_000


def stage(batch: str, rows, *, replace: bool = True) -> int:
    """COPY the rows (Staged, or copy_values of them) under ``batch``, replacing what it held
    (or after it: ``replace`` False). Returns how many.

    A row to create gets its customer's id here (new_ids): the confirmed import then writes
    the staged rows as they are, instead of rewriting every one of them (a new version of
    each staged row, with its JSON) to give it one."""
    if replace:
        discard(batch)
    count = 0
    rows = iter(rows)
    columns = ", ".join(_q(c) for c in _STAGED)
    while block := [
        row if isinstance(row, tuple) else copy_values(batch, row) for row in itertools.islice(rows, _STAGE_BLOCK)
    ]:
        ids = iter(new_ids(sum(1 for values in block if _needs_id(values))))
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {_table(ImportStagedRow)} ({columns}) FROM STDIN") as copy,  # noqa: S608
        ):
            for values in block:
                if _needs_id(values):
                    values = (*values[:_CUSTOMER_ID], next(ids), *values[_CUSTOMER_ID + 1 :])
                copy.write_row(values)
        count += len(block)
    return count


def _needs_id(values: tuple) -> bool:
    return values[_ACTION] == "create" and values[_CUSTOMER_ID] is None


def new_ids(count: int) -> list[int]:
    """``count`` new customers' ids from the customers' sequence. A sequence never hands a value
    out twice, committed or not, so an id drawn at the preview stays its row's until the import
    writes it (a retry writes the same one); ids never written are gaps, as a failed save leaves."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Customer._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


# Statistics target of the staging table's ANALYZE (PostgreSQL samples 300 rows per unit: 3,000
# here instead of the default 30,000). The confirmed import's statements filter on a handful of
# values (batch, action, sheet) and on NULL or not (phones, e-mails, address): a smaller sample
# gives the same plans — the proportions move by a few percent — and the ANALYZE, serial at the
# end of every preview, took 0.25 s at 100,000 rows instead of 0.02 s (bench/README.md).
STATISTICS_TARGET = 10


def refresh_statistics() -> None:
    """ANALYZE the staging table after a large stage: its rows come and go in batches, and the
    confirmed import's joins are planned from its statistics."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Only for this ANALYZE: the setting as it was comes back in the same transaction.
        cursor.execute("SELECT current_setting('default_statistics_target')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [str(int(STATISTICS_TARGET))])
        cursor.execute(f"ANALYZE {_table(ImportStagedRow)}")
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [before])


def discard(batch: str) -> None:
    ImportStagedRow.objects.filter(batch=batch)._raw_delete(ImportStagedRow.objects.db)


# A preview's staged rows wait this long for its confirmation (or a retry of a failed import);
# then they go, and a later confirmation cleans the file again (the slow path, same result).
STAGED_ROWS_KEPT = timedelta(hours=24)
# Jobs whose staged rows are about to be written (never touched here).
_WRITING = (ImportJob.Status.QUEUED, ImportJob.Status.IMPORTING)


def discard_stale(*, now=None) -> int:
    """Drop the staged rows nobody will write (each preview calls this first, so abandoned
    previews never pile up): those of jobs done, refused, deleted or re-read, and those of
    previews and failed imports older than STAGED_ROWS_KEPT — whose jobs are marked as no
    longer staged, in the same transaction and under the job's row lock, so a confirmation
    either came first (the job is queued: its rows stay) or finds them gone and cleans again.
    Returns how many rows went."""
    cutoff = (now or timezone.now()) - STAGED_ROWS_KEPT
    jobs, staged = _table(ImportJob), _table(ImportStagedRow)
    waiting = [ImportJob.Status.READY, ImportJob.Status.FAILED]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {jobs} SET checked_rules = checked_rules || '{{\"staged\": false}}'::jsonb"  # noqa: S608
            " WHERE status = ANY(%s) AND coalesce(previewed_at, created_at) < %s"
            " AND checked_rules @> '{\"staged\": true}'::jsonb",
            [waiting, cutoff],
        )
        # The batches first, one probe of the batch index each (a loose index scan), then the
        # rows of the stale ones through that index: a preview waiting for its confirmation
        # keeps its rows, and reading all of them (and their dead versions) at the start of
        # every other preview took 0.4–0.5 s for one of 100,000 rows.
        cursor.execute(
            f"WITH RECURSIVE batches(batch) AS ("  # noqa: S608
            f" (SELECT batch FROM {staged} ORDER BY batch LIMIT 1)"
            f" UNION ALL SELECT (SELECT s.batch FROM {staged} s WHERE s.batch > b.batch ORDER BY s.batch LIMIT 1)"
            " FROM batches b WHERE b.batch IS NOT NULL)"
            f" SELECT b.batch FROM batches b WHERE b.batch LIKE 'job-%%' AND NOT {_kept_test(jobs, 'b')}",
            [list(_WRITING), waiting],
        )
        stale = [batch for (batch,) in cursor.fetchall()]
        if not stale:
            return 0
        # The same test again in the DELETE's own snapshot: a preview of one of these jobs that
        # committed meanwhile keeps the rows it staged.
        cursor.execute(
            f"DELETE FROM {staged} s WHERE s.batch = ANY(%s) AND NOT {_kept_test(jobs, 's')}",  # noqa: S608
            [stale, list(_WRITING), waiting],
        )
        return cursor.rowcount


def _kept_test(jobs: str, alias: str) -> str:
    """SQL: the batch ``alias``.batch belongs to a job whose staged rows stay (being written,
    or waiting for a confirmation with its rows staged); parameters: _WRITING, the waiting
    statuses."""
    return (
        f"EXISTS (SELECT 1 FROM {jobs} j WHERE {alias}.batch = 'job-' || j.id AND (j.status = ANY(%s)"  # noqa: S608
        " OR (j.status = ANY(%s) AND j.checked_rules @> '{\"staged\": true}'::jsonb)))"
    )


def has_rows(batch: str) -> bool:
    return ImportStagedRow.objects.filter(batch=batch).exists()


@dataclass(frozen=True)
class Part:
    """Part ``index`` of ``count`` of a batch, split by customer so that no two parts write the
    same customer (nor its phones, e-mails, addresses, contacts or notes): a Clientes row goes by
    its row number, a Direcciones or Contactos row by its customer's Clientes row (``parent``),
    else by its registered customer. None of these columns changes while the rows are written,
    so each statement of a part picks the same rows (customers.import_parallel runs the parts)."""

    index: int
    count: int


def _rows(alias: str, part: Part | None) -> str:
    """The WHERE of a batch's staged rows (``alias``: "" or the table's alias), of one part."""
    prefix = f"{alias}." if alias else ""
    where = f"{prefix}batch = %s"
    if part is None:
        return where
    key = (
        f"CASE WHEN {prefix}sheet = '' THEN {prefix}number"
        f" ELSE coalesce({prefix}parent, {prefix}customer_id, {prefix}number) END"
    )
    return f"{where} AND mod({key}, {int(part.count)}) = {int(part.index)}"


@dataclass(frozen=True)
class Present:
    """What the rows to create and update of a batch (part) write: a statement whose rows none
    of them has is not run (each would read every such row to find none)."""

    updates: int = 0
    # The customer columns the rows to update change (UPDATED_COLUMNS' order): the others stay
    # out of the UPDATE, so that nothing is worked out for them — match_key, a generated column,
    # is computed again only when sort_key is among them.
    changed: tuple = ()
    unnumbered: int = 0  # rows to create staged without their customer's id
    phones: bool = False
    emails: bool = False  # a non-empty list of e-mails
    replaced_emails: bool = False  # an update that writes the customer's e-mails (maybe none)
    extra: bool = False
    creates: int = 0


def _present(batch: str, part: Part | None, *, columns: bool = True) -> Present:
    """``columns`` False: without Present.changed (one read of the rows to update less)."""
    changed = (
        f"(SELECT array_agg(DISTINCT k.key) FROM {_table(ImportStagedRow)} s2"  # noqa: S608
        " CROSS JOIN LATERAL jsonb_object_keys(s2.fields) AS k(key)"
        f" WHERE {_rows('s2', part)} AND s2.action = 'update' AND jsonb_typeof(s2.fields) = 'object')"
        if columns
        else "NULL::text[]"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE s.action = 'update'), {changed},"  # noqa: S608
            " count(*) FILTER (WHERE s.action = 'create' AND s.customer_id IS NULL),"
            " coalesce(bool_or(s.phones IS NOT NULL), false),"
            " coalesce(bool_or(s.emails IS NOT NULL AND s.emails <> '[]'::jsonb), false),"
            " coalesce(bool_or(s.action = 'update' AND s.emails IS NOT NULL), false),"
            " coalesce(bool_or(s.extra IS NOT NULL), false), count(*) FILTER (WHERE s.action = 'create')"
            f" FROM {_table(ImportStagedRow)} s"
            f" WHERE {_rows('s', part)} AND s.action IN ('create', 'update')",
            [batch, batch] if columns else [batch],
        )
        updates, changed, *rest = cursor.fetchone()
        changed = set(changed or ())
        return Present(updates, tuple(c for c in UPDATED_COLUMNS if c in changed), *rest)


@dataclass
class Applied:
    created_ids: list = field(default_factory=list)
    updated_ids: list = field(default_factory=list)
    addresses_added: int = 0
    contacts_added: int = 0


def check_again(batch: str, *, can_create: bool, can_change: bool, part: Part | None = None) -> None:
    """What may have changed since the preview (see the module's docstring), set-based: the
    rows it hits become errors (error_rows lists them). ``part``: only that part's rows."""
    staged, customers = _table(ImportStagedRow), _table(Customer)

    def mark(sql: str, params: list):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    for allowed, action, message in (
        (can_create, "create", "No tiene permiso para crear clientes."),
        (can_change, "update", "No tiene permiso para modificar clientes existentes."),
    ):
        if not allowed:
            mark(
                f"UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array('—', %s::text))"  # noqa: S608
                f" WHERE {_rows('s', part)} AND s.action = %s",
                [message, batch, action],
            )
    # A document registered by someone else since the preview. Outside and inside the Papelera
    # apart, so each reads an index (the unique one outside, the Papelera's inside).
    for where, message in (
        (
            "c.deleted_at IS NULL AND c.document_number <> ''",
            "'Ese documento ya es de «' || c.name || '», registrado después de la vista previa.'",
        ),
        (
            "c.deleted_at IS NOT NULL",
            "'Ese documento es de «' || c.name || '», que está en la Papelera: restáurelo antes de importar.'",
        ),
    ):
        mark(
            f"UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array("  # noqa: S608
            f"'Número de documento', {message})) FROM {customers} c"
            f" WHERE {_rows('s', part)} AND s.action = 'create' AND s.fields->>'document_number' <> ''"
            " AND c.document_type_id = s.fields->>'document_type_id'"
            f" AND c.document_number = s.fields->>'document_number' AND {where}",
            [batch],
        )
    # An e-mail that became another customer's (in the Papelera too, as the preview checks):
    # the rows' e-mails first (few), then the unique index on lower(email) outside the Papelera,
    # and the Papelera's e-mails read once (no index; materialized, so never once per row).
    # Not at all when no row writes an e-mail (one read of the rows instead of two).
    wanted = (
        f"SELECT s2.id, s2.customer_id, x.email FROM {staged} s2"  # noqa: S608 - the models' tables
        " CROSS JOIN LATERAL jsonb_array_elements_text(s2.emails) AS x(email)"
        f" WHERE {_rows('s2', part)} AND s2.action IN ('create', 'update') AND s2.emails IS NOT NULL"
        " AND s2.emails <> '[]'::jsonb"
    )
    emails = _table(CustomerEmail)
    owned = (
        f"(SELECT lower(email) AS email, customer_id FROM {emails} WHERE NOT in_trash)",  # noqa: S608
        "trashed",
    )
    for owners in owned if _present(batch, part, columns=False).emails else ():
        prefix = (
            f"WITH trashed AS MATERIALIZED (SELECT lower(email) AS email, customer_id FROM {emails} WHERE in_trash) "  # noqa: S608, E501
            if owners == "trashed"
            else ""
        )
        mark(
            f"{prefix}UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array("  # noqa: S608
            "'Correos electrónicos', 'El correo ' || m.email || ' ya es de otro cliente.'))"
            f" FROM (SELECT w.id, min(w.email) AS email FROM ({wanted}) w JOIN {owners} e ON e.email = w.email"
            " WHERE w.customer_id IS NULL OR e.customer_id <> w.customer_id GROUP BY w.id) m"
            " WHERE s.id = m.id AND s.action <> 'error'",
            [batch],
        )
    # An address or contact for a registered customer that went to the Papelera (or away).
    mark(
        f"UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array("  # noqa: S608
        "'Número de documento', 'El cliente ya no está registrado o está en la Papelera (cambió después de la"
        f" vista previa).')) WHERE {_rows('s', part)} AND s.action IN ('address', 'contact') AND s.parent IS NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {customers} c WHERE c.id = s.customer_id AND c.deleted_at IS NULL)",
        [batch],
    )


def apply(batch: str, *, actor, file_name: str, since=None, part: Part | None = None) -> Applied:
    """Write the staged rows: call inside the import's transaction, after check_again. A
    customer to update that changed after ``since`` (the preview) or went to the Papelera is
    left alone and its row becomes an error. ``part``: only that part's rows."""
    applied = Applied()
    user_id = actor.pk if getattr(actor, "pk", None) else None
    staged, customers = _table(ImportStagedRow), _table(Customer)
    now = timezone.now()
    present = _present(batch, part)
    with connection.cursor() as cursor:
        batched = _batch_search_index(cursor, present.updates + present.creates)
        once = _check_once_allowed(cursor, present.updates + present.creates)
        if once:
            _row_checks(cursor, on=False)
        # Updates. The WHERE is evaluated again on a row another transaction changed while this
        # one waited for its lock, so a concurrent edit is never overwritten.
        # Each changed column straight from the row's JSON, typed (_STAGED_VALUE), instead of a
        # whole record of every column built per row; only arrays and JSON still go through
        # jsonb_populate_record.
        assignments = "".join(
            f"{_q(c)} = CASE WHEN s.fields ? %s THEN {_STAGED_VALUE[c] or 'r.' + _q(c)} ELSE c.{_q(c)} END, "
            for c in present.changed
        )
        record = (
            f" CROSS JOIN LATERAL jsonb_populate_record(NULL::{customers}, s.fields) r"
            if any(_STAGED_VALUE[c] is None for c in present.changed)
            else ""
        )
        stale = " AND c.updated_at <= %s" if since is not None else ""
        cursor.execute(
            f"UPDATE {customers} c SET {assignments}updated_at = %s, version = c.version + 1"  # noqa: S608
            f" FROM {staged} s{record}"
            f" WHERE {_rows('s', part)} AND s.action = 'update' AND c.id = s.customer_id"
            f" AND c.deleted_at IS NULL{stale}"
            " RETURNING c.id, c.country",
            [*present.changed, now, batch, *([since] if since is not None else [])],
        )
        # Each updated customer's country as it now is, for its main address below.
        countries = dict(cursor.fetchall())
        applied.updated_ids = list(countries)
        if len(applied.updated_ids) < present.updates:
            cursor.execute(
                f"UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array('—',"  # noqa: S608
                " '«' || m.name || '» cambió después de la vista previa (otra persona lo modificó o lo eliminó); "
                "revise el archivo y vuelva a subirlo.'))"
                f" FROM (SELECT s2.id, coalesce(c.name, '—') AS name FROM {staged} s2"
                f" LEFT JOIN {customers} c ON c.id = s2.customer_id"
                # NOT IN over a subquery: a hashed set, not a scan of the array per row.
                f" WHERE {_rows('s2', part)} AND s2.action = 'update'"
                " AND s2.customer_id NOT IN (SELECT unnest(%s::bigint[]))) m"
                " WHERE s.id = m.id",
                [batch, applied.updated_ids],
            )

        # Creates: stage() gave them their ids (rows staged without one get it now), then one
        # INSERT … SELECT.
        if present.unnumbered:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Customer._meta.db_table])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                f"UPDATE {staged} s SET customer_id = nextval(%s) WHERE {_rows('s', part)} AND s.action = 'create'"  # noqa: S608
                " AND s.customer_id IS NULL",
                [sequence, batch],
            )
        columns = [f.column for f in _WRITTEN]
        # The id and the stamps beside the staged columns, not merged into each row's JSON
        # (a new copy of every row's object, a third of the expressions' work).
        own = {"id": "s.customer_id", "created_at": "k.now", "updated_at": "k.now", "created_by_id": "k.user_id"}
        cursor.execute(
            f"INSERT INTO {customers} ({', '.join(_q(c) for c in columns)})"  # noqa: S608
            f" SELECT {', '.join(own.get(c, 'r.' + _q(c)) for c in columns)} FROM {staged} s"
            f" CROSS JOIN LATERAL jsonb_populate_record(NULL::{customers}, s.fields) r"
            " CROSS JOIN (SELECT %s::timestamptz AS now, %s::bigint AS user_id) k"
            f" WHERE {_rows('s', part)} AND s.action = 'create' ORDER BY s.number RETURNING id",
            [now, user_id, batch],
        )
        applied.created_ids = [pk for (pk,) in cursor.fetchall()]

        written = f"{_rows('s', part)} AND s.action IN ('create', 'update')"
        # Phones and e-mails: a row that writes them replaces the customer's list.
        for model, column, values, extra, replaced, added in (
            (
                CustomerPhone,
                "phones",
                "x.value->>0, (x.value->>1)::boolean,",
                ("number", "whatsapp"),
                present.phones,
                present.phones,
            ),
            (CustomerEmail, "emails", "x.value #>> '{}',", ("email",), present.replaced_emails, present.emails),
        ):
            if replaced:
                cursor.execute(
                    f"DELETE FROM {_table(model)} WHERE customer_id IN"  # noqa: S608
                    f" (SELECT customer_id FROM {staged} s WHERE {written} AND s.action = 'update'"
                    f" AND s.{column} IS NOT NULL)",
                    [batch],
                )
            if added:
                cursor.execute(
                    f"INSERT INTO {_table(model)} (customer_id, {', '.join(extra)}, position)"  # noqa: S608
                    f" SELECT s.customer_id, {values} x.n - 1 FROM {staged} s"
                    f" CROSS JOIN LATERAL jsonb_array_elements(s.{column}) WITH ORDINALITY AS x(value, n)"
                    f" WHERE {written} AND s.{column} IS NOT NULL",
                    [batch],
                )

        # The main address: changed in place when the customer has one, else a new fiscal one.
        # An updated customer's country comes from its UPDATE above: reading the customer again
        # here found two versions of it (the one this transaction replaced, and the new one),
        # a fifth of this statement's work.
        address = _table(Address)
        cursor.execute(
            f"UPDATE {address} a SET district_id = s.address->>'district_id', street = s.address->>'street',"  # noqa: S608
            " unit = s.address->>'unit', reference = s.address->>'reference', country = w.country"
            f" FROM {staged} s JOIN unnest(%s::bigint[], %s::text[]) AS w(id, country) ON w.id = s.customer_id"
            f" WHERE {written} AND s.action = 'update' AND s.address IS NOT NULL"
            " AND a.customer_id = s.customer_id AND a.is_default RETURNING a.id",
            [list(countries), list(countries.values()), batch],
        )
        changed_addresses = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            f"INSERT INTO {address} (customer_id, kind, is_default, district_id, street, unit, reference, country,"  # noqa: S608
            " version)"
            " SELECT s.customer_id, %s, true, s.address->>'district_id', s.address->>'street', s.address->>'unit',"
            f" s.address->>'reference', c.country, 1 FROM {staged} s JOIN {customers} c ON c.id = s.customer_id"
            f" WHERE {written} AND s.address IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {address} a WHERE a.customer_id = s.customer_id AND a.is_default)"
            " RETURNING id",
            [Address.Kind.FISCAL, batch],
        )
        new_addresses = [pk for (pk,) in cursor.fetchall()]
        added, contacts, defaulted = _write_children(cursor, batch, staged, customers, part)
        applied.addresses_added, applied.contacts_added = len(added), len(contacts)
        new_addresses += added
        # A customer this import gave its first main address (through Direcciones) has a new
        # version, as when save_address makes one the default.
        written_ids = {*applied.created_ids, *applied.updated_ids}
        applied.updated_ids += [pk for pk in defaulted if pk not in written_ids]
        if once:  # the other apps' writes keep their own checks
            _row_checks(cursor, on=True)
        # Columns of apps above customers (credit's cupo…): each app writes its own, set-based.
        for group in extensions.sheet_columns() if present.extra else ():
            cursor.execute(
                f"SELECT s.customer_id, (s.extra -> %s)::text FROM {staged} s"  # noqa: S608
                f" WHERE {_rows('s', part)} AND s.action IN ('create', 'update') AND s.extra ? %s ORDER BY s.number",
                [group.key, batch, group.key],
            )
            rows = [(pk, json.loads(values)) for pk, values in cursor.fetchall()]
            if rows:
                group.write(rows, actor=actor, reason=f"Importado de {file_name}")

    record_bulk_import(
        created_ids=applied.created_ids,
        updated_ids=applied.updated_ids,
        new_address_ids=new_addresses,
        changed_address_ids=changed_addresses,
        new_contact_ids=contacts,
        actor=actor,
        reason=f"Importado de {file_name}",
    )
    with connection.cursor() as cursor:
        if once:
            _row_checks(cursor, on=False)
        cursor.execute(
            f"INSERT INTO {_table(CustomerNote)} (customer_id, kind, text, author_id, created_at)"  # noqa: S608
            " SELECT s.customer_id, CASE s.action WHEN 'address' THEN %s WHEN 'contact' THEN %s ELSE %s END,"
            f" s.note, %s, %s FROM {staged} s"
            f" WHERE {_rows('s', part)} AND s.action IN ('create', 'update', 'address', 'contact')"
            " ORDER BY s.sheet, s.number",
            [CustomerNote.Kind.ADDRESS, CustomerNote.Kind.CONTACT, CustomerNote.Kind.IMPORTED, user_id, now, batch],
        )
        if once:
            _row_checks(cursor, on=True)
            check_references(cursor, Customer, applied.created_ids + applied.updated_ids)
            check_references(cursor, Address, new_addresses + changed_addresses)
            check_references(cursor, Contact, contacts)
            check_customers(cursor, batch, part, written=applied.created_ids + applied.updated_ids)
        if batched:
            _merge_search_index(cursor)
    return applied


# The trigram index of Customer.search_text is a GIN index with fastupdate: a written row's
# trigrams go to its pending list, and whoever makes that list pass gin_pending_list_limit (4 MB
# by default, about 3,000 customers) merges it into the index, key by key. A part of an import
# (25,000 updated and 25,000 created customers) merged it about 16 times, each time visiting the
# same frequent trigrams' posting lists again: about 4.5 of the part's 12.3 CPU-seconds. With a
# 16 MB list, merged at the end of the part (before it commits, so that nobody after it pays the
# merge), the part costs about 1.5 CPU-s less; 64 MB saves about 2, but a search reads the whole
# list meanwhile (a common word's search went 30 → 90 ms with 65 MB pending), and the list page
# must stay quick while an import runs (bench/README.md).
SEARCH_INDEX = "customer_search_trgm"
BATCHED_SEARCH_ROWS = 2_000  # below it the default list is seldom filled: nothing to batch
_PENDING_LIST = "16MB"


def _batch_search_index(cursor, rows: int) -> bool:
    """For a write of ``rows`` customers: let the trigram index's pending list grow until
    _merge_search_index (this transaction only). False when the rows are too few, or when this
    database user does not own the index (gin_clean_pending_list needs it): the default then."""
    if rows < BATCHED_SEARCH_ROWS:
        return False
    cursor.execute("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = %s::regclass", [SEARCH_INDEX])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"SET LOCAL gin_pending_list_limit = '{_PENDING_LIST}'")
    return True


def _merge_search_index(cursor) -> None:
    cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX])
    cursor.execute("SET LOCAL gin_pending_list_limit TO DEFAULT")


# The foreign keys of the rows an import writes, checked once per import part instead of once
# per row. PostgreSQL checks a foreign key row by row (a query per inserted phone, address, note
# and customer, each locking the referenced row): a part of the bench's import (25,000 updates
# and 25,000 creates) ran 250,000 such checks at PREPARE, 1.2 of its 9.5 CPU-seconds. A large
# part writes with those checks off for its own statements (session_replication_role = replica,
# this transaction only: the constraints stay, and every other writer is checked as before) and
# then checks the same guarantee set-based, in the same transaction, before it can commit:
# every customer its rows point at exists and can't go away until it commits (written by this
# transaction, so locked by it, or locked FOR KEY SHARE here, as the row-by-row check does), and
# every other referenced row (departamento, tipo de documento, distrito, categoría, clase, user)
# exists and is locked FOR KEY SHARE — once per distinct value. A missing one fails the import
# as the database's own check would (IntegrityError: nothing is written). No referencing side
# is skipped either: of the tables these statements write, only the customers (whose key an
# import never changes) and the notes (customermerge's; an import only inserts them) are
# referenced by a constraint (a test holds it).
CHECKED_ONCE_ROWS = 2_000  # below it the row-by-row checks cost little


def _check_once_allowed(cursor, rows: int) -> bool:
    """Whether this part's foreign keys are checked once (check_references) rather than row by
    row: a part of at least CHECKED_ONCE_ROWS rows, when this database user may set
    session_replication_role (a superuser, or GRANT SET ON PARAMETER); else the default."""
    if rows < CHECKED_ONCE_ROWS:
        return False
    if connection.pg_version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    else:  # no GRANT SET ON PARAMETER before PostgreSQL 15: a superuser only
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


def _row_checks(cursor, *, on: bool) -> None:
    """Foreign keys checked row by row (``on``, PostgreSQL's default) or not, for the following
    statements of this transaction: the caller then checks their rows with check_references and
    check_customers before the transaction ends (or it fails and nothing stays)."""
    role = "origin" if on else "replica"
    cursor.execute(f"SET LOCAL session_replication_role = {role}")


def check_references(cursor, model, ids: list) -> None:
    """What the row-by-row checks of the foreign keys of ``model``'s rows ``ids`` would have
    done, set-based and in one read of the rows: each distinct value of each constrained foreign
    key is a row of its table, locked FOR KEY SHARE. Not the keys to customers: check_customers
    does those, for every row of the part at once."""
    keys = [
        f
        for f in model._meta.concrete_fields
        if f.many_to_one and f.db_constraint and f.target_field.model is not Customer
    ]
    if not ids or not keys:
        return
    ctes, counts = [], []
    for number, f in enumerate(keys):
        column, key, target = _q(f.column), _q(f.target_field.column), _table(f.target_field.model)
        ctes += [
            f"v{number} AS MATERIALIZED (SELECT DISTINCT t.{column} AS v FROM t WHERE t.{column} IS NOT NULL)",  # noqa: S608
            f"k{number} AS (SELECT r.{key} FROM {target} r WHERE r.{key} IN (SELECT v FROM v{number})"  # noqa: S608
            " FOR KEY SHARE OF r)",
        ]
        counts.append(f"(SELECT count(*) FROM v{number}) - (SELECT count(*) FROM k{number})")  # noqa: S608
    columns = ", ".join(_q(f.column) for f in keys)
    cursor.execute(
        f"WITH t AS MATERIALIZED (SELECT {columns} FROM {_table(model)} WHERE id = ANY(%s)), "  # noqa: S608
        f"{', '.join(ctes)} SELECT {', '.join(counts)}",
        [list(ids)],
    )
    for f, missing in zip(keys, cursor.fetchone(), strict=True):
        if missing:
            raise IntegrityError(f"{model._meta.db_table}.{f.column}: {missing} values point at no row of its table")


def check_customers(cursor, batch: str, part: Part | None, *, written: list) -> None:
    """Every customer the batch's (part's) written rows point at exists, and stays until the
    transaction ends: those it wrote (``written``) are locked by it already, the others (a
    registered customer's new address or contact) are locked FOR KEY SHARE here, as the
    row-by-row check locks each referenced row. Phones, e-mails, addresses, contacts and notes
    take their customer from these same staged rows (apply)."""
    # NOT IN over a subquery: a hashed set, not a scan of the array per row.
    cursor.execute(
        f"WITH wanted AS MATERIALIZED (SELECT DISTINCT s.customer_id AS id FROM {_table(ImportStagedRow)} s"  # noqa: S608
        f" WHERE {_rows('s', part)} AND s.action IN ('create', 'update', 'address', 'contact')"
        " AND s.customer_id IS NOT NULL AND s.customer_id NOT IN (SELECT unnest(%s::bigint[]))),"
        f" k AS (SELECT c.id FROM {_table(Customer)} c WHERE c.id IN (SELECT id FROM wanted) FOR KEY SHARE OF c)"
        " SELECT (SELECT count(*) FROM wanted) - (SELECT count(*) FROM k)",
        [batch, list(written)],
    )
    (missing,) = cursor.fetchone()
    if missing:
        raise IntegrityError(f"{missing} customers the import's rows point at are not registered")


def _write_children(cursor, batch: str, staged: str, customers: str, part: Part | None) -> tuple[list, list, list]:
    """The Direcciones and Contactos rows: each to its customer (a row of the Clientes sheet
    that was written, or a registered one). Returns the new address ids, the new contact ids
    and the customers whose first address became their main one."""
    # Rows of a customer row that was not written (an error at the write) are errors too.
    cursor.execute(
        f"UPDATE {staged} s SET action = 'error', errors = jsonb_build_array(jsonb_build_array("  # noqa: S608
        "'Número de documento', 'Su cliente (fila ' || p.number || ' de Clientes) no se importó.'))"
        f" FROM {staged} p WHERE {_rows('s', part)} AND s.action IN ('address', 'contact') AND p.batch = s.batch"
        " AND p.sheet = '' AND p.number = s.parent AND p.action = 'error'",
        [batch],
    )
    cursor.execute(
        f"UPDATE {staged} s SET customer_id = p.customer_id FROM {staged} p"  # noqa: S608
        f" WHERE {_rows('s', part)} AND s.action IN ('address', 'contact') AND p.batch = s.batch AND p.sheet = ''"
        " AND p.number = s.parent AND p.action IN ('create', 'update')",
        [batch],
    )
    address, contact = _table(Address), _table(Contact)
    cursor.execute(
        f"INSERT INTO {address} (customer_id, kind, is_default, district_id, street, unit, reference, country,"  # noqa: S608
        " version)"
        " SELECT s.customer_id, s.fields->>'kind', false, s.fields->>'district_id', s.fields->>'street',"
        f" s.fields->>'unit', s.fields->>'reference', c.country, 1 FROM {staged} s"
        f" JOIN {customers} c ON c.id = s.customer_id WHERE {_rows('s', part)} AND s.action = 'address'"
        " ORDER BY s.number RETURNING id",
        [batch],
    )
    added = [pk for (pk,) in cursor.fetchall()]
    defaulted = []
    if added:
        # The first address of a customer without a main one becomes it (save_address's rule),
        # and the customer's departamento follows it.
        cursor.execute(
            f"UPDATE {address} a SET is_default = true FROM (SELECT min(a2.id) AS id FROM {address} a2"  # noqa: S608
            " WHERE a2.customer_id IN (SELECT customer_id FROM"
            f" {staged} s WHERE {_rows('s', part)} AND s.action = 'address') GROUP BY a2.customer_id"
            " HAVING NOT bool_or(a2.is_default)) f WHERE a.id = f.id RETURNING a.customer_id",
            [batch],
        )
        defaulted = [pk for (pk,) in cursor.fetchall()]
        if defaulted:
            cursor.execute(
                f"UPDATE {customers} c SET department_id = left(a.district_id, 2), version = c.version + 1"  # noqa: S608
                f" FROM {address} a WHERE a.customer_id = c.id AND a.is_default AND c.id = ANY(%s)",
                [defaulted],
            )
    cursor.execute(
        f"INSERT INTO {contact} (customer_id, name, role, phones, emails, note, version)"  # noqa: S608
        " SELECT s.customer_id, s.fields->>'name', s.fields->>'role',"
        " ARRAY(SELECT jsonb_array_elements_text(s.fields->'phones')),"
        " ARRAY(SELECT jsonb_array_elements_text(s.fields->'emails')), s.fields->>'note', 1"
        f" FROM {staged} s WHERE {_rows('s', part)} AND s.action = 'contact' ORDER BY s.number RETURNING id",
        [batch],
    )
    contacts = [pk for (pk,) in cursor.fetchall()]
    return added, contacts, defaulted


def error_rows(batch: str, *, part: Part | None = None) -> list[tuple[str, int, list, list | None]]:
    """(sheet, row number, [[column, message], …], cells or None) of the batch's error rows
    (of ``part``), by sheet ("" = Clientes first) and row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sheet, number, errors::text, raw::text FROM {_table(ImportStagedRow)} s"  # noqa: S608
            f" WHERE {_rows('s', part)} AND s.action = 'error' ORDER BY s.sheet, s.number",
            [batch],
        )
        return [
            (sheet, number, json.loads(errors or "[]"), json.loads(raw) if raw else None)
            for sheet, number, errors, raw in cursor.fetchall()
        ]
