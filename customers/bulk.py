"""Bulk writes of customers through PostgreSQL COPY: seeds, demos, benchmarks.

Each row becomes a customer, its default fiscal address, and its phone and e-mail rows
(CustomerPhone, CustomerEmail; Customer.phone and Customer.email keep the first of each, and
Customer.search_text and Customer.department are filled, as customers.services does). COPY
of pre-formatted text is the fastest way into PostgreSQL from Python: about 240 times faster
than django-import-export row by row, and faster than psycopg's write_row (bench/README.md
has the figures). It bypasses model methods, services, signals and
django-simple-history, so callers hand in rows that already satisfy the business rules
(customers.sample_data builds them); the database still checks types, NOT NULL, constraints
and foreign keys.
"""

import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Address, Customer, CustomerEmail, CustomerPhone
from peru.streams import read_ahead
from peru.text import search_text

# Keys of a row dict (see customers.sample_data) written as customer columns, in COPY order.
CUSTOMER_FIELDS = (
    "kind",
    "is_foreign",
    "document_type",
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
    "is_active",
    # Computed here, as customers.services._set_list_copies does (so is department_id, below).
    "search_text",
    "has_whatsapp",
)
# Keys of row["address"]; a row without "address" (or with None) gets no address.
ADDRESS_FIELDS = ("district", "country", "street", "unit", "reference")
# Keys whose empty value means "none" (NULL), not an empty string.
_NULLABLE_KEYS = frozenset({"district"})
# Characters COPY's text format needs escaped (tabs are caught by counting separators).
_SPECIAL = re.compile(r"[\\\n\r]")


# Indexes rebuilt after a large load instead of kept up to date row by row (rebuild_indexes):
# the search's trigram index alone adds about 40 s to a 1M-row COPY and builds in 10-14 s (in parallel
# on PostgreSQL 18); a name-ordered btree fed in random order also costs more than its 1.5 s build.
REBUILT_INDEXES = (
    "customer_search_trgm",
    "customer_sort_idx",
    "customer_kind_sort_idx",
    "customer_document_sort_idx",
    "customer_department_flags_idx",
    "customer_department_sort_idx",
    "customer_attributes_gin",
)
# Also rebuilt after a large load, from PostgreSQL's own definition: the other btrees that COPY
# feeds in random order (documents, e-mails, phone numbers), each costing a few µs per row kept
# up to date and well under a second per 100,000 rows built. The two unique ones still refuse a
# duplicate when built, and then the whole load fails. Django's indexes of Address.district
# (the foreign key's and its LIKE twin) join them (REBUILT_COLUMN_INDEXES).
REBUILT_TABLE_INDEXES = (
    "unique_document_outside_trash",
    "customer_document_asc_idx",
    "customer_match_key_idx",
    "unique_email_outside_trash",
    "customer_email_domain_idx",
    "customer_phone_number_idx",
)
REBUILT_COLUMN_INDEXES = ((Address, "district"),)


def bulk_insert_customers(
    rows: Iterable[dict],
    *,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
    rebuild_indexes: bool = False,
    report: Callable[[str, float], None] | None = None,
) -> int:
    """Write every row as a customer with its fiscal address, phone and e-mail, in one transaction.

    Returns how many customers were written; ``progress`` gets the running total after each
    batch. A row the database refuses (unknown district, duplicate document…) raises
    IntegrityError here, and nothing is written.

    A helper thread consumes ``rows``, takes ids and formats batch k+1 while PostgreSQL writes
    batch k, so Python and the server each keep a core busy and a lazy generator costs no extra
    time; don't pass rows that query the database. Ids come from the customers' own sequence:
    rows written here and by the ORM at the same time never collide.

    ``rebuild_indexes`` drops REBUILT_INDEXES and the foreign keys of the four tables first,
    and builds the indexes and adds the foreign keys again at the end, in the same transaction:
    much faster for a load as large as the table, but the customers table is locked (no reads)
    until the load ends. For seeds and benchmarks, not for a busy office. Adding a foreign key
    back checks every row of its table in one join, so a row pointing nowhere still fails the
    whole load and nothing is written. ``report(phase, seconds)`` hears how long each phase after
    the COPY took.
    """
    layout = _Layout()
    total = 0
    # This thread wakes up from every socket wait of COPY needing the GIL for a moment; with
    # the default 5 ms switch interval it often waits that long for the formatting thread.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, 0.0005))
    try:
        # wrap_database_errors: errors from the raw psycopg cursor surface as Django's own
        # (IntegrityError…), like everywhere else in the project.
        with transaction.atomic(), connection.wrap_database_errors:
            pg = connection.connection  # the psycopg 3 connection, inside Django's transaction
            with pg.cursor() as cursor:
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED. Left so, PostgreSQL
                # would queue millions of checks for COMMIT (a third of the time at 1M rows,
                # after the progress says 100%), and inside an outer transaction (tests, a
                # caller's atomic) a bad row would only fail at that caller's commit. Checked
                # row by row they cost the same. Set back to deferred at the end.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                rebuilt = _drop_indexes() if rebuild_indexes else []
                rebuilt_sql = _drop_table_indexes() if rebuild_indexes else []
                foreign_keys = _drop_foreign_keys() if rebuild_indexes else []
                for count, texts in read_ahead(layout.batches(rows, batch), name="bulk-insert-format"):
                    for statement, text in zip(layout.statements, texts, strict=True):
                        if text:
                            with cursor.copy(statement) as copy:
                                copy.write(text)
                    total += count
                    if progress:
                        progress(total)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                if rebuilt or rebuilt_sql:
                    began = time.perf_counter()
                    _build_indexes(rebuilt, rebuilt_sql)
                    if report:
                        report("indexes", time.perf_counter() - began)
                if foreign_keys:
                    began = time.perf_counter()
                    _add_foreign_keys(foreign_keys)
                    if report:
                        report("foreign_keys", time.perf_counter() - began)
    finally:
        sys.setswitchinterval(switch_interval)
    return total


def _drop_indexes() -> list:
    indexes = [index for index in Customer._meta.indexes if index.name in REBUILT_INDEXES]
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.remove_index(Customer, index)
    return indexes


# The foreign keys of the loaded tables, checked row by row during COPY, cost about 13 of the
# 40 µs the server spends per customer (an index probe of the parent table for every address,
# phone and e-mail and for each key of the customer). Dropped before a large load and added back
# after it, each is checked once for the whole table by one join: a fraction of that
# (bench/README.md, seed.py).
def _drop_foreign_keys() -> list[tuple[str, str, str]]:
    tables = [model._meta.db_table for model in (Customer, Address, CustomerPhone, CustomerEmail)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        quote = connection.ops.quote_name
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    return foreign_keys


def _add_foreign_keys(foreign_keys: list[tuple[str, str, str]]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, definition in foreign_keys:
            # ``definition`` is PostgreSQL's own text of the constraint, read just before.
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _drop_table_indexes() -> list[str]:
    """Drop REBUILT_TABLE_INDEXES and REBUILT_COLUMN_INDEXES; their CREATE INDEX statements."""
    columns = [(model._meta.db_table, model._meta.get_field(name).column) for model, name in REBUILT_COLUMN_INDEXES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid) "
            "AND (c.relname = ANY(%s) OR (i.indrelid::regclass::text, a.attname::text) IN "
            "(SELECT * FROM unnest(%s::text[], %s::text[]))) ORDER BY 1",
            [list(REBUILT_TABLE_INDEXES), [t for t, _ in columns], [c for _, c in columns]],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _, definition in found]


def _build_indexes(indexes: list, statements: list[str] = ()) -> None:
    with connection.cursor() as cursor:
        # A GIN build sorts its entries in memory; the server's default (64 MB) is small for
        # a million rows. SET LOCAL: only for this transaction.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in statements:
            cursor.execute(statement)  # PostgreSQL's own definition, read before the load
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.add_index(Customer, index)


class _Layout:
    """COPY statements, and the text of each batch for them."""

    def __init__(self):
        now = _copy_value(timezone.now())
        customer_columns, customer_tail = _columns(
            Customer, [*_attnames(Customer, CUSTOMER_FIELDS), "department_id", "created_at", "updated_at"]
        )
        address_columns, address_tail = _columns(
            Address, ["customer_id", "kind", "is_default", *_attnames(Address, ADDRESS_FIELDS)]
        )
        phone_columns, phone_tail = _columns(CustomerPhone, ["customer_id", "number", "whatsapp", "position"])
        email_columns, email_tail = _columns(CustomerEmail, ["customer_id", "email", "position"])
        # Customers first: the others point at them.
        self.statements = (
            _copy_sql(Customer, [Customer._meta.pk.column, *customer_columns]),
            _copy_sql(Address, address_columns),
            _copy_sql(CustomerPhone, phone_columns),
            _copy_sql(CustomerEmail, email_columns),
        )
        # Text shared by every row, formatted once: timestamps, fixed values, and the defaults
        # of columns the rows don't carry.
        self.customer_suffix = f"\t{now}\t{now}{customer_tail}\n"
        self.address_prefix = f"\t{Address.Kind.FISCAL}\tt\t"
        self.address_suffix = f"{address_tail}\n"
        self.phone_suffixes = (f"\tf\t0{phone_tail}\n", f"\tt\t0{phone_tail}\n")  # whatsapp no/yes, position 0
        self.email_suffix = f"\t0{email_tail}\n"

    def batches(self, rows: Iterable[dict], size: int) -> Iterator[tuple[int, tuple[bytes, bytes, bytes, bytes]]]:
        """Per batch: how many customers, and the COPY text of each table (UTF-8)."""
        customer_tabs, address_tabs = len(CUSTOMER_FIELDS) - 1, len(ADDRESS_FIELDS) - 1
        customer_suffix, address_prefix, address_suffix = self.customer_suffix, self.address_prefix, self.address_suffix
        phone_suffixes, email_suffix = self.phone_suffixes, self.email_suffix
        # This generator runs in the helper thread, with its own database connection just to
        # take ids: sequences are outside transactions, so ids taken there are as reserved as
        # ids taken in the loading transaction.
        ids_connection = connection.copy()
        try:
            with ids_connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, %s)", [Customer._meta.db_table, Customer._meta.pk.column]
                )
                (sequence,) = cursor.fetchone()
                iterator = iter(rows)
                while chunk := list(islice(iterator, size)):
                    # One round trip per batch: nextval never hands an id to two sessions, so
                    # this needs no table lock, and the other rows can point at their customer.
                    cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
                    ids = cursor.fetchall()
                    customers, addresses, phones, emails = [], [], [], []
                    for (pk,), row in zip(ids, chunk, strict=True):
                        email, phone, address = row["email"], row["phone"], row.get("address")
                        searched = search_text(
                            name=row["name"],
                            document_number=row["document_number"],
                            emails=(email,) if email else (),
                            phones=(phone,) if phone else (),
                        )
                        whatsapp = bool(phone and row.get("whatsapp"))
                        district = address["district"] if address else None
                        department = district[:2] if district else "\\N"  # NULL abroad; escaped below if needed
                        values = (
                            f"{row['kind']}\t{'t' if row['is_foreign'] else 'f'}\t{row['document_type']}\t"
                            f"{row['document_number']}\t{row['business_name']}\t{row['first_names']}\t"
                            f"{row['last_names']}\t{row['name']}\t{row['sort_key']}\t{email}\t"
                            f"{phone}\t{row['business_line']}\t{row['country']}\t"
                            f"{'t' if row['is_active'] else 'f'}\t{searched}\t{'t' if whatsapp else 'f'}"
                        )
                        # Only the row's own text can hold characters COPY must escape. Generated
                        # data never does, text from elsewhere (imports) might: escape those rows.
                        # A clean row's e-mail and phone are clean too (they are part of it).
                        if values.count("\t") != customer_tabs or _SPECIAL.search(values):
                            copies = {"search_text": searched, "has_whatsapp": whatsapp}
                            values = _escaped({**row, **copies}, CUSTOMER_FIELDS)
                            email = _copy_value(email) if email else email
                            phone = _copy_value(phone) if phone else phone
                            department = _copy_value(district[:2]) if district else department
                        elif district and not district.isdigit():
                            department = _copy_value(district[:2])
                        customers.append(f"{pk}\t{values}\t{department}{customer_suffix}")
                        if phone:
                            phones.append(f"{pk}\t{phone}{phone_suffixes[whatsapp]}")
                        if email:
                            emails.append(f"{pk}\t{email}{email_suffix}")
                        if address:
                            values = (
                                f"{address['district'] or ''}\t{address['country']}\t{address['street']}\t"
                                f"{address['unit']}\t{address['reference']}"
                            )
                            if values.count("\t") != address_tabs or _SPECIAL.search(values):
                                values = _escaped(address, ADDRESS_FIELDS)
                            elif values[0] == "\t":
                                values = "\\N" + values  # no district (an address abroad)
                            addresses.append(f"{pk}{address_prefix}{values}{address_suffix}")
                    texts = ("".join(lines).encode() for lines in (customers, addresses, phones, emails))
                    yield len(chunk), tuple(texts)
        finally:
            ids_connection.close()


def _attnames(model, names) -> list[str]:
    return [model._meta.get_field(name).attname for name in names]


def _columns(model, given: list[str]) -> tuple[list[str], str]:
    """Column names (``given`` first) and the pre-formatted text of the columns rows don't carry.

    Those columns get the database default when the field has one (db_default), else the model
    default, so fields added to the model later don't break bulk loads."""
    columns = [model._meta.get_field(name).column for name in given]
    tail = ""
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given or field.has_db_default() or field.generated:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        else:
            value = field.get_default()
        columns.append(field.column)
        tail += "\t" + _copy_value(value)
    return columns, tail


def _copy_sql(model, columns: list[str]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def _copy_value(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        value = json.dumps(value)
    elif isinstance(value, list | tuple):  # ArrayField: PostgreSQL array literal
        value = "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value) + "}"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _escaped(row: dict, names: tuple[str, ...]) -> str:
    return "\t".join(_copy_value((row[name] or None) if name in _NULLABLE_KEYS else row[name]) for name in names)


def update_rows(model, objects: list, names: list[str], *, batch: int = 1_000) -> int:
    """UPDATE … FROM (VALUES …): the given fields of each object, one statement per batch.

    Django's bulk_update builds a CASE WHEN per field and row, which costs about 0.1 s per row
    of 40 fields in Python alone; a VALUES list is a few µs per value. Bypasses save() and
    signals, as bulk_update does (the import records history with customers.history)."""
    if not objects:
        return 0
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    columns = ", ".join(quote(f.column) for f in [pk, *fields])
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}::{f.db_type(connection)}" for f in fields)
    table = quote(model._meta.db_table)
    placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch):
            chunk = objects[start : start + batch]
            params = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM (VALUES {values}) AS v ({columns})"  # noqa: S608
                f" WHERE t.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )
            updated += cursor.rowcount
    return updated
