"""Loading SUNAT's padrón reducido del RUC, and keeping customers' estado/condición in step.

A load (PadronLoad, started by padron.services) runs in the worker (padron.tasks) or in
`manage.py load_padron` itself:

1. The file is streamed (padron.reader) into a new table, padron_taxpayer_new, by COPY,
   chunk by chunk, while a second connection writes the progress the page polls.
2. Its indexes are built, then the new table replaces padron_taxpayer in the same
   transaction (rename, rename, drop the old one), with the PadronLoad that says which padrón
   is in use. Lookups never see a half-loaded padrón: until the commit they read the old one.
3. Everything from step 1 is one transaction, so a file found not to be the padrón, a
   truncated file, an error, or the worker killed with kill -9 leaves the previous padrón in
   use and no trace of the new one (PostgreSQL rolls the transaction back when the connection
   dies). The load can then be retried (padron.services.retry_load): a session advisory
   lock, which dies with its connection, tells a running load from an interrupted one.
4. After the swap a task (queued by the caller of run_load) compares customers' saved
   estado/condición with the new padrón (refresh_customers) and updates them, with their
   history and a note.
"""

import contextlib
import logging
import os
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from customers.history import record_bulk_change
from customers.models import Customer, CustomerNote
from padron import queries, reader, schema
from padron.models import PadronLoad
from peru.streams import read_ahead

logger = logging.getLogger(__name__)

# Above this share of refused lines the file is not taken for the padrón (a different file
# whose first line happens to match, or one damaged throughout): the previous one stays.
MAX_REJECTED_SHARE = 0.10
PROGRESS_SECONDS = 1.0
REFRESH_BATCH = 2_000


# --- the load itself ---------------------------------------------------------------------------


def run_load(load_id: int, *, report=None) -> PadronLoad:
    """Load the file of PadronLoad ``load_id`` and swap it in (the worker's task). ``report``
    (the command's) gets the load after each progress write."""
    with _load_lock() as locked:
        load = PadronLoad.objects.get(pk=load_id)
        if load.status == PadronLoad.Status.DONE:
            return load
        if not locked:
            _finish(load, PadronLoad.Status.FAILED, "Otra carga del padrón estaba en curso: reintente cuando termine.")
            return load
        _reset(load)
        try:
            _load(load, report=report)
        except reader.NotAPadron as exc:
            _finish(load, PadronLoad.Status.FAILED, exc.message + " Se sigue usando el padrón anterior.")
        except Exception:
            logger.exception("Carga del padrón %s", load_id)
            _finish(
                load,
                PadronLoad.Status.FAILED,
                "La carga falló por un error inesperado (está en el registro del servidor). "
                "Se sigue usando el padrón anterior; puede reintentarla.",
            )
        else:
            if load.source == PadronLoad.Source.UPLOAD:
                with contextlib.suppress(OSError):
                    default_storage.delete(load.file_name)
        if report:
            report(load)
        return load


@contextlib.contextmanager
def _load_lock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [queries.LOAD_LOCK])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [queries.LOAD_LOCK])


def _reset(load: PadronLoad) -> None:
    now = timezone.now()
    load.status, load.attempts, load.started_at, load.heartbeat_at = (
        PadronLoad.Status.RUNNING,
        load.attempts + 1,
        now,
        now,
    )
    load.finished_at, load.message, load.phase = None, "", "Leyendo el archivo"
    load.bytes_read = load.lines_read = load.rows_loaded = load.rows_rejected = load.duplicates = 0
    load.rejected_by_reason, load.rejected_samples = {}, []
    load.save()


def _finish(load: PadronLoad, status: str, message: str = "") -> None:
    load.status, load.message, load.finished_at, load.phase = status, message, timezone.now(), ""
    load.save()


@contextlib.contextmanager
def _open_source(load: PadronLoad):
    if load.source == PadronLoad.Source.PATH:
        fileobj = open(load.file_name, "rb")  # noqa: SIM115 (closed below)
    else:
        try:
            fileobj = default_storage.open(load.file_name, "rb")
        except FileNotFoundError:
            raise reader.NotAPadron("El archivo de esta carga ya no está: súbalo de nuevo.") from None
    try:
        yield fileobj
    finally:
        fileobj.close()


def _file_date(load: PadronLoad, source: reader.Source) -> date:
    """The padrón's date: given by the command, else the date SUNAT wrote the .txt inside
    the zip, else the file's own modification date."""
    if load.file_date:
        return load.file_date
    if source.member_date:
        return source.member_date
    if load.source == PadronLoad.Source.PATH:
        modified = datetime.fromtimestamp(os.path.getmtime(load.file_name), tz=timezone.get_current_timezone())
        return modified.date()
    with contextlib.suppress(OSError, NotImplementedError):
        return timezone.localtime(default_storage.get_modified_time(load.file_name)).date()
    return timezone.localdate()


def _load(load: PadronLoad, *, report=None) -> None:
    progress = _Progress(load, report)
    try:
        with _open_source(load) as fileobj:
            source = reader.Source(fileobj, name=load.file_name, max_bytes=settings.PADRON_MAX_BYTES).open()
            try:
                layout = reader.parse_header(source.readline())
                load.file_date = _file_date(load, source)
                load.bytes_total = source.total_bytes
                with transaction.atomic():
                    _copy_into_new_table(load, source, layout, progress)
                    _check_share(load)
                    progress.phase("Creando los índices")
                    _build_indexes(load)
                    progress.phase("Reemplazando el padrón anterior")
                    _swap(load)
            finally:
                source.close()
    finally:
        progress.close()


def _copy_into_new_table(load: PadronLoad, source: reader.Source, layout: reader.Layout, progress) -> None:
    rejections = reader.Rejections()
    columns = ", ".join(reader.COLUMN_NAMES)
    # FREEZE: rows written frozen, as VACUUM would leave them (the table is new in this
    # transaction), so the first reads after the swap don't rewrite every page for hint bits.
    statement = (
        f"COPY {schema.NEW_TABLE} ({columns}) FROM STDIN (FORMAT text, DELIMITER '|', ENCODING '{{encoding}}', FREEZE)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {schema.NEW_TABLE}")
        cursor.execute(schema.create_table_sql(schema.NEW_TABLE))
    pg = connection.connection
    lines = 1  # the header
    with connection.wrap_database_errors, pg.cursor() as cursor:
        for chunk in read_ahead(reader.read_chunks(source, layout, rejections), name="padron-read"):
            if chunk.copy_text:
                # The encoding may be known only after the first chunk (reader._detect_utf8).
                with cursor.copy(statement.format(encoding=layout.copy_encoding)) as copy:
                    copy.write(chunk.copy_text)
            lines += chunk.lines
            load.lines_read = lines
            load.bytes_read += chunk.bytes_read
            load.rows_loaded += chunk.good
            load.rows_rejected = rejections.total
            load.rejected_by_reason = dict(rejections.counts)
            load.rejected_samples = rejections.samples
            progress.tick()
    progress.tick(force=True)


def _check_share(load: PadronLoad) -> None:
    if not load.rows_loaded:
        raise reader.NotAPadron(
            f"El archivo no tiene ninguna línea válida del padrón ({load.rows_rejected:,} rechazadas)."
        )
    read = load.rows_loaded + load.rows_rejected
    if load.rows_rejected > read * MAX_REJECTED_SHARE:
        raise reader.NotAPadron(
            f"{load.rows_rejected:,} de {read:,} líneas no son del padrón (más del {MAX_REJECTED_SHARE:.0%}): "
            "el archivo no es el padrón reducido del RUC o está dañado."
        )


def _build_indexes(load: PadronLoad) -> None:
    with connection.cursor() as cursor:
        # An index build sorts in memory up to this (only for this transaction); the default,
        # 64 MB, would spill 15 million keys to disk in many small runs. PostgreSQL's memory,
        # not the worker's.
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for name, template in schema.INDEXES:
            statement = schema.index_sql(schema.NEW_TABLE, f"{name}_new", template)
            if name == "padron_taxpayer_pkey":
                load.duplicates = _primary_key(cursor, statement)
            else:
                cursor.execute(statement)
        cursor.execute(f"ANALYZE {schema.NEW_TABLE}")
    # Every row COPY wrote but the repeated RUCs the primary key dropped (a count(*) would read
    # the whole table again: seconds at 15 million rows).
    load.taxpayer_count = load.rows_loaded - load.duplicates


def _primary_key(cursor, statement: str) -> int:
    """Build the RUC's unique index; a RUC on two lines keeps its last line. Returns how many
    lines were dropped as repeated (the rare, slow path: one more pass over the table)."""
    try:
        with transaction.atomic():
            cursor.execute(statement)
        return 0
    except IntegrityError:
        pass
    cursor.execute(
        f"DELETE FROM {schema.NEW_TABLE} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER "  # noqa: S608
        f"(PARTITION BY ruc ORDER BY ctid DESC) AS n FROM {schema.NEW_TABLE}) t WHERE n > 1)"
    )
    removed = cursor.rowcount
    cursor.execute(statement)
    return removed


def _swap(load: PadronLoad) -> None:
    """The new table takes the old one's place in this transaction; the old one is dropped."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {schema.TABLE} IN ACCESS EXCLUSIVE MODE")
        for name, _ in schema.INDEXES:
            cursor.execute(f"ALTER INDEX IF EXISTS {name} RENAME TO {name}_old")
        cursor.execute(f"ALTER TABLE {schema.TABLE} RENAME TO {schema.OLD_TABLE}")
        cursor.execute(f"ALTER TABLE {schema.NEW_TABLE} RENAME TO {schema.TABLE}")
        for name, _ in schema.INDEXES:
            cursor.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
        cursor.execute(f"DROP TABLE {schema.OLD_TABLE}")
    PadronLoad.objects.filter(is_current=True).exclude(pk=load.pk).update(is_current=False)
    load.is_current = True
    load.rows_loaded = load.taxpayer_count
    _finish(load, PadronLoad.Status.DONE, _summary(load))


def _summary(load: PadronLoad) -> str:
    text = f"Padrón del {load.file_date:%d/%m/%Y} cargado: {load.taxpayer_count:,} RUC."
    if load.rows_rejected:
        text += f" {load.rows_rejected:,} líneas rechazadas."
    if load.duplicates:
        text += f" {load.duplicates:,} líneas repetían un RUC (se usó la última)."
    return text


class _Progress:
    """Writes the load's counters at most once a second, through a connection of its own so
    the page sees them while the load's transaction is still open."""

    FIELDS = (
        "phase",
        "heartbeat_at",
        "bytes_total",
        "bytes_read",
        "lines_read",
        "rows_loaded",
        "rows_rejected",
        "rejected_by_reason",
        "rejected_samples",
        "file_date",
    )

    def __init__(self, load: PadronLoad, report):
        self.load, self.report = load, report
        self.last = 0.0
        self.db = connection.copy() if not connection.in_atomic_block else None

    def phase(self, text: str) -> None:
        self.load.phase = text
        self.tick(force=True)

    def tick(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        self.load.heartbeat_at = timezone.now()
        if self.db is not None:
            import json

            values = [getattr(self.load, f) for f in self.FIELDS]
            values = [json.dumps(v) if isinstance(v, (dict, list)) else v for v in values]
            assignments = ", ".join(f"{f} = %s" for f in self.FIELDS)
            with self.db.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {PadronLoad._meta.db_table} SET {assignments} WHERE id = %s",  # noqa: S608  (our columns)
                    [*values, self.load.pk],
                )
        if self.report:
            self.report(self.load)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


# --- customers' estado and condición ---------------------------------------------------------


def refresh_customers(*, load_id: int, batch: int = REFRESH_BATCH) -> int:
    """Bring the estado/condición saved on customers with a RUC in line with the padrón in
    use: each change is saved with its history record and a note «Padrón SUNAT del dd/mm/aaaa:
    estado BAJA DE OFICIO (antes ACTIVO)». Customers in the Papelera, RUCs the padrón lacks,
    and values looked up online after the padrón's date are left alone. Returns how many changed.

    Set-based, a batch at a time: customers with the same change (before → after) are updated
    by one UPDATE and recorded by one INSERT … SELECT of history and one of notes
    (customers.history.record_bulk_change), since a first load may touch every customer with a
    RUC. The UPDATE repeats the old values in its WHERE: a customer edited meanwhile keeps the
    edit (the next load compares again)."""
    load = PadronLoad.objects.filter(pk=load_id, is_current=True).first()
    if load is None or load.file_date is None:
        return 0  # a newer padrón replaced this one (its own refresh will run)
    reason = f"Padrón SUNAT del {load.file_date:%d/%m/%Y}"
    checked_at = timezone.make_aware(datetime.combine(load.file_date, datetime.min.time()))
    newer_than = checked_at + timedelta(days=1)
    updated = checked = 0
    last_id = 0
    while rows := _differing(after=last_id, limit=batch, newer_than=newer_than):
        last_id = rows[-1][0]
        changes: dict[tuple[str, str, str, str], list[int]] = {}
        for pk, old_status, old_condition, status, condition in rows:
            changes.setdefault((old_status, old_condition, status, condition), []).append(pk)
        with transaction.atomic():
            for (old_status, old_condition, status, condition), ids in changes.items():
                same = Customer.objects.filter(
                    pk__in=ids, registry_status=old_status, registry_condition=old_condition, deleted_at__isnull=True
                )
                ids = list(same.select_for_update().values_list("pk", flat=True))
                Customer.objects.filter(pk__in=ids).update(
                    registry_status=status,
                    registry_condition=condition,
                    registry_checked_at=checked_at,
                    updated_at=timezone.now(),
                )
                text = _change_text(reason, old_status, old_condition, status, condition)
                record_bulk_change(
                    customer_ids=ids, actor=None, reason=reason, note_text=text, kind=CustomerNote.Kind.PADRON
                )
                updated += len(ids)
        checked += len(rows)
    PadronLoad.objects.filter(pk=load.pk).update(
        customers_checked=checked, customers_updated=updated, customers_refreshed_at=timezone.now()
    )
    return updated


def _clean_sql(column: str) -> str:
    return f"left(upper(coalesce(nullif(btrim(p.{column}), '-'), '')), 40)"


def _differing(*, after: int, limit: int, newer_than) -> list[tuple[int, str, str, str, str]]:
    """(customer id, saved estado, saved condición, padrón's estado, padrón's condición) of
    the next customers, in id order, whose saved values differ from the padrón's."""
    status, condition = _clean_sql("status"), _clean_sql("condition")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.id, c.registry_status, c.registry_condition, {status}, {condition}
            FROM {Customer._meta.db_table} c
            JOIN {schema.TABLE} p
              ON p.ruc = CASE WHEN c.document_number ~ '^[0-9]{{11}}$' THEN c.document_number::bigint END
            WHERE c.id > %s AND c.document_type_id = '6' AND c.deleted_at IS NULL
              AND (c.registry_checked_at IS NULL OR c.registry_checked_at < %s)
              AND (c.registry_status <> {status} OR c.registry_condition <> {condition})
            ORDER BY c.id
            LIMIT %s
            """,  # noqa: S608  (table and column names only, no input)
            [after, newer_than, limit],
        )
        return cursor.fetchall()


def _change_text(reason: str, old_status: str, old_condition: str, status: str, condition: str) -> str:
    parts = []
    for label, old, new in (("estado", old_status, status), ("condición", old_condition, condition)):
        if old != new:
            parts.append(f"{label} {new or '—'}" + (f" (antes {old})" if old else ""))
    return f"{reason}: " + ", ".join(parts)
