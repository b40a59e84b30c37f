"""Importing customers from a spreadsheet: upload, preview, confirm (customers.import_views,
the admin and the background tasks call these).

1. ``start_import`` checks the upload (size, kind, zip structure) before parsing anything and
   keeps the file (Django storage) with its SHA-256 in an ImportJob.
2. ``preview_import`` reads every row, cleans it with the customer services' own cleaning
   (customers.services.clean_customer_data: no second copy of any rule), matches existing
   customers (document type + number, else e-mail) and counts rows to create, to update,
   unchanged and with errors (row, column, Spanish message). Nothing is written but the job.
3. ``confirm_import`` (the owner of the job, once) queues ``run_import``, which checks the file
   is the previewed one, cleans the rows again inside one transaction with the matched
   customers locked, reports rows whose customer changed since the preview, and writes:
   all or nothing, or the valid rows plus an .xlsx of the rejected ones. Bulk writes, with
   one history record and one note per customer (customers.history's set-based helpers).

A worker killed mid-import leaves nothing: the write is one transaction, and the job's session
advisory lock vanishes with its connection, so the next look at the job marks it Fallida
(``reap_if_dead``); it can be retried and creates no duplicates. A worker killed after taking
the job's task, before the task took the job's lock, leaves the job waiting and its task row
RUNNING in the name of a worker that holds no lock any more (peru.lost_tasks): the same look
marks it Fallida. A large import writes in several connections that commit together
(customers.import_parallel, two-phase commit); the parts a killed worker left prepared are
committed or rolled back by the same look at the job, as its recorded decision says.
"""

import collections
import contextlib
import functools
import gc
import hashlib
import multiprocessing
import multiprocessing.util
import os
import signal
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from itertools import chain, islice
from types import SimpleNamespace

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import BooleanField, CharField, Exists, Func, OuterRef, Q, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from attributes.models import AttributeDefinition
from attributes.services import lock_attribute_rules
from attributes.values import parse_value
from customers import extensions, import_parallel, import_sheets, import_staging, spreadsheets
from customers import import_columns as cols
from customers.access import require_permission
from customers.history import describe_changes, describe_main_address, tracked_fields
from customers.import_template import build_template
from customers.models import (
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    ImportJob,
    ImportMapping,
    ImportStagedRow,
)
from customers.reference import DNI
from customers.services import clean_customer_data, get_customer_settings, set_list_copies
from customers.services.cleaning import TEXT_LIMITS, clean_text
from customers.xlsx_stream import column_letter, column_width
from peru import lost_tasks
from peru.text import CONTROL_MESSAGE, clean_spaces, has_control_characters, spanish_list, strip_control_characters

# How many errors a job keeps to show (the error report holds every one).
SHOWN_ERRORS = 500
SAMPLE_ROWS = 30  # rows read to guess what an unknown column holds
CHUNK = 2_000
PROGRESS_EVERY = 1_000
_LOCK_CLASS = 0x1D0C  # advisory lock namespace of import jobs: (class, job id)


class ImportRefused(ValidationError):
    pass


class ColumnsNotRecognized(ImportRefused):
    """A file with rows (under titles, or without titles) none of whose columns was recognized:
    the page's import asks what each one is (``columns``, with their sample values; ``warnings``
    to show meanwhile: a file without titles says so) instead of refusing it (preview_import);
    an import that cannot ask (the admin's) refuses it."""

    def __init__(self, message: str, *, columns: list, warnings: list):
        super().__init__(message)
        self.columns, self.warnings = columns, warnings


# The columns a row needs one of to name a customer: without any, nothing in the file is one.
_NAMING_KEYS = frozenset({"document_number", "emails", "business_name", "first_names", "last_names", cols.FULL_NAME})


@dataclass(slots=True)  # a preview holds one per row of the file
class RowResult:
    number: int
    raw: list | None  # the row's cells as read (once streamed: only an error row's)
    action: str = "error"  # create, update, unchanged, error
    errors: list = field(default_factory=list)  # [(column label, message)]
    cleaned: dict | None = None
    customer: Customer | None = None
    customer_id: int | None = None  # the matched customer's, kept when the row is streamed
    note_lines: list = field(default_factory=list)
    address_changed: bool = False
    phones_changed: bool = False
    emails_changed: bool = False
    key: tuple | None = None  # (document type, number) the row names, for the other sheets
    extra: dict = field(default_factory=dict)  # {group: values} of columns apps above customers add


@dataclass
class Analysis:
    headers: list
    rows: list
    warnings: list
    rules_version: tuple = ()
    columns: list = field(default_factory=list)  # [{"header", "key", "how"}] for the mapping step
    # The Direcciones and Contactos sheets: {sheet: (headers, [import_sheets.ChildResult])}.
    children: dict = field(default_factory=dict)
    # The mapping step's values for every row, as the rows were read with them.
    constants: dict = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_rows(self) -> list:
        """The Clientes sheet's rows with errors."""
        return [r for r in self.rows if r.action == "error"]

    @property
    def error_count(self) -> int:
        """Rows with errors in every sheet."""
        children = sum(1 for _, rows in self.children.values() for r in rows if r.action == "error")
        return len(self.error_rows) + children

    def sheet_counts(self) -> dict:
        counts = {}
        for sheet, (headers, rows) in self.children.items():
            counts[sheet] = {"headers": headers, "add": 0, "unchanged": 0, "errors": 0}
            for row in rows:
                counts[sheet]["errors" if row.action == "error" else row.action] += 1
        return counts


# --- 1. upload ---------------------------------------------------------------------------------


def start_import(*, actor, upload) -> ImportJob:
    """The uploaded file (a Django UploadedFile) checked and kept; FileRefused-style errors raise
    ValidationError with the Spanish reason and keep nothing."""
    require_permission(actor, "customers.import_customer")
    # The name is shown on pages, in notes and in the rejected rows' download header: no line
    # breaks nor other control characters (a header with one would not be sent).
    name = clean_spaces(strip_control_characters(os.path.basename(str(upload.name or ""))))[:200] or "archivo"
    try:
        spreadsheets.check_upload(name, upload.size or 0)
    except spreadsheets.FileRefused as exc:
        raise ImportRefused(str(exc)) from None
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(name)[1][:10]) as temp:
        for chunk in upload.chunks():
            digest.update(chunk)
            temp.write(chunk)
        temp.flush()
        try:
            spreadsheets.detect_kind(temp.name, name)
        except spreadsheets.FileRefused as exc:
            raise ImportRefused(str(exc)) from None
        temp.seek(0)
        job = ImportJob(
            file_name=name,
            file_size=upload.size,
            file_sha256=digest.hexdigest(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        job.file.save(_storage_name(job.file.storage, name), ContentFile(temp.read()), save=False)
    job.save()
    return job


def _storage_name(storage, name: str) -> str:
    """The name the file is stored under: the uploaded one as storage cleans it (letters,
    digits, «-», «_», «.»), or «archivo» when nothing is left of it (a name of emoji or symbols
    without extension: storage refuses it). The pages and notes keep ImportJob.file_name."""
    try:
        return storage.get_valid_name(name)
    except SuspiciousFileOperation:
        return "archivo"


# --- 2. preview --------------------------------------------------------------------------------


def preview_import(job_id: int) -> ImportJob:
    """Read and check every row of the job's file; count what the import would do."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    # The lock first: a job shown as running whose lock is free is a dead one (reap_if_dead).
    with _job_lock(job.pk):
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.CHECKING
        )
        if not claimed:
            return job
        job.status = ImportJob.Status.CHECKING
        # Before any customer is read: the confirmed import leaves alone (and reports) a customer
        # changed after this, even while the preview was reading.
        started = timezone.now()
        batch, actor = _batch(job), job.created_by
        # Progress goes through a second connection while the rows are staged in one transaction.
        separate = not connection.in_atomic_block
        try:
            with _local_copy(job) as path, _sheets_loading(path, job.file_name) as sheets:
                # Under the job's lock, while the sheets load (in a thread).
                import_staging.discard_stale()
                with transaction.atomic():
                    # The rows as checked, for the confirmed import to write without cleaning
                    # them again while what the checks depended on stays the same
                    # (checked_rules): staged chunk by chunk as they are checked (COPY), so the
                    # preview holds none of them; one transaction, so a preview cut short stages
                    # nothing.
                    import_staging.discard(batch)
                    analysis = analyze(
                        path,
                        job.file_name,
                        actor=actor,
                        job=job,
                        lock=False,
                        mapping=job.mapping,
                        separate_progress=separate,
                        batch=batch,
                        sheets=sheets,
                    )
                    import_staging.stage(batch, _staged_child_rows(analysis), replace=False)
                    analysis.warnings += _namesakes_warning(batch)
                    _ready(job, analysis, started)
                    import_staging.refresh_statistics()
                    job.save()
        except ColumnsNotRecognized as exc:
            _columns_to_choose(job, exc.columns, exc.warnings)
            return job
        except (spreadsheets.FileRefused, ImportRefused) as exc:
            _finish(job, status=ImportJob.Status.REFUSED, message=_message(exc))
            return job
    return job


def _columns_to_choose(job: ImportJob, columns: list, warnings: list) -> None:
    """The job waits for its owner to say what each column is: its columns kept (with sample
    values), no row counted, nothing staged (the preview's transaction was rolled back)."""
    job.columns = columns
    job.mapping = {}
    job.warnings, job.errors = warnings, []
    job.to_create = job.to_update = job.unchanged = job.error_rows = 0
    job.rows_total = job.rows_done = 0
    job.sheets = {}
    job.error_report = ""
    job.status, job.message = ImportJob.Status.MAPPING, COLUMNS_NOT_RECOGNIZED  # not finished: waiting
    job.save()


COLUMNS_NOT_RECOGNIZED = "No se reconoció ninguna columna de clientes, ni por su título ni por sus datos."
# A file with titles only, or the template's example rows left as they came: the preview page
# (customers/_import_job.html, through import_views) and the admin (resources) both say it.
NOTHING_TO_IMPORT = "El archivo no tiene clientes que importar: escriba una fila por cliente debajo de los títulos."


def _ready(job: ImportJob, analysis: Analysis, started) -> None:
    """The preview's answer on the job (saved by the caller)."""
    job.to_create, job.to_update = analysis.count("create"), analysis.count("update")
    job.unchanged, job.error_rows = analysis.count("unchanged"), analysis.error_count
    job.sheets = analysis.sheet_counts()
    job.rows_total = job.rows_done = len(analysis.rows)
    job.errors = _shown_errors(analysis)
    job.warnings = analysis.warnings
    job.columns = analysis.columns
    # The confirmed import reads the columns exactly as this preview did, whatever mapping
    # is remembered for these headers by then (its values for every row too, even none).
    names = cols.column_ids([c["header"] for c in analysis.columns])
    job.mapping = {name: c["key"] for name, c in zip(names, analysis.columns, strict=True) if c["header"]}
    job.mapping[cols.CONSTANTS_KEY] = analysis.constants
    job.previewed_at = started
    job.checked_rules = {**_rules_now(analysis.rules_version), "staged": True}
    job.status = ImportJob.Status.READY
    if analysis.error_count:
        _save_report(job, _analysis_report(analysis))


# The names (match keys) of %s that customers outside the Papelera have: customer_match_key_idx.
NAMES_TAKEN_SQL = (
    f"SELECT DISTINCT match_key FROM {Customer._meta.db_table}"  # noqa: S608
    " WHERE match_key = ANY(%s) AND deleted_at IS NULL AND match_key <> ''"
)
# Row numbers a warning lists before "y N más".
WARNING_ROWS_SHOWN = 20


def _namesakes_warning(batch: str) -> list[str]:
    """A warning for the staged rows to create that have neither document nor e-mail (nothing to
    match them by: README's matching) and the name of a customer already registered outside the
    Papelera — uploading a list again would create those customers a second time. "The same
    name" is Customer.match_key's (accents, case, punctuation and a legal suffix folded), looked
    up through its index (customer_match_key_idx) for those rows only: few in practice."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT number, customer_match_key(fields ->> 'sort_key') FROM {ImportStagedRow._meta.db_table}
            WHERE batch = %s AND sheet = '' AND action = 'create'
              AND coalesce(fields ->> 'document_number', '') = '' AND coalesce(fields ->> 'email', '') = ''
              AND coalesce(jsonb_array_length(emails), 0) = 0
            """,  # noqa: S608
            [batch],
        )
        unmatched = cursor.fetchall()
        if not unmatched:
            return []
        # Apart, so that the plan is an index scan for these keys whatever the planner guesses
        # of the staged rows (a join could choose to read the whole customers table).
        cursor.execute(NAMES_TAKEN_SQL, [list({key for _, key in unmatched if key})])
        taken = {key for (key,) in cursor.fetchall()}
    numbers = sorted(number for number, key in unmatched if key in taken)
    if not numbers:
        return []
    shown = ", ".join(str(n) for n in numbers[:WARNING_ROWS_SHOWN])
    more = len(numbers) - WARNING_ROWS_SHOWN
    if more > 0:
        shown += f" y {more:,} más"
    if len(numbers) == 1:
        return [
            f"1 fila sin documento ni correo tiene el mismo nombre que un cliente existente: se creará como "
            f"cliente nuevo (fila {shown}). Si es el mismo cliente, agregue su documento o correo en el archivo "
            "para que se actualice."
        ]
    return [
        f"{len(numbers):,} filas sin documento ni correo tienen el mismo nombre que un cliente existente: se "
        f"crearán como clientes nuevos (filas {shown}). Si son los mismos clientes, agregue su documento o "
        "correo en el archivo para que se actualicen."
    ]


def _batch(job: ImportJob) -> str:
    return f"job-{job.pk}"


def _rules_now(version: tuple | None = None) -> dict:
    """What a preview's checks depended on besides the file and the matched customers: the
    attribute definitions (their version, as lock_attribute_rules compares it) and the
    required-field settings. ``version``: the one the rows were cleaned with (read now
    without it, under FOR SHARE as lock_attribute_rules does, inside the import's transaction)."""
    if not version:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, updated_at FROM {AttributeDefinition._meta.db_table} ORDER BY id FOR SHARE"  # noqa: S608
            )
            version = tuple(sorted(cursor.fetchall()))
    settings = get_customer_settings()
    return {
        "attributes": [[pk, updated.isoformat()] for pk, updated in version],
        "settings": [settings.require_email, settings.require_phone, settings.require_address],
    }


def analyze(
    path: str,
    name: str,
    *,
    actor,
    job: ImportJob | None = None,
    lock: bool,
    mapping: dict | None = None,
    separate_progress: bool = False,
    batch: str | None = None,
    sheets: "_sheets_loading | None" = None,
) -> Analysis:
    """Every row of the file cleaned and matched (see the module's docstring).

    ``batch``: stage the Clientes sheet's rows there (import_staging), chunk by chunk as they
    are checked, in order and with the file's repeats marked; the rows then keep only what
    the counts, the error report and the other sheets need, so memory stays flat however
    long the file (the preview streams its rows this way; a large file is checked by worker
    processes, see _parallel_workers).

    ``sheets``: the file's sheets already loading (_sheets_loading), else read here."""
    with _collections_paused():
        return _analyze(
            path,
            name,
            actor=actor,
            job=job,
            lock=lock,
            mapping=mapping,
            separate_progress=separate_progress,
            batch=batch,
            sheets=sheets,
        )


class _sheets_loading:
    """The file's sheets read in a thread while the job's process does what does not need them
    (the stale staged rows' DELETE, the lookups): python-calamine loads a whole sheet at once,
    about a second for 100,000 rows, in Rust without holding the GIL, and has no streaming read,
    so no worker can start before it ends — what can overlap it is what comes before. tables()
    waits for them (and raises what reading them raised: FileRefused…); leaving the block waits
    for the thread, so no thread outlives it (nor is alive when the workers are forked)."""

    def __init__(self, path: str, name: str):
        self.path, self.name = path, name
        self.loaded, self.error = None, None
        self.thread = threading.Thread(target=self._load, name="import-sheets", daemon=True)

    def _load(self) -> None:
        try:
            self.loaded = spreadsheets.open_tables(self.path, spreadsheets.detect_kind(self.path, self.name))
        except BaseException as exc:  # noqa: BLE001 - raised again by tables(), in the caller's thread
            self.error = exc

    def __enter__(self) -> "_sheets_loading":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join()

    def tables(self) -> list:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.loaded


class _collections_paused:
    """Python's cyclic garbage collector off while rows are analysed: the rows make few
    reference cycles (reference counting frees them), but each collection walks every live
    object, and with a chunk of rows alive a 100,000-row preview spent over a quarter of its
    time there. One collection at the end."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()
            gc.collect(1)


def _analyze(path, name, *, actor, job, lock, mapping, separate_progress, batch, sheets) -> Analysis:
    lookups = cols.Lookups.load()  # first: while the sheets load, when they load in a thread
    if sheets is not None:
        tables = sheets.tables()
    else:
        tables = spreadsheets.open_tables(path, spreadsheets.detect_kind(path, name))
    table = _customers_table(tables)
    if not any(table.headers):
        raise ImportRefused("El archivo no tiene una fila de títulos (Tipo de cliente, Número de documento…).")
    definitions_by_key = {d.key: d for d in lookups.definitions}
    sample = list(islice(table.rows, SAMPLE_ROWS))
    warnings, profiles = [], None
    if cols.first_row_is_data(table.first, [cells for _, cells in sample], lookups):
        # No title row: the first row is the first customer (row 1 as the sheet numbers it),
        # the columns are named by their letters and read by their values.
        sample.insert(0, (table.first_number, table.first))
        rows = [cells for _, cells in sample]
        width = max(len(cells) for cells in rows)
        table.headers = [table.column_name(index) for index in range(width)]
        table.control_headers = []
        profiles = cols.column_profiles(rows, width, lookups)
        warnings.append(untitled_warning(table.first_number))
    table.rows = chain(sample, table.rows)
    remembered = _remembered(mapping_key(table.headers, profiles))
    columns = cols.map_columns(
        table.headers,
        [cells for _, cells in sample],
        lookups,
        chosen=mapping or {},
        remembered=remembered,
    )
    if profiles is not None:
        for column, profile in zip(columns, profiles, strict=True):
            column["profile"] = profile
    keys, seen_keys, ignored = [], set(), []
    for column in columns:
        header, key = column["header"], column["key"]
        # Not for a file without titles: its column that no value told is not «no es un dato de
        # clientes» (nothing said what it is), and its warning asks to look at each column.
        untold = not key and header and not column["how"] and profiles is None
        if untold and cols.header_key(header) not in import_sheets.REPORT_KEYS:
            ignored.append(header)
            warnings.append(_ignored_warning(header))
        if key and key in seen_keys:
            warnings.append(f"La columna «{header[:60]}» está repetida: se usa la primera.")
            key = ""
        if column["how"] == "sugerido" and key:
            label = cols.column_label(key, definitions_by_key)
            warnings.append(f"La columna «{header[:60]}» se leyó como «{label}» (por su nombre o sus datos).")
        seen_keys.add(key)
        keys.append(key)
    if len(ignored) > IGNORED_SHOWN:  # one warning for them all, where the first one was
        first = warnings.index(_ignored_warning(ignored[0]))
        one_each = set(map(_ignored_warning, ignored))
        warnings[first:] = [_ignored_together(ignored), *(w for w in warnings[first:] if w not in one_each)]
    warnings += cols.control_headers_warning(table)
    if profiles is None:  # (a file without titles names every column by its letter)
        untitled = set()
        for _, cells in sample:
            cols.untitled_cells(table.headers, cells, untitled)
        warnings += cols.untitled_columns_warning(table, untitled)
    constants = _constants_used(mapping, remembered, lookups, actor, warnings)
    if not _NAMING_KEYS & seen_keys:
        message = (
            "No se reconoció ninguna columna de clientes (Número de documento, Razón social, Nombres…). "
            "Ponga en la primera fila los títulos de la plantilla y súbalo de nuevo."
        )
        if not sample:  # titles only: nothing to map, nor to import
            raise ImportRefused(message)
        if profiles is not None:
            message = (
                "El archivo no tiene fila de títulos y no se reconoció ninguna columna de clientes por sus datos "
                "(número de documento, correo…). Ponga en la primera fila los títulos de la plantilla y súbalo de "
                "nuevo."
            )
        raise ColumnsNotRecognized(
            message + " En Clientes › Importar también puede decir qué dato es cada columna.",
            columns=columns,
            warnings=warnings[:1] if profiles is not None else [],
        )
    # The template's example rows left in the file: skipped, with one warning for every sheet.
    skipped = cols.SkippedExamples()
    table.rows = cols.TemplateExamples(keys, cols.customer_examples(), skipped, kept=True).rows(table.rows)
    # Columns apps above customers add (credit's cupo…): read only when the file has them.
    lookups.groups = [
        (group, group.load(), actor is None or actor.has_perm(group.permission))
        for group in extensions.sheet_columns()
        if any(key.startswith(group.key + ".") for key in (*seen_keys, *constants))
    ]
    archived = [d for d in lookups.definitions if d.archived and f"attr:{d.key}" in seen_keys]
    for definition in archived:
        warnings.append(f"El atributo «{definition.name}» está archivado: su columna se ignora.")
        keys = ["" if k == f"attr:{definition.key}" else k for k in keys]

    settings = get_customer_settings()
    can_create = actor is None or actor.has_perm("customers.add_customer")
    can_change = actor is None or actor.has_perm("customers.change_customer")
    since = job.previewed_at if (job is not None and lock) else None
    results: list[RowResult] = []
    parsed: list[tuple[RowResult, dict]] = []
    progress = _progress(job, separate=separate_progress)
    repeats = _Repeats()
    # The other sheets name their customers by the rows of this one: what they read is kept.
    for_children = any(import_sheets.sheet_of(other.name) for other in tables if other is not table)
    version = ()
    reader = _RowReader(keys, lookups, definitions_by_key, table.headers, constants=cols.RowConstants(constants))
    if cols.FULL_NAME in keys:
        header = table.headers[keys.index(cols.FULL_NAME)]
        warnings.append(cols.full_name_warning(header, [reader(number, cells)[1] for number, cells in sample]))
    clean = functools.partial(
        _clean_chunk,
        lookups=lookups,
        settings=settings,
        since=since,
        lock=lock,
        perms=(can_create, can_change),
        labels=definitions_by_key,
    )

    def finish(chunk: list) -> None:
        nonlocal version
        clean(chunk)
        rows = [result for result, _ in chunk]
        repeats.mark(rows)
        if not version:
            version = next((r.cleaned["attribute_rules"] for r in rows if r.cleaned is not None), ())
        if batch is not None:
            import_staging.stage(batch, _staged_customer_rows(rows, actor=actor, file_name=name), replace=False)
            for result in rows:
                _slim(result, for_children=for_children)

    workers = 0
    if batch is not None and not lock and not for_children and not lookups.groups and separate_progress:
        workers = _parallel_workers(table, path)
    try:
        if workers:
            version = _analyze_in_workers(
                table, workers, reader, clean, repeats, results, progress, batch=batch, actor=actor, file_name=name
            )
        else:
            for number, cells in table.rows:
                result, data = reader(number, cells)
                results.append(result)
                parsed.append((result, data))
                if len(parsed) >= CHUNK:
                    finish(parsed)
                    parsed = []
                    progress(len(results))
            if parsed:
                finish(parsed)
        progress(len(results), final=True)
    finally:
        progress.close()
    warnings += _addresses_missing_warning(results, seen_keys, constants)
    children = {}
    for other in tables:
        sheet = import_sheets.sheet_of(other.name)
        if sheet and other is not table and sheet not in children:
            rows, sheet_warnings = import_sheets.analyze_sheet(
                other, sheet, results, lookups, actor=actor, skipped=skipped
            )
            children[sheet] = (other.headers, rows)
            warnings += sheet_warnings
    warnings += skipped.warnings()
    return Analysis(
        headers=table.headers,
        rows=results,
        warnings=warnings,
        rules_version=version,
        columns=columns,
        children=children,
        constants=constants,
    )


IGNORED_SHOWN = 10  # ignored columns warned about one by one; more are one warning naming these


def _ignored_warning(header: str) -> str:
    return f"Se ignoró la columna «{header[:60]}»: no es un dato de clientes."


def _ignored_together(headers: list[str]) -> str:
    """One warning for a file with more than IGNORED_SHOWN columns that are no customer data
    (a system's export of 1,000 columns), naming the first ones."""
    named = [f"«{header[:60]}»" for header in headers[:IGNORED_SHOWN]]
    return (
        f"Se ignoraron {len(headers):,} columnas que no son datos de clientes: "
        f"{spanish_list([*named, f'{len(headers) - IGNORED_SHOWN:,} más'])}."
    )


def _addresses_missing_warning(results: list, keys: set, constants: dict) -> list[str]:
    """What to do when the rows of a file without address columns need one (a Peruvian company
    needs its fiscal address: customers.services): each such row says it in its Dirección
    column; the file's warning says where the fix is. The mapping step gives a district for
    every row, never a street (each customer's own)."""
    if cols.ADDRESS_COLUMN_KEYS & (keys | constants.keys()):
        return []
    label = cols.column_label("street", {})
    missing = sum(1 for r in results if r.action == "error" and any(column == label for column, _ in r.errors))
    if not missing:
        return []
    rows = "1 fila necesita" if missing == 1 else f"{missing:,} filas necesitan"
    return [
        f"El archivo no tiene columnas de dirección (Dirección, Distrito o Ubigeo) y {rows} la dirección fiscal "
        "(las empresas peruanas). Agregue al archivo las columnas Dirección y Distrito (o Ubigeo) y súbalo de "
        "nuevo; si el archivo ya trae la dirección con otro título, elija esa columna como «Dirección» en "
        "«Columnas del archivo» (el distrito, si es el mismo en todas las filas, puede darlo en «Valor para todas "
        "las filas»)."
    ]


def untitled_warning(number: int) -> str:
    return f"El archivo no tiene fila de títulos: la fila {number} se leyó como datos. Revise qué dato es cada columna."


def _slim(result: RowResult, *, for_children: bool) -> None:
    """A row already staged: what Analysis still reads of it (its action; an error row's
    errors and cells; for the other sheets its document, match and main address)."""
    if result.action != "error":
        # No list per row left for the cyclic collector to walk at the end (100,000 rows alive).
        result.raw, result.errors = None, ()
    result.note_lines, result.customer = (), None
    if not for_children:
        result.key = None
    if result.cleaned is not None:
        fields = result.cleaned["fields"]
        kept = {"fields": {"is_foreign": fields.get("is_foreign")}, "address": result.cleaned["address"]}
        result.cleaned = kept if for_children else None


class _RowReader:
    """One row's cells → (RowResult, the data dict for the services)."""

    def __init__(self, keys: list, lookups, labels: dict, headers: list, *, constants: "cols.RowConstants"):
        self.keys, self.lookups, self.labels, self.headers = keys, lookups, labels, headers
        self.read = [(index, key) for index, key in enumerate(keys) if key]  # the columns read, once
        self.constants = constants if constants else None

    def __call__(self, number: int, cells: list) -> tuple[RowResult, dict]:
        width = len(cells)
        by_key = {key: cells[index] for index, key in self.read if index < width}
        if self.constants is not None:
            self.constants.fill(by_key)
        result = RowResult(number=number, raw=cells)
        errors: dict = {}
        data = cols.row_data(by_key, self.lookups, errors)
        result.key = _doc_key(data)
        if self.lookups.groups:
            _clean_extra(result, by_key, self.lookups)
        for key, messages in errors.items():
            result.errors += [(cols.column_label(key, self.labels), m) for m in messages]
        if cells.__class__ is spreadsheets.ControlRow:  # control characters, error values (#N/A): errors
            label = functools.partial(cols.column_label, definitions_by_key=self.labels)
            result.errors = cols.with_control_errors(result.errors, cells, self.keys, self.headers, label)
        return result, data


# --- the preview of a large file in worker processes ------------------------------------------
#
# Reading the cells, cleaning them with the services' rules, matching and preparing the staged
# rows is Python, one core's work: a large file is split in chunks checked by forked worker
# processes (each with its own database connection, reading committed customers as the
# preview does), while this process keeps the order, marks the file's repeats, stages the rows
# (COPY, in the preview's one transaction) and reports progress. Same rules, same functions,
# same answer as in-process; only the preview (never the confirmed import, whose rows are
# checked under its own transaction's locks).

PARALLEL_FROM = 20_000  # rows in the sheet (as declared) from which workers pay off
MAX_WORKERS = 2
_IN_FLIGHT = 2  # chunks queued per worker
# The file's last rows go in smaller chunks: the workers then end within a small chunk of each
# other (not one of them alone with a full chunk, the other core idle), and what this process
# still stages once they end (its last COPY) is small: CHUNK divided by this.
_TAIL_SPLIT = 4
_forked: dict = {}  # what the workers inherit from this process at the fork


def _parallel_workers(table, path: str) -> int:
    if (table.height or 0) < PARALLEL_FROM:
        return 0
    # A file small enough to be checked in the request (import_views) is never forked from a
    # web server's process: workers only in the task worker.
    if os.path.getsize(path) <= django_settings.IMPORT_INLINE_MAX_BYTES:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(MAX_WORKERS, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0


def _analyze_in_workers(table, workers, reader, clean, repeats, results, progress, *, batch, actor, file_name):
    """The rows of ``table`` checked by ``workers`` processes, staged under ``batch`` here, in
    order; returns the attribute rules' version the rows were cleaned with."""
    _forked.update(reader=reader, clean=clean, batch=batch, actor=actor, file_name=file_name)
    version = ()
    pending = collections.deque()
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_worker_start) as pool:

            def collect():
                nonlocal version
                cells_by_number, answer = pending.popleft()
                rules, checked = answer.get()
                version = version or rules
                staged = []
                for number, action, errors, customer_id, mark, values in checked:
                    if mark is not None:
                        repeat = repeats.check(number, *mark)
                        if repeat:
                            errors = [*errors, repeat]
                            action, customer_id, values = "error", None, None
                    result = RowResult(
                        number=number, raw=None, action=action, errors=errors, customer_id=customer_id, note_lines=()
                    )
                    if action == "error":
                        result.raw = cells_by_number[number]
                        values = next(_staged_customer_rows([result], actor=actor, file_name=file_name))
                    if values is not None:
                        staged.append(values)
                    results.append(result)
                import_staging.stage(batch, staged, replace=False)
                progress(len(results))

            # The sheet's declared rows, the header's among them: blank ones are skipped, so
            # what is left is never more than this says.
            left = (table.height or 0) - 1
            chunk, size = [], _chunk_size(left, workers)
            for number, cells in table.rows:
                chunk.append((number, cells))
                if len(chunk) >= size:
                    pending.append(({n: c for n, c in chunk}, pool.apply_async(_check_in_worker, (chunk,))))
                    left -= len(chunk)
                    chunk, size = [], _chunk_size(left, workers)
                    if len(pending) >= workers * _IN_FLIGHT:
                        collect()
            if chunk:
                pending.append(({n: c for n, c in chunk}, pool.apply_async(_check_in_worker, (chunk,))))
            while pending:
                collect()
    finally:
        _forked.clear()
    return version


def _chunk_size(left: int, workers: int) -> int:
    """Rows of the next chunk when the sheet says ``left`` rows are still to read."""
    return CHUNK if left > workers * CHUNK else max(1, CHUNK // _TAIL_SPLIT)


def _worker_start() -> None:
    """In a worker, at its start: its own database connections. The ones inherited from the
    parent are its sessions (mid-transaction): never used nor closed here (kept referenced, so
    nothing finalises them; the worker ends with os._exit)."""
    from django.db import connections

    # The parent forked with its collector paused (_collections_paused): it stays off here, and
    # each chunk starts with a collection (_check_in_worker), with what came from the parent
    # frozen (never walked, nor its pages copied by the walk).
    gc.disable()
    gc.freeze()
    _forked["inherited"] = inherited = list(connections.all(initialized_only=True))
    for parents in inherited:
        own = parents.copy()  # the same settings (a test database's name included), unconnected
        connections[parents.alias] = own
        multiprocessing.util.Finalize(None, own.close, exitpriority=10)
    # The parent decides when a worker stops (Pool ends them with SIGTERM): not the handlers
    # inherited from the task worker (db_worker's SIGTERM waits for "the current task" to end).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGQUIT"):
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _check_in_worker(chunk: list) -> tuple[tuple, list]:
    """A chunk's rows read, cleaned and matched: (attribute rules' version, [(row number,
    action, errors, matched customer's id, what marks it as a repeat or None, its staged row's
    copy_values or None)]) — plain tuples: what the parent keeps of a row, pickled cheaply."""
    # The collector stays off in a worker (_worker_start); the reference cycles the previous
    # chunk left, if any, go here, once that chunk, its answer and the rows are let go: the
    # collection then walks only what lives on. (At the end of a chunk it walked the chunk's
    # cells and answer, still referenced: a fortieth of a worker's time.)
    gc.collect(1)
    return _check_chunk(chunk)


def _check_chunk(chunk: list) -> tuple[tuple, list]:
    reader, clean = _forked["reader"], _forked["clean"]
    parsed = [reader(number, cells) for number, cells in chunk]
    clean(parsed)
    rules, checked, batch = (), [], _forked["batch"]
    # One generator for the chunk: it prepares each row as the loop below asks for it, in order.
    staged_rows = _staged_customer_rows(
        [result for result, _ in parsed if result.action in ("create", "update")],
        actor=_forked["actor"],
        file_name=_forked["file_name"],
    )
    for result, _ in parsed:
        values = None
        if result.cleaned is not None:
            rules = rules or result.cleaned["attribute_rules"]
        mark = _Repeats.marks(result)
        if result.action in ("create", "update"):
            values = import_staging.copy_values(batch, next(staged_rows))
        errors = result.errors if result.action == "error" else ()
        checked.append((result.number, result.action, errors, result.customer_id, mark, values))
        result.cleaned = result.customer = None  # as the rows go: the chunk's peak memory stays low
    return rules, checked


def headers_key(headers: list) -> str:
    return hashlib.sha256("\x1f".join(cols.header_key(h) for h in headers).encode()).hexdigest()


def mapping_key(headers: list, profiles: list | None = None) -> str:
    """Where the mapping chosen for a file is remembered (ImportMapping): its headers; for a
    file without titles (``profiles``, import_columns.column_profiles), whose headers are only
    «Columna A», «Columna B»…, the letters with what each column holds — so that every
    untitled file with as many columns does not get the mapping of another list, while the
    same list uploaded again does. Never a titled file's key (the marker before it)."""
    if profiles is None:
        return headers_key(headers)
    text = "\x1f".join(f"{h}={p}" for h, p in zip(headers, profiles, strict=True))
    return hashlib.sha256(f"sin títulos\x1e{text}".encode()).hexdigest()


def is_untitled(columns: list) -> bool:
    """Whether a job's columns (Analysis.columns) are those of a file without titles."""
    return any("profile" in column for column in columns)


def _columns_key(columns: list) -> str:
    headers = [c["header"] for c in columns]
    return mapping_key(headers, [c["profile"] for c in columns] if is_untitled(columns) else None)


def _remembered(key: str) -> dict:
    found = ImportMapping.objects.filter(headers_key=key).first()
    return found.mapping if found else {}


def choose_columns(*, actor, job: ImportJob, mapping: dict, constants: dict | None = None) -> ImportJob:
    """The mapping step: the owner says what each column of the file is (``mapping``, by
    import_columns.column_ids: a field, an attribute, or "" to ignore it) and, for fields the
    file lacks, ``constants``: one value for every row ({key: text}, see
    import_columns.RowConstants); the choice is remembered for the next file with the same
    headers and the preview runs again."""
    require_permission(actor, "customers.import_customer")
    if actor is not None and job.created_by_id != actor.pk:
        raise PermissionDenied
    constants = _clean_constants(constants or {}, actor)
    valid = {key for key, _ in column_choices()}
    headers = [c["header"] for c in job.columns]
    clean = {}
    for header, name in zip(headers, cols.column_ids(headers), strict=True):
        key = mapping.get(name, "")
        if key not in valid:
            raise ValidationError(f"Elija qué es la columna «{header[:60]}».")
        clean[name] = key
    chosen = [k for k in clean.values() if k]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("Dos columnas del archivo no pueden ser el mismo dato.")
    if not _NAMING_KEYS & set(chosen):
        raise ValidationError(
            "Elija al menos la columna del número de documento, del correo o del nombre (razón social, nombres, "
            "apellidos o nombre completo): sin ella no se sabe qué cliente es cada fila."
        )
    # The job's mapping says which values for every row it has, even none (not the remembered
    # ones, which another file may change meanwhile); the remembered mapping keeps them only
    # when there are some, so a mapping of columns alone reads as before.
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=[ImportJob.Status.READY, ImportJob.Status.MAPPING]).update(
        status=ImportJob.Status.PENDING,
        mapping={**clean, cols.CONSTANTS_KEY: constants},
        errors=[],
        warnings=[],
        error_report="",
        message="",
    )
    if not claimed:
        raise ValidationError("Esta importación ya no está en vista previa.")
    ImportMapping.objects.update_or_create(
        headers_key=_columns_key(job.columns), defaults={"mapping": cols.with_constants(clean, constants)}
    )
    job.refresh_from_db()
    return job


def _clean_constants(constants: dict, actor) -> dict:
    """The values for every row as the mapping step sent them, without the empty ones; a field
    the actor may not give one to, or a value no cell could hold, refused in Spanish, naming
    the field (ValidationError)."""
    texts = {key: clean_spaces(str(value)) for key, value in constants.items() if clean_spaces(str(value or ""))}
    if not texts:
        return {}
    lookups = cols.Lookups.load()
    offered = cols.constant_keys(lookups.definitions, actor)
    labels = {d.key: d for d in lookups.definitions}
    refused = [key for key in texts if key not in offered]
    if refused:
        names = ", ".join(f"«{cols.column_label(key, labels)}»" for key in refused)
        raise ValidationError(f"No puede dar un valor para todas las filas a {names}.")
    # By field key, so that the mapping step outlines each refused field.
    messages: dict = {}
    for key, message in constant_errors(texts, lookups):
        messages.setdefault(key, []).append(f"{cols.column_label(key, labels)} (valor para todas las filas): {message}")
    if messages:
        raise ValidationError(messages)
    return {key: texts[key] for key in offered if key in texts}  # in the step's order


def constant_errors(constants: dict, lookups) -> list[tuple[str, str]]:
    """[(key, message)] for the values for every row that a cell with that text would make an
    error of whatever the row holds: each read by row_data as a cell (the district with the
    departamento and provincia given for every row), then by the rule that checks that cell's
    value (the services' text limits, the attribute's parse_value, the registered columns'
    clean). What depends on the row (a company needs its giro; a district named by the row)
    is each row's error, named by the field as a cell's would be."""
    found = []
    places = {k: v for k, v in constants.items() if k in ("department", "province")}
    for key, value in constants.items():
        if has_control_characters(value):
            found.append((key, CONTROL_MESSAGE))
            continue
        errors: dict = {}
        data = cols.row_data({**places, key: value} if key == "district" else {key: value}, lookups, errors)
        if key in TEXT_LIMITS:
            clean_text(data, key, errors)
        elif key.startswith("attr:") and key not in errors:
            definition = next(d for d in lookups.definitions if f"attr:{d.key}" == key)
            try:
                parse_value(definition, data.get("attributes", {}).get(definition.key))
            except ValidationError as exc:
                errors[key] = exc.messages
        elif "." in key:
            for group in extensions.sheet_columns():
                if key.startswith(group.key + "."):
                    column = key[len(group.key) + 1 :]
                    _, group_errors = group.clean({column: value}, group.load())
                    if group_errors.get(column):
                        errors[key] = [str(m) for m in group_errors[column]]
        found += [(key, message) for message in errors.get(key, ())]
    return found


def _constants_used(mapping: dict | None, remembered: dict, lookups, actor, warnings: list) -> dict:
    """The values for every row a preview or import reads the file with: the job's own (its
    mapping step's, or the ones its preview used — also where the owner may no longer give
    one: its rows then say so, as a cell's would, rather than import other than previewed);
    for a file without a mapping of its own yet (just uploaded, the admin's import) the ones
    remembered for these headers that ``actor`` may give (another user's cupo needs the credit
    permission), with a warning for each one left out. A job's mapping stored before these
    values existed has none."""
    constants = cols.mapping_constants(mapping)
    if constants is not None or mapping:
        return constants or {}
    constants = cols.mapping_constants(remembered) or {}
    offered = cols.constant_keys(lookups.definitions, actor)
    labels = {d.key: d for d in lookups.definitions}
    for key in [k for k in constants if k not in offered]:
        warnings.append(
            f"No se usó el valor para todas las filas de «{cols.column_label(key, labels)}» elegido la vez "
            "anterior: ese dato ya no existe o usted no tiene permiso para importarlo."
        )
        del constants[key]
    return constants


def constant_fields(*, actor, job: ImportJob) -> tuple[list[dict], list[dict]]:
    """The mapping step's «Valor para todas las filas» for ``actor`` (the form's fields, each
    with the job's value), and the values the job's preview used (what the preview names)."""
    definitions = cols.Lookups.load_definitions()
    values = cols.mapping_constants(job.mapping) or {}
    every = cols.constant_fields(definitions, None, values)
    offered = set(cols.constant_keys(definitions, actor))
    return [f for f in every if f["key"] in offered], _constants_shown(every)


def _constants_shown(fields: list[dict]) -> list[dict]:
    return [{**f, "shown": cols.constant_shown(f)} for f in fields if f["value"]]


def remembered_constants_warnings(analysis: Analysis) -> list[str]:
    """For the admin's import, which has no mapping step to show them in: the values for every
    row remembered for these headers that its file was read with, one warning each."""
    if not analysis.constants:
        return []
    fields = cols.constant_fields(cols.Lookups.load_definitions(), None, analysis.constants)
    return [
        f"{f['label']}: «{f['shown']}» en las filas sin ese dato, el valor para todas las filas elegido la vez "
        "anterior para un archivo con estos títulos (se cambia en Importar de la aplicación)."
        for f in _constants_shown(fields)
    ]


# The columns of the mapping step that only other systems' files hold (import_views opens it).
MAPPING_ONLY_KEYS = frozenset(c.key for c in cols.MAPPING_ONLY)


def column_choices() -> list[tuple[str, str]]:
    return cols.column_choices(cols.Lookups.load_definitions())


def _customers_table(tables: list) -> spreadsheets.Table:
    for table in tables:
        if cols.header_key(table.name) in ("clientes", "customers", "csv"):
            return table
    others = [
        t for t in tables if cols.header_key(t.name) not in ("instrucciones", "direcciones", "contactos", "listas")
    ]
    if not others:
        raise ImportRefused("El libro no tiene una hoja de clientes.")
    # The first sheet a person sees: a hidden one before it (a lookup table) is not the customers.
    return next((t for t in others if not t.hidden), others[0])


def _clean_chunk(parsed, lookups, settings, *, since, lock: bool, perms, labels) -> None:
    """Match a chunk of rows against the database in a few queries, then clean each one."""
    can_create, can_change = perms
    numbers = {d["document_number"] for _, d in parsed if d.get("document_number")}
    emails = set()
    for _, data in parsed:
        emails.update(
            e.strip().lower() for e in str(data.get("emails") or "").replace(";", ",").split(",") if e.strip()
        )
    # One document is one live customer (unique outside the Papelera): no order needed.
    live = _any_of(Customer.objects.filter(deleted_at__isnull=True), "document_number", numbers).order_by()
    if lock:
        live = live.select_for_update(of=("self",))
    by_document = {(c.document_type_id, c.document_number): c for c in _loaded(live)}
    trashed = {
        (c.document_type_id, c.document_number): c
        for c in _any_of(Customer.objects.filter(deleted_at__isnull=False), "document_number", numbers).only(
            "id", "name", "document_type_id", "document_number", "deleted_at"
        )
    }
    owners = {}
    if emails:
        # Outside the Papelera first (its owner wins), then in it: each query under an index's
        # rule (the unique one on lower(email); the Papelera's customers) — one query over both
        # could use neither and read every e-mail once a chunk (services.records does the same).
        same = _any_of(CustomerEmail.objects.annotate(lowered=Lower("email")), "email", emails, lowered=True).order_by()
        for queryset in (same.filter(in_trash=False), same.filter(in_trash=True, customer__deleted_at__isnull=False)):
            for lowered, customer_id in queryset.values_list("lowered", "customer_id"):
                owners.setdefault(lowered, customer_id)
    # Customers matched only by e-mail.
    matched_ids = {c.pk for c in by_document.values()}
    wanted_by_email = set()
    for result, data in parsed:
        if result.key in by_document:  # the reader's _doc_key(data)
            continue
        first = _first_email(data)
        if first and first in owners and owners[first] not in matched_ids:
            wanted_by_email.add(owners[first])
    by_id = {c.pk: c for c in by_document.values()}
    if wanted_by_email:
        extra = _any_of(Customer.objects.filter(deleted_at__isnull=True), "id", wanted_by_email).order_by()
        if lock:
            extra = extra.select_for_update(of=("self",))
        by_id.update({c.pk: c for c in _loaded(extra)})
    ids = list(by_id)
    phones, mails, addresses = {}, {}, {}
    for pk, number, whatsapp in (
        _any_of(CustomerPhone.objects, "customer_id", ids)
        .order_by("position", "id")
        .values_list("customer_id", "number", "whatsapp")
    ):
        phones.setdefault(pk, []).append((number, whatsapp))
    for pk, email in (
        _any_of(CustomerEmail.objects, "customer_id", ids)
        .order_by("position", "id")
        .values_list("customer_id", "email")
    ):
        mails.setdefault(pk, []).append(email)
    for pk, district_id, street, unit, reference in (
        _any_of(Address.objects.filter(is_default=True), "customer_id", ids)
        .order_by()
        .values_list("customer_id", "district_id", "street", "unit", "reference")
    ):
        # The district read once per file, not once per row.
        district = lookups.districts.get(district_id) if district_id else None
        addresses[pk] = _MainAddress(district, street, unit, reference)
    lookups_by_pk = {"phones": phones, "emails": mails, "addresses": addresses}

    for result, data in parsed:
        customer = None
        key = result.key  # the reader's _doc_key(data)
        if key and key in by_document:
            customer = by_document[key]
        elif key and key in trashed:
            result.errors.append(
                (
                    cols.column_label("document_number", labels),
                    f"Ese documento es de «{trashed[key].name}», que está en la Papelera: "
                    "restáurelo antes de importar.",
                )
            )
        if customer is None and not result.errors:
            first = _first_email(data)
            if first and first in owners and owners[first] in by_id:
                candidate = by_id[owners[first]]
                if not data.get("document_number") or not candidate.document_number:
                    customer = candidate
        if customer is not None and not result.errors:
            _check_email_owners(result, data, customer.pk, owners, labels)
        elif customer is None:
            _check_email_owners(result, data, None, owners, labels)
        if result.errors:
            result.action = "error"
            # The rest of the row is checked too (what could be read), so that one upload lists
            # everything to fix in it, not one column after another.
            others = RowResult(number=result.number, raw=None)
            _clean_row(
                others,
                data,
                customer,
                lookups,
                settings,
                lookups_by_pk,
                since=since,
                can_create=can_create,
                can_change=can_change,
                labels=labels,
            )
            reported = {column for column, _ in result.errors}
            places = {cols.column_label(key, labels) for key in cols.PLACE_KEYS}
            if reported & places:
                reported |= places
            result.errors += [(column, message) for column, message in others.errors if column not in reported]
            continue
        _clean_row(
            result,
            data,
            customer,
            lookups,
            settings,
            lookups_by_pk,
            since=since,
            can_create=can_create,
            can_change=can_change,
            labels=labels,
        )
    if lookups.groups:
        _compare_extra(parsed, lookups)


class _MainAddress:
    """What the preview reads of a matched customer's main address (an Address without the
    model instance: one per matched customer), read as Address reads."""

    __slots__ = ("district", "district_id", "street", "unit", "reference")

    def __init__(self, district, street: str, unit: str, reference: str):
        self.district, self.district_id = district, district.pk if district is not None else None
        self.street, self.unit, self.reference = street, unit, reference

    __str__ = Address.__str__


def _loaded(queryset):
    """The customers of ``queryset`` (every field loaded), as iterating it gives them — built
    from its values as Model.from_db's instance would hold them (the same __dict__ and state),
    without Model.__init__'s call per field: a preview matches tens of thousands of customers,
    and that walk was half of what reading each one cost. Customer has no pre_init/post_init
    receiver (a test keeps it so: they would not run here)."""
    attnames = _CUSTOMER_ATTNAMES
    db = queryset.db
    for values in queryset.values_list(*attnames):
        customer = _new_customer(Customer)
        customer._state = state = ModelState()
        state.adding, state.db = False, db
        customer.__dict__.update(zip(attnames, values, strict=True))
        yield customer


_CUSTOMER_ATTNAMES = tuple(f.attname for f in Customer._meta.concrete_fields)
_new_customer = Customer.__new__


def _any_of(queryset, column: str, values, *, lowered: bool = False):
    """``queryset`` filtered to rows whose ``column`` (``lowered``: its lower()) is one of
    ``values`` (texts or integers), as "= ANY(array)": one parameter, where ``__in`` sends one per
    value (psycopg splits and quotes a chunk's 2,000 placeholders in Python on every query). The
    array goes as one text (_array_literal), which the database reads as an array of the column's
    type: psycopg's dump of a list walks its values in Python."""
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    target = f"{table}.{connection.ops.quote_name(column)}"
    if lowered:
        target = f"LOWER({target})"
    where = f"{target} = ANY(%s)"
    return queryset.extra(where=[where], params=[_array_literal(values)])  # noqa: S610 - our column; values: one parameter


def _array_literal(values) -> str:
    """PostgreSQL's text form of an array of texts or integers: '{"a","b\\"c"}' (every element
    quoted, backslashes and double quotes escaped, as the array input syntax reads them)."""
    texts = list(map(str, values))
    if not texts:
        return "{}"
    joined = '","'.join(texts)
    if "\\" in joined or '"' in "".join(texts):
        joined = '","'.join(text.replace("\\", "\\\\").replace('"', '\\"') for text in texts)
    return '{"' + joined + '"}'


def _clean_extra(result: RowResult, by_key: dict, lookups) -> None:
    """The row's cells of registered columns, cleaned by the app that owns them."""
    for group, loaded, allowed in lookups.groups:
        cells = {}
        for column in group.columns:
            raw = by_key.get(f"{group.key}.{column.key}")
            if raw is not None and not (isinstance(raw, str) and not raw.strip()):
                cells[column.key] = raw
        if not cells:
            continue
        headers = {c.key: c.header for c in group.columns}
        if not allowed:
            result.errors += [(headers[key], "No tiene permiso para importar este dato.") for key in cells]
            continue
        values, errors = group.clean(cells, loaded)
        for key, messages in errors.items():
            result.errors += [(headers.get(key, "—"), str(m)) for m in messages]
        if values and not errors:
            result.extra[group.key] = values


def _compare_extra(parsed: list, lookups) -> None:
    """Rows that update: what registered columns change (one read per app and chunk); a row
    whose only change is there is an update too."""
    ids = [
        r.customer.pk for r, _ in parsed if r.extra and r.customer is not None and r.action in ("update", "unchanged")
    ]
    if not ids:
        return
    for group, loaded, _ in lookups.groups:
        current = group.current(ids)
        for result, _ in parsed:
            if group.key not in result.extra or result.customer is None or result.action not in ("update", "unchanged"):
                continue
            lines = group.describe(current.get(result.customer.pk, {}), result.extra[group.key], loaded)
            if lines:
                result.note_lines += lines
                result.action = "update"
            else:
                del result.extra[group.key]


def _doc_key(data: dict):
    doc_type, number = data.get("document_type"), data.get("document_number")
    if doc_type is None or not number:
        return None
    return (doc_type.pk, number)


def _first_email(data: dict) -> str:
    for item in str(data.get("emails") or "").replace(";", ",").split(","):
        if item.strip():
            return item.strip().lower()
    return ""


def _check_email_owners(result, data, customer_id, owners, labels) -> None:
    for item in str(data.get("emails") or "").replace(";", ",").split(","):
        email = item.strip().lower()
        owner = owners.get(email)
        if email and owner is not None and owner != customer_id:
            result.errors.append((cols.column_label("emails", labels), f"El correo {email} ya es de otro cliente."))


def _clean_row(result, data, customer, lookups, settings, by_pk, *, since, can_create, can_change, labels) -> None:
    if customer is None:
        if not can_create:
            result.errors.append(("—", "No tiene permiso para crear clientes."))
            return
        target = lookups.new_customer
        full = {**data}
        full.pop("whatsapp_only", None)
        guessed = full.pop(cols.GUESSED_KIND, None)
        if guessed and not full.get("kind"):
            full["kind"] = guessed
        cols.apply_full_name(full, data)
        if full.get("kind") == Customer.Kind.PERSON and not full.get("is_foreign") and "document_type" not in full:
            full["document_type"] = lookups.document_types.get(DNI)  # a person's DNI is optional
        if "address" in full:
            full["address"] = {"district": None, "street": "", "unit": "", "reference": "", **full["address"]}
    else:
        if not can_change:
            result.errors.append(("—", f"No tiene permiso para modificar clientes existentes («{customer.name}»)."))
            return
        if since is not None and customer.updated_at > since:
            result.errors.append(
                (
                    "—",
                    f"«{customer.name}» cambió después de la vista previa (otra persona lo modificó); "
                    "revise el archivo y vuelva a subirlo.",
                )
            )
            return
        target = customer
        pk = customer.pk
        base = cols.customer_data(
            customer,
            phones=by_pk["phones"].get(pk, []),
            emails=by_pk["emails"].get(pk, []),
            address=by_pk["addresses"].get(pk),
            lookups=lookups,
        )
        full = cols.merge(base, data)
        cols.apply_full_name(full, data)
    names_error = cols.person_names_from_business_name(full, data)
    if names_error:
        result.errors.append((cols.column_label("business_name", labels), names_error))
    cleaned, errors = clean_customer_data(
        full,
        settings=settings,
        customer=target,
        definitions=lookups.definitions,
        current_phones=by_pk["phones"].get(pk, []) if customer is not None else None,
    )
    if names_error:  # the names it lacks are that error's, in its column
        errors.pop("first_names", None)
        errors.pop("last_names", None)
    for key, messages in errors.items():
        label = cols.column_label(cols.error_column(key), labels) if cols.error_column(key) else "—"
        result.errors += [(label, str(m)) for m in messages]
    if result.errors:
        return
    result.cleaned, result.customer = cleaned, customer
    result.customer_id = pk if customer is not None else None
    if customer is None:
        result.action = "create"
        return
    old_phones = [[n, bool(w)] for n, w in by_pk["phones"].get(pk, [])]
    new_phones = [[n, bool(w)] for n, w in cleaned["phones"]]
    old_emails = list(by_pk["emails"].get(pk, []))
    new_emails = list(cleaned["emails"])
    # The recorded values this row changes, before and after: only the cleaned fields can
    # differ from what is stored. describe_changes reads the others as absent on both sides
    # (None: no line), so it says what it would say of the whole state, without walking
    # every recorded field of every updated customer (a preview: tens of thousands).
    before, after = _changed_values(customer, cleaned["fields"])
    result.phones_changed = old_phones != new_phones
    result.emails_changed = old_emails != new_emails
    if result.phones_changed:
        before["phones"], after["phones"] = old_phones, new_phones
    if result.emails_changed:
        before["emails"], after["emails"] = old_emails, new_emails
    # Related rows (tipo de documento, categoría, clase) named from the file's lookups: no
    # query per row.
    lines = describe_changes(Customer, before, after, rows=lookups.rows_by_pk)
    current = by_pk["addresses"].get(pk)
    wanted = cleaned["address"]
    if wanted:
        old = (current.district_id, current.street, current.unit, current.reference) if current else None
        new = (
            wanted["district"].pk if wanted["district"] else None,
            wanted["street"],
            wanted["unit"],
            wanted["reference"],
        )
        if old != new:
            result.address_changed = True
            district_name = wanted["district"].name if wanted["district"] else ""
            lines.append(
                describe_main_address(
                    current, street=wanted["street"], unit=wanted["unit"], district_name=district_name
                )
            )
    result.note_lines = lines
    result.action = "update" if lines or before else "unchanged"


def _changed_values(customer: Customer, fields: dict) -> tuple[dict, dict]:
    """({attname: stored value}, {attname: cleaned value}) of the recorded fields of
    ``customer`` whose value in ``fields`` (clean_customer_data's, by field name; a related row
    by its pk) differs from the stored one — as == tells them apart, like the comparison of the
    whole states."""
    recorded = _RECORDED_ATTNAME
    before, after = {}, {}
    loaded = customer.__dict__  # import_staging.field_value's answer for a loaded field, without a call
    for name, value in fields.items():
        attname = recorded[name]
        if attname is None:
            continue
        if value.__class__ not in _PLAIN and hasattr(value, "_meta"):
            value = value.pk
        stored = loaded[attname] if attname in loaded else import_staging.field_value(customer, attname)
        if stored is value or stored == value:
            if attname in before:  # two names of one field: the last wins
                del before[attname], after[attname]
            continue
        before[attname], after[attname] = stored, value
    return before, after


class _RecordedAttnames(dict):
    """{cleaned field name: its attname when the history records it, else None}, filled as
    names first appear."""

    def __missing__(self, name: str):
        attname = _ATTNAMES.get(name, name)
        self[name] = found = attname if attname in _tracked_attnames() else None
        return found


_RECORDED_ATTNAME = _RecordedAttnames()


# Values that are never a model instance: no attribute look-up (one that fails raises inside).
_PLAIN = frozenset((str, int, bool, float, type(None), list, dict))


def _tracked():
    return tracked_fields(Customer)


@functools.cache
def _tracked_attnames() -> frozenset:
    return frozenset(f.attname for f in _tracked())


_ATTNAMES = {"document_type": "document_type_id", "category": "category_id", "customer_class": "customer_class_id"}


class _Repeats:
    """The same customer twice in one file: the later rows are errors naming the first. Rows
    are marked chunk by chunk, in the file's order (what the earlier chunks held is remembered)."""

    def __init__(self):
        self.first_by_doc, self.first_by_email = {}, {}

    @staticmethod
    def marks(result: RowResult) -> tuple | None:
        """What identifies a row's customer: (document key, e-mails, matched id) of a cleaned
        row; of a row with errors, the document it names (a later row with the same document is
        the same customer twice, and so is this row when an earlier one had it), else None."""
        if result.cleaned is None:
            return (result.key, (), None) if result.key else None
        fields = result.cleaned["fields"]
        key = (fields["document_type"].pk, fields["document_number"]) if fields.get("document_number") else None
        return key, tuple(result.cleaned["emails"]), result.customer.pk if result.customer is not None else None

    def mark(self, results: list[RowResult]) -> None:
        for result in results:
            marks = self.marks(result)
            repeat = marks and self.check(result.number, *marks)
            if repeat:
                result.errors.append(repeat)
                result.action, result.cleaned = "error", None

    def check(self, number: int, key, emails: tuple, customer_id) -> tuple | None:
        """The error of row ``number`` when it repeats an earlier row, else None (and it is
        remembered)."""
        first_by_doc, first_by_email = self.first_by_doc, self.first_by_email
        repeat = None
        if key and key in first_by_doc:
            repeat = ("Número de documento", f"El mismo documento ya está en la fila {first_by_doc[key]}.")
        for email in emails:
            if repeat is None and email in first_by_email:
                repeat = ("Correos electrónicos", f"El correo {email} ya está en la fila {first_by_email[email]}.")
        if customer_id is not None and repeat is None:
            marker = ("id", customer_id)
            if marker in first_by_doc:
                repeat = ("—", f"Es el mismo cliente de la fila {first_by_doc[marker]}.")
        if repeat:
            return repeat
        if key:
            first_by_doc[key] = number
        if customer_id is not None:
            first_by_doc[("id", customer_id)] = number
        for email in emails:
            first_by_email.setdefault(email, number)
        return None


# --- 3. confirm and write ----------------------------------------------------------------------


def confirm_import(*, actor, job: ImportJob, mode: str) -> ImportJob:
    """The job's owner confirms its preview once; the import runs as a task (or inline for a
    small file). A second confirm, another user's job or a job not ready does nothing."""
    require_permission(actor, "customers.import_customer")
    if mode not in ImportJob.Mode.values:
        raise ValidationError("Elija cómo importar: todo o nada, o solo las filas válidas.")
    owner_id = job.created_by_id
    if actor is not None and owner_id != actor.pk:
        raise PermissionDenied
    if mode == ImportJob.Mode.ALL_OR_NOTHING and job.error_rows:
        raise ValidationError("El archivo tiene filas con errores: corríjalas o importe solo las filas válidas.")
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
        status=ImportJob.Status.QUEUED, mode=mode, rows_done=0
    )
    if not claimed:
        raise ValidationError("Esta importación ya se confirmó o ya no está lista.")
    job.refresh_from_db()
    return job


def retry_import(*, actor, job: ImportJob) -> ImportJob:
    require_permission(actor, "customers.import_customer")
    if actor is not None and job.created_by_id != actor.pk:
        raise PermissionDenied
    reap_if_dead(job)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED, previewed_at__isnull=False).update(
        status=ImportJob.Status.QUEUED, rows_done=0, message=""
    )
    if not claimed:
        raise ValidationError("Solo una importación fallida se puede reintentar.")
    job.refresh_from_db()
    return job


def run_import(job_id: int) -> ImportJob:
    """The confirmed import (the task's body)."""
    resolve_abandoned_parts()
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    report = None  # [(row number, [[column, message], …], cells)] of the rows not imported
    prepared = []  # the gids of the parts written in other connections, prepared (two-phase commit)
    # The lock first: a job shown as running whose lock is free is a dead one (reap_if_dead).
    with _job_lock(job.pk):
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.IMPORTING, commit_decided=False
        )
        if not claimed:
            return job
        job.status, job.commit_decided = ImportJob.Status.IMPORTING, False
        try:
            with _local_copy(job) as path:
                if _sha256(path) != job.file_sha256:
                    raise ImportRefused("El archivo guardado no es el de la vista previa; súbalo de nuevo.")
                written = None
                parts = _parts_for(job)
                if parts > 1:
                    try:
                        written, prepared = _write_staged_in_parts(job, path, parts)
                    except import_parallel.PartsUnavailable:
                        written = None  # one connection instead (it cleans again if the rules changed)
                if written is None:
                    separate = not connection.in_atomic_block
                    with transaction.atomic():
                        if separate:  # not inside a caller's transaction, whose waits are its own
                            import_parallel.limit_lock_waits()
                        if _staged_rows_hold(job):
                            written = _write_staged(job, path)
                        else:
                            written = _clean_and_write(job, path, separate=separate)
                created, updated, report = written
        except (spreadsheets.FileRefused, ImportRefused, ValidationError, IntegrityError) as exc:
            job.status, job.message = ImportJob.Status.FAILED, _message(exc)
            if isinstance(exc, IntegrityError):
                job.message = (
                    "Otro usuario guardó datos en conflicto mientras se importaba; no se guardó nada. Reintente."
                )
            report = getattr(exc, "report", None)
            if report:
                job.errors = _errors_shown(report)
                job.error_rows = len(report)
                _save_report(job, report)
            job.finished_at = timezone.now()
            job.save()
            return job
        except DatabaseError as exc:
            # A lock waited for too long (the parts' lock_timeout) or a deadlock: nothing was
            # written (every part rolled back).
            if getattr(exc.__cause__, "sqlstate", None) not in _LOCKED:
                raise
            job.status, job.message = ImportJob.Status.FAILED, LOCKED_MESSAGE
            job.finished_at = timezone.now()
            job.save()
            return job
        job.created, job.updated, job.rejected = created, updated, len(report)
        job.rows_done = job.rows_total
        job.error_rows = len(report)
        job.errors = _errors_shown(report)
        if prepared:
            try:
                if report:
                    _save_report(job, report)
                # The decision, durable before any part commits: a worker killed from here on
                # leaves prepared parts that resolve_parts commits (and the job Terminada).
                job.commit_decided = True
                job.save()
            except BaseException:
                if not ImportJob.objects.filter(pk=job.pk, commit_decided=True).exists():
                    import_parallel.finish(prepared, commit=False)
                raise
            import_parallel.finish(prepared, commit=True)
        elif report:
            _save_report(job, report)
        job.status = ImportJob.Status.DONE
        job.message = ""
        job.finished_at = timezone.now()
        job.save()
    if prepared:
        # After the commit: the job already shows Terminada (and discard_stale drops them if not).
        with contextlib.suppress(DatabaseError):
            import_staging.discard(_batch(job))
    return job


# Lock not available (lock_timeout), deadlock detected.
_LOCKED = ("55P03", "40P01")
LOCKED_MESSAGE = (
    "Otro proceso tenía bloqueados clientes de este archivo y la importación no pudo esperarlo; "
    "no se guardó nada. Reintente."
)


def _parts_for(job: ImportJob) -> int:
    """How many connections write the confirmed import: IMPORT_CONNECTIONS for a file of at
    least IMPORT_PARALLEL_ROWS rows to write when the server can prepare that many
    transactions now, else one (as inside a caller's transaction: the parts could not see
    its rows, nor it theirs)."""
    wanted = django_settings.IMPORT_CONNECTIONS
    rows = job.to_create + job.to_update + sum((counts or {}).get("add", 0) for counts in (job.sheets or {}).values())
    if wanted < 2 or rows < django_settings.IMPORT_PARALLEL_ROWS or connection.in_atomic_block:
        return 1
    if not (job.checked_rules or {}).get("staged") or import_parallel.free_slots() < wanted:
        return 1
    return wanted


def _write_staged_in_parts(job: ImportJob, path: str, parts: int) -> tuple[tuple[int, int, list], list[str]]:
    """_write_staged in ``parts`` connections at once (customers.import_parallel), each
    checking again and writing its share of the customers; all prepared, none committed.
    Returns what _write_staged returns and the prepared parts' gids. Raises as _write_staged
    does (every part rolled back), or PartsUnavailable when the rules changed since the
    preview or the server had no room: the caller writes in one connection then."""
    actor, batch = job.created_by, _batch(job)
    can_create = actor is None or actor.has_perm("customers.add_customer")
    can_change = actor is None or actor.has_perm("customers.change_customer")

    def work(part):
        # Under FOR SHARE in each part, held until the part commits (as _staged_rows_hold
        # inside the one transaction of _write_staged).
        if not _staged_rows_hold(job):
            raise import_parallel.PartsUnavailable("the rules changed since the preview")
        import_staging.check_again(batch, can_create=can_create, can_change=can_change, part=part)
        applied = import_staging.apply(batch, actor=actor, file_name=job.file_name, since=job.previewed_at, part=part)
        return applied, import_staging.error_rows(batch, part=part)

    # The settings row exists before the parts read it: two parts creating it would wait on each other.
    get_customer_settings()
    results, prepared = import_parallel.prepare(job.pk, parts, work)
    try:
        applied, items = import_staging.Applied(), []
        for part_applied, part_items in results:
            applied.created_ids += part_applied.created_ids
            applied.updated_ids += part_applied.updated_ids
            applied.addresses_added += part_applied.addresses_added
            applied.contacts_added += part_applied.contacts_added
            items += part_items
        items.sort(key=lambda item: (item[0], item[1]))  # as error_rows orders one batch
        _count_added(job, applied)
        report = _with_cells(job, path, items)
        if report and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
            raise _refused_with(report, len(report))
    except BaseException:
        import_parallel.finish(prepared, commit=False)
        raise
    return (len(applied.created_ids), len(applied.updated_ids), report), prepared


def _staged_rows_hold(job: ImportJob) -> bool:
    """The preview's staged rows can be written as they are: nothing their checks depended on
    changed since (read under FOR SHARE, so it can't change until the write commits)."""
    checked = job.checked_rules or {}
    if not checked.get("staged"):
        return False
    now = _rules_now()
    return all(checked.get(key) == value for key, value in now.items())


def _write_staged(job: ImportJob, path: str) -> tuple[int, int, list]:
    """The fast path: check again what others may have changed since the preview, then write
    the staged rows set-based (customers.import_staging)."""
    actor, batch = job.created_by, _batch(job)
    can_create = actor is None or actor.has_perm("customers.add_customer")
    can_change = actor is None or actor.has_perm("customers.change_customer")
    import_staging.check_again(batch, can_create=can_create, can_change=can_change)
    applied = import_staging.apply(batch, actor=actor, file_name=job.file_name, since=job.previewed_at)
    _count_added(job, applied)
    report = _staged_report(job, path, batch)
    if report and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        raise _refused_with(report, len(report))
    import_staging.discard(batch)
    return len(applied.created_ids), len(applied.updated_ids), report


def _count_added(job: ImportJob, applied) -> None:
    sheets = dict(job.sheets or {})
    for sheet, added in (
        (import_sheets.ADDRESSES, applied.addresses_added),
        (import_sheets.CONTACTS, applied.contacts_added),
    ):
        if sheet in sheets:
            sheets[sheet] = {**sheets[sheet], "added": added}
    job.sheets = sheets


def _staged_report(job: ImportJob, path: str, batch: str) -> list:
    """Every row not imported: the preview's error rows with their cells, and the rows that
    became errors at the write (their cells read again from the file)."""
    return _with_cells(job, path, import_staging.error_rows(batch))


def _with_cells(job: ImportJob, path: str, items: list) -> list:
    """import_staging.error_rows' ``items``, each with its cells (read again from the file
    for the rows that became errors at the write)."""
    missing = {(sheet, number) for sheet, number, _, raw in items if raw is None}
    if missing:
        cells = _cells_of(path, job, missing)
        items = [
            (sheet, number, errors, raw if raw is not None else cells.get((sheet, number), []))
            for sheet, number, errors, raw in items
        ]
    return items


def _cells_of(path: str, job: ImportJob, wanted: set) -> dict:
    """{(sheet, row number): cells as text} of the rows ``wanted``, read again from the file."""
    kind = spreadsheets.detect_kind(path, job.file_name)
    tables = spreadsheets.open_tables(path, kind)
    found = {}
    customers = _customers_table(tables)
    for table in tables:
        sheet = "" if table is customers else import_sheets.sheet_of(table.name)
        if table is not customers and not sheet:
            continue
        if not any(s == sheet for s, _ in wanted):
            continue
        rows = table.rows
        if table is customers and is_untitled(job.columns):  # its first row is a customer (_analyze)
            rows = chain([(table.first_number, table.first)], rows)
        for number, cells in rows:
            if (sheet, number) in wanted:
                found[(sheet, number)] = [spreadsheets.cell_text(c) if c is not None else None for c in cells]
    return found


def _refused_with(report: list, count: int) -> ImportRefused:
    exc = ImportRefused(
        f"No se importó nada: {count} filas tienen errores "
        "(quizá cambiaron datos desde la vista previa). Revise el reporte."
    )
    exc.report = report
    return exc


def _clean_and_write(job: ImportJob, path: str, *, separate: bool) -> tuple[int, int, list]:
    """The slow path, when the rules changed since the preview: every row cleaned again inside
    the transaction, the matched customers locked."""
    analysis = analyze(
        path,
        job.file_name,
        actor=job.created_by,
        job=job,
        lock=True,
        mapping=job.mapping,
        separate_progress=separate,
    )
    if analysis.rules_version:
        lock_attribute_rules(version=analysis.rules_version)
    report = _analysis_report(analysis)
    if report and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        raise _refused_with(report, len(report))
    created, updated = write_rows(analysis, actor=job.created_by, file_name=job.file_name, job=job)
    import_staging.discard(_batch(job))
    job.unchanged = analysis.count("unchanged")
    job.rows_total = len(analysis.rows)
    return created, updated, report


def write_rows(analysis: Analysis, *, actor, file_name: str, job: ImportJob | None = None) -> tuple[int, int]:
    """Write the rows to create and update, set-based (customers.import_staging), with one
    history record and one note per customer. Call inside the transaction that locked the
    matched customers."""
    batch = f"now-{uuid.uuid4().hex}"
    rows = (r for r in staged_rows(analysis, actor=actor, file_name=file_name) if r.action != "error")
    import_staging.stage(batch, rows)
    applied = import_staging.apply(batch, actor=actor, file_name=file_name)
    if job is not None:
        job.sheets = analysis.sheet_counts()
        _count_added(job, applied)
    created = dict(ImportStagedRow.objects.filter(batch=batch, action="create").values_list("number", "customer_id"))
    for result in analysis.rows:  # the admin names each created customer
        if result.action == "create" and result.number in created:
            result.customer = Customer(pk=created[result.number], name=result.cleaned["fields"].get("name", ""))
    import_staging.discard(batch)
    return len(applied.created_ids), len(applied.updated_ids)


def staged_rows(analysis: Analysis, *, actor, file_name: str):
    """The analysis' rows as import_staging stages them: what each create and update writes
    (columns, phones, e-mails, main address, note) and each error row's errors and cells."""
    yield from _staged_customer_rows(analysis.rows, actor=actor, file_name=file_name)
    yield from _staged_child_rows(analysis)


def _staged_customer_rows(results: list, *, actor, file_name: str):
    """staged_rows of the Clientes sheet's ``results``."""
    user = actor if getattr(actor, "pk", None) else None
    for result in results:
        if result.action == "error":
            yield import_staging.Staged(
                number=result.number,
                action="error",
                errors=[[column, message] for column, message in result.errors],
                raw=[spreadsheets.cell_text(c) if c is not None else None for c in result.raw],
            )
            continue
        if result.action not in ("create", "update"):
            continue
        cleaned = result.cleaned
        creating = result.action == "create"
        if creating:
            after = import_staging.new_customer_columns()  # a copy of its own
            after["created_by_id"] = getattr(user, "pk", None)
            after = import_staging.with_fields(after, cleaned["fields"], copy=False)
            department = after["department_id"]
        else:
            # Only the columns the cleaned fields and the copies below write can change
            # (import_staging.changed_from compares them with the stored ones).
            after = import_staging.with_fields({}, cleaned["fields"], copy=False)
            department = (
                after["department_id"]
                if "department_id" in after
                else import_staging.stored_column(result.customer, "department_id")
            )
        # Customer.search_text, has_whatsapp and department as the services keep them.
        copies = SimpleNamespace(department_id=department)
        set_list_copies(copies, cleaned)
        after.update(
            search_text=copies.search_text, has_whatsapp=copies.has_whatsapp, department_id=copies.department_id
        )
        address = None
        if cleaned["address"] and (creating or result.address_changed):
            wanted = cleaned["address"]
            address = {
                "district_id": wanted["district"].pk if wanted["district"] else None,
                "street": wanted["street"],
                "unit": wanted["unit"],
                "reference": wanted["reference"],
            }
        yield import_staging.Staged(
            number=result.number,
            action=result.action,
            customer_id=None if creating else result.customer.pk,
            fields=after if creating else import_staging.changed_from(result.customer, after),
            phones=[[n, bool(w)] for n, w in cleaned["phones"]] if creating or result.phones_changed else None,
            emails=list(cleaned["emails"]) if creating or result.emails_changed else None,
            address=address,
            extra=result.extra or None,
            note=f"Creado por importación de {file_name}."
            if creating
            else "\n".join([f"Actualizado por importación de {file_name}.", *result.note_lines]),
        )


def _staged_child_rows(analysis: Analysis):
    """staged_rows of the Direcciones and Contactos sheets."""
    for sheet, (_, rows) in analysis.children.items():
        for child in rows:
            if child.action == "unchanged":
                continue
            error = child.action == "error"
            yield import_staging.Staged(
                number=child.number,
                sheet=sheet,
                action="error" if error else ("address" if sheet == import_sheets.ADDRESSES else "contact"),
                parent=child.parent,
                customer_id=child.customer_id,
                fields=child.values,
                note=child.note,
                errors=[[c, m] for c, m in child.errors] if error else None,
                raw=[spreadsheets.cell_text(c) if c is not None else None for c in child.raw] if error else None,
            )


# --- reports, progress, locks ------------------------------------------------------------------


def _analysis_report(analysis: Analysis) -> list:
    """[(sheet, row number, [[column, message], …], cells as read)] of the rows with errors of
    every sheet ("" is the Clientes sheet)."""

    def cells(raw):
        return [spreadsheets.cell_text(c) if c is not None else None for c in raw]

    report = [("", r.number, [[c, m] for c, m in r.errors], cells(r.raw)) for r in analysis.error_rows]
    for sheet, (_, rows) in analysis.children.items():
        report += [(sheet, r.number, [[c, m] for c, m in r.errors], cells(r.raw)) for r in rows if r.action == "error"]
    return report


def _errors_shown(report: list) -> list:
    """The first SHOWN_ERRORS errors as [row, column, message, sheet]."""
    shown = []
    for sheet, number, errors, _ in report:
        for column, message in errors:
            shown.append([number, column, message, sheet or "Clientes"])
            if len(shown) >= SHOWN_ERRORS:
                return shown
    return shown


def _shown_errors(analysis: Analysis) -> list:
    return _errors_shown(_analysis_report(analysis))


REPORT_ERRORS_WIDTH = 60


def report_xlsx(headers_by_sheet: dict, report: list) -> bytes:
    """The rows with errors, as they came, plus a first column with their errors, in a sheet
    named as theirs: fix and upload."""
    sheets = []
    for sheet in ["", *[name for name in headers_by_sheet if name]]:
        items = [item for item in report if item[0] == sheet]
        if sheet and not items:
            continue
        rows = [
            [
                _errors_cell(errors),
                number,
                *cells,
            ]
            for _, number, errors, cells in items
        ]
        sheets.append((sheet or "Clientes", [*import_sheets.REPORT_HEADERS, *headers_by_sheet.get(sheet, [])], rows))
    # The errors column wide, its sentences wrapped; every other column as wide as its title.
    widths = {
        title: {
            column_letter(index): REPORT_ERRORS_WIDTH if index == 0 else column_width(header)
            for index, header in enumerate(headers)
        }
        for title, headers, _ in sheets
    }
    return spreadsheets.xlsx_bytes(sheets, widths=widths, wrap_first=True)


def _errors_cell(errors: list) -> str:
    """A row's errors in its report cell, as sentences, each with its column: «Razón social: es
    obligatoria. Distrito: no existe.» (joined with «; », the messages' own periods read «.;»)."""
    parts = (error_text(column, message) for column, message in errors)
    return " ".join(part if part.endswith((".", "?", "!")) else f"{part}." for part in parts)


def error_text(column: str, message: str) -> str:
    """An error where nothing beside it names its column: «Giro: Ingrese el giro de la empresa.»
    («—»: an error of the whole row)."""
    return f"{column}: {message}" if column != "—" else message


def rejected_rows_xlsx(analysis: Analysis) -> bytes:
    headers = {"": analysis.headers, **{sheet: h for sheet, (h, _) in analysis.children.items()}}
    return report_xlsx(headers, _analysis_report(analysis))


def report_file_name(job: ImportJob) -> str:
    """The rejected rows' file, named after the uploaded one: «clientes 2015-errores.xlsx»."""
    return f"{os.path.splitext(job.file_name)[0][:150]}-errores.xlsx"


def _report_headers(columns: list) -> list[str]:
    """The rejected rows' titles of the Clientes columns: the file's own; for a file without
    titles («Columna A»…), the title of the field each column was read as, so that the report,
    fixed and uploaded again, is read by its titles as the person mapped it (an ignored column
    keeps its letter)."""
    if not is_untitled(columns):
        return [c["header"] for c in columns]
    labels = {d.key: d for d in cols.Lookups.load_definitions()}
    return [cols.column_label(c["key"], labels) if c["key"] else c["header"] for c in columns]


def _save_report(job: ImportJob, report: list) -> None:
    headers = {"": _report_headers(job.columns)}
    headers.update({sheet: counts.get("headers", []) for sheet, counts in (job.sheets or {}).items()})
    job.error_report.save(report_file_name(job), ContentFile(report_xlsx(headers, report)), save=False)


class _progress:
    """Saves rows read so far on the job where other sessions see it: directly when outside a
    transaction, through a second connection inside the import's own transaction (``separate``;
    not when a caller's transaction holds the job's row, as in tests). Call it with the rows
    done; close() at the end."""

    def __init__(self, job: ImportJob | None, *, separate: bool):
        self.job, self.separate, self.last, self.other = job, separate, 0, None

    def __call__(self, done: int, final: bool = False) -> None:
        if self.job is None or (not final and done - self.last < PROGRESS_EVERY):
            return
        self.last = done
        if not self.separate:
            ImportJob.objects.filter(pk=self.job.pk).update(rows_done=done)
            return
        try:
            if self.other is None:  # one connection for the whole run, not one per report
                self.other = connection.copy()
            with self.other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s WHERE id = %s",  # noqa: S608
                    [done, self.job.pk],
                )
        except OperationalError:
            pass

    def close(self) -> None:
        if self.other is not None:
            self.other.close()
            self.other = None


class _job_lock:
    """A session advisory lock on the job while a process works on it."""

    def __init__(self, job_id: int):
        self.job_id = job_id

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_CLASS, self.job_id])

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, self.job_id])


_RUNNING = (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING)
# Waiting for a worker: a task row READY, or RUNNING until the task takes the job's lock.
_WAITING = (ImportJob.Status.PENDING, ImportJob.Status.QUEUED)


def reap_if_dead(job: ImportJob) -> ImportJob:
    """A job shown as running whose process is gone (killed, the machine restarted): Fallida.
    The process holds the job's advisory lock while it runs; when it can be taken here, nobody
    does. Nothing was written (the write is one transaction) — or, for an import written in
    parts, its prepared parts are resolved first (resolve_parts): committed when its decision
    was recorded (then the job is Terminada), else rolled back.

    A job shown as waiting (en cola) whose task a worker took and died with before the task
    took the job's lock (peru.lost_tasks tells): Fallida too, rather than «En cola» for ever."""
    running, waiting = job.status in _RUNNING, job.status in _WAITING
    left = import_parallel.leftovers(job.pk)
    if waiting and not left and not lost_tasks.lost(_task_rows(job.pk)).exists():
        return job  # (one query while it waits: pages poll a queued job)
    if (not running and not waiting and not left) or (left and connection.in_atomic_block):
        return job  # nothing to do, or prepared parts that only a call outside a transaction can resolve
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job.pk])
        (free,) = cursor.fetchone()
        if not free:
            return job
        try:
            committed = resolve_parts(job.pk)
            job.refresh_from_db()
            _reap(job, committed=committed)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job.pk])
    job.refresh_from_db()
    return job


def _reap(job: ImportJob, *, committed: bool) -> None:
    """reap_if_dead's verdict, holding the job's lock: the job and its lost task rows together."""
    started, tasks = job.status, _task_rows(job.pk)
    if started in _WAITING:
        lost = set(lost_tasks.lost(tasks).values_list("pk", flat=True))
        if not lost or tasks.filter(status__in=_UNFINISHED).exclude(pk__in=lost).exists():
            return  # its task is still to run, or a live worker has it
        tasks = tasks.filter(pk__in=lost)
    elif started not in _RUNNING:
        return
    status, message = ImportJob.Status.FAILED, _REAPED[started]
    if committed and started == ImportJob.Status.IMPORTING:
        status, message = ImportJob.Status.DONE, ""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk, status=started).update(
            status=status, message=message, finished_at=timezone.now()
        )
        # Running: its lock was free, so no process works on it, whatever its rows say; waiting:
        # the rows of workers gone.
        lost_tasks.fail_tasks(tasks, see=f"Vea la importación #{job.pk}.")


_UNFINISHED = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
_REAPED = {
    ImportJob.Status.PENDING: "La revisión del archivo no llegó a empezar (el proceso se detuvo); vuelva a subirlo.",
    ImportJob.Status.CHECKING: "La revisión del archivo se interrumpió; vuelva a subirlo.",
    ImportJob.Status.QUEUED: (
        "La importación no llegó a empezar (el proceso se detuvo); no se guardó ningún cliente. Puede reintentarla."
    ),
    ImportJob.Status.IMPORTING: (
        "La importación se interrumpió (el proceso se detuvo); no se guardó ningún cliente. Puede reintentarla."
    ),
}

# The tasks (customers.tasks, which imports this module) that work on a job, by django-tasks' path.
TASK_PATHS = ("customers.tasks.preview_import", "customers.tasks.run_import")
WorkerLost = lost_tasks.WorkerLost  # the task rows failed before it moved to peru.lost_tasks name it here


def _task_rows(job_id: int) -> QuerySet:
    """The django-tasks-db rows of the job's tasks."""
    return DBTaskResult.objects.filter(task_path__in=TASK_PATHS, args_kwargs__kwargs__job_id=job_id)


def resolve_parts(job_id: int) -> bool:
    """Commit or roll back the parts of the job's import left prepared (a worker killed between
    preparing them and committing them): committed when the job recorded its decision
    (commit_decided), else rolled back. Call holding the job's advisory lock. Returns whether
    the job's import is committed."""
    decided = ImportJob.objects.filter(pk=job_id, commit_decided=True).exists()
    gids = import_parallel.leftovers(job_id).get(job_id, [])
    if gids:
        import_parallel.finish(gids, commit=decided)
    return decided


def resolve_abandoned_parts() -> None:
    """reap_if_dead for every job with parts left prepared that no process works on (each
    confirmed import calls it first: prepared parts hold their customers' row locks)."""
    for job_id in import_parallel.leftovers():
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is not None:
            reap_if_dead(job)
            continue
        with connection.cursor() as cursor:  # its job deleted meanwhile: never decided
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job_id])
            (free,) = cursor.fetchone()
            if free:
                try:
                    resolve_parts(job_id)
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job_id])


def reap_dead_jobs(jobs: QuerySet | None = None) -> None:
    """reap_if_dead for every job that looks dead (``jobs``: among those), and with no ``jobs``
    resolve_abandoned_parts too: what a worker does when it starts and every little while
    (config's db_worker), and the history page for the jobs it shows (one query when none is
    dead), so that nobody sees «Importando» or «En cola» for ever for a killed worker's job."""
    if jobs is None:
        resolve_abandoned_parts()
        jobs = ImportJob.objects.all()
    for job in _looking_dead(jobs).order_by("pk"):
        reap_if_dead(job)


class _JobLockFree(Func):
    """True when no session holds the lock of the job whose id is the expression."""

    template = lost_tasks.lock_free_sql(str(_LOCK_CLASS), "%(expressions)s")
    output_field = BooleanField()


def _looking_dead(jobs: QuerySet) -> QuerySet:
    """The jobs of ``jobs`` that reap_if_dead may find dead, in one query that takes no lock:
    shown as running with their lock free, or waiting with a task row a lost worker left."""
    tasks = DBTaskResult.objects.filter(task_path__in=TASK_PATHS).alias(job=KT("args_kwargs__kwargs__job_id"))
    lost = lost_tasks.lost(tasks.filter(job=Cast(OuterRef("pk"), CharField())))
    return ImportJob.objects.filter(pk__in=jobs.values("pk")).filter(
        Q(_JobLockFree("pk"), status__in=_RUNNING) | Q(Exists(lost), status__in=_WAITING)
    )


def release_abandoned_parts() -> bool:
    """resolve_abandoned_parts for a caller inside a transaction (customers.access, when a
    customer's lock may be a killed worker's part): in a thread, with a connection of its own
    (COMMIT PREPARED is refused inside a transaction). Returns whether parts are still prepared
    (a live import's, about to commit). Registered in customers.apps."""

    def resolve():
        try:
            resolve_abandoned_parts()
        finally:
            connection.close()

    helper = threading.Thread(target=resolve, name="import-release-parts", daemon=True)
    helper.start()
    helper.join(RELEASE_WAIT_SECONDS)
    return helper.is_alive() or bool(import_parallel.leftovers())


RELEASE_WAIT_SECONDS = 15


FILE_GONE = "El archivo subido ya no está guardado en el servidor; súbalo de nuevo."


class _local_copy:
    """The job's stored file as a local path (storage may be remote)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.temp = None

    def __enter__(self) -> str:
        storage = self.job.file.storage
        if not self.job.file.name or not storage.exists(self.job.file.name):
            raise ImportRefused(FILE_GONE)  # (a media folder not carried to a new server…)
        try:
            return storage.path(self.job.file.name)
        except NotImplementedError:
            pass
        self.temp = tempfile.NamedTemporaryFile(suffix=os.path.splitext(self.job.file_name)[1][:10])  # noqa: SIM115
        with storage.open(self.job.file.name, "rb") as source:
            while chunk := source.read(1 << 20):
                self.temp.write(chunk)
        self.temp.flush()
        return self.temp.name

    def __exit__(self, *exc):
        if self.temp is not None:
            self.temp.close()


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _finish(job: ImportJob, *, status: str, message: str) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save()


def _message(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def template_xlsx() -> bytes:
    """The template: Clientes (headers, two example rows), Instrucciones, and drop-down lists."""
    return build_template()
