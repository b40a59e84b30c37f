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
(``reap_if_dead``); it can be retried and creates no duplicates.
"""

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from attributes.services import lock_attribute_rules
from customers import import_columns as cols
from customers import spreadsheets
from customers.access import require_permission
from customers.bulk import update_rows
from customers.history import describe_changes, record_bulk_import, tracked_fields
from customers.import_template import build_template
from customers.models import (
    Address,
    Customer,
    CustomerEmail,
    CustomerNote,
    CustomerPhone,
    ImportJob,
    ImportMapping,
)
from customers.reference import DNI
from customers.services import clean_customer_data, get_customer_settings, set_list_copies

# How many errors a job keeps to show (the error report holds every one).
SHOWN_ERRORS = 500
SAMPLE_ROWS = 30  # rows read to guess what an unknown column holds
CHUNK = 2_000
PROGRESS_EVERY = 1_000
_LOCK_CLASS = 0x1D0C  # advisory lock namespace of import jobs: (class, job id)


class ImportRefused(ValidationError):
    pass


@dataclass
class RowResult:
    number: int
    raw: list  # the row's cells as read
    action: str = "error"  # create, update, unchanged, error
    errors: list = field(default_factory=list)  # [(column label, message)]
    cleaned: dict | None = None
    customer: Customer | None = None
    note_lines: list = field(default_factory=list)
    address_changed: bool = False
    phones_changed: bool = False
    emails_changed: bool = False


@dataclass
class Analysis:
    headers: list
    rows: list
    warnings: list
    rules_version: tuple = ()
    columns: list = field(default_factory=list)  # [{"header", "key", "how"}] for the mapping step

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_rows(self) -> list:
        return [r for r in self.rows if r.action == "error"]


# --- 1. upload ---------------------------------------------------------------------------------


def start_import(*, actor, upload) -> ImportJob:
    """The uploaded file (a Django UploadedFile) checked and kept; FileRefused-style errors raise
    ValidationError with the Spanish reason and keep nothing."""
    require_permission(actor, "customers.import_customer")
    name = os.path.basename(str(upload.name or "archivo"))[:200]
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
        job.file.save(name, ContentFile(temp.read()), save=False)
    job.save()
    return job


# --- 2. preview --------------------------------------------------------------------------------


def preview_import(job_id: int) -> ImportJob:
    """Read and check every row of the job's file; count what the import would do."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.CHECKING
    )
    if not claimed:
        return job
    job.status = ImportJob.Status.CHECKING
    with _job_lock(job.pk):
        try:
            with _local_copy(job) as path:
                analysis = analyze(path, job.file_name, actor=job.created_by, job=job, lock=False, mapping=job.mapping)
        except (spreadsheets.FileRefused, ImportRefused) as exc:
            _finish(job, status=ImportJob.Status.REFUSED, message=_message(exc))
            return job
        job.to_create, job.to_update = analysis.count("create"), analysis.count("update")
        job.unchanged, job.error_rows = analysis.count("unchanged"), analysis.count("error")
        job.rows_total = job.rows_done = len(analysis.rows)
        job.errors = _shown_errors(analysis)
        job.warnings = analysis.warnings
        job.columns = analysis.columns
        # The confirmed import reads the columns exactly as this preview did, whatever mapping
        # is remembered for these headers by then.
        job.mapping = {c["header"]: c["key"] for c in analysis.columns if c["header"]}
        job.previewed_at = timezone.now()
        job.status = ImportJob.Status.READY
        if analysis.error_rows:
            _save_error_report(job, analysis)
        job.save()
    return job


def analyze(
    path: str,
    name: str,
    *,
    actor,
    job: ImportJob | None = None,
    lock: bool,
    mapping: dict | None = None,
    separate_progress: bool = False,
) -> Analysis:
    """Every row of the file cleaned and matched (see the module's docstring)."""
    kind = spreadsheets.detect_kind(path, name)
    tables = spreadsheets.open_tables(path, kind)
    table = _customers_table(tables)
    if not any(table.headers):
        raise ImportRefused("El archivo no tiene una fila de títulos (Tipo de cliente, Número de documento…).")
    lookups = cols.Lookups.load()
    definitions_by_key = {d.key: d for d in lookups.definitions}
    sample = list(islice(table.rows, SAMPLE_ROWS))
    table.rows = chain(sample, table.rows)
    columns = cols.map_columns(
        table.headers,
        [cells for _, cells in sample],
        lookups,
        chosen=mapping or {},
        remembered=_remembered(table.headers),
    )
    keys, warnings, seen_keys = [], [], set()
    for column in columns:
        header, key = column["header"], column["key"]
        if not key and header and not column["how"]:
            warnings.append(f"Se ignoró la columna «{header[:60]}»: no es un dato de clientes.")
        if key and key in seen_keys:
            warnings.append(f"La columna «{header[:60]}» está repetida: se usa la primera.")
            key = ""
        if column["how"] == "sugerido" and key:
            label = cols.column_label(key, definitions_by_key)
            warnings.append(f"La columna «{header[:60]}» se leyó como «{label}» (por su nombre o sus datos).")
        seen_keys.add(key)
        keys.append(key)
    if (
        "document_number" not in seen_keys
        and "emails" not in seen_keys
        and not ({"business_name", "first_names", "last_names"} & seen_keys)
    ):
        raise ImportRefused(
            "No se reconoció ninguna columna de clientes (Número de documento, Razón social, Nombres…). "
            "Use la plantilla o elija las columnas."
        )
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
    for number, cells in table.rows:
        by_key = {}
        for index, key in enumerate(keys):
            if key and index < len(cells):
                by_key[key] = cells[index]
        result = RowResult(number=number, raw=list(cells))
        errors: dict = {}
        data = cols.row_data(by_key, lookups, errors)
        for key, messages in errors.items():
            result.errors += [(cols.column_label(key, definitions_by_key), m) for m in messages]
        results.append(result)
        parsed.append((result, data))
        if len(parsed) >= CHUNK:
            _clean_chunk(
                parsed,
                lookups,
                settings,
                since=since,
                lock=lock,
                perms=(can_create, can_change),
                labels=definitions_by_key,
            )
            parsed = []
            progress(len(results))
    if parsed:
        _clean_chunk(
            parsed, lookups, settings, since=since, lock=lock, perms=(can_create, can_change), labels=definitions_by_key
        )
    progress(len(results), final=True)
    _mark_repeats(results)
    version = ()
    for result in results:
        if result.cleaned is not None:
            version = result.cleaned["attribute_rules"]
            break
    return Analysis(headers=table.headers, rows=results, warnings=warnings, rules_version=version, columns=columns)


def headers_key(headers: list) -> str:
    return hashlib.sha256("\x1f".join(cols.header_key(h) for h in headers).encode()).hexdigest()


def _remembered(headers: list) -> dict:
    found = ImportMapping.objects.filter(headers_key=headers_key(headers)).first()
    return found.mapping if found else {}


def choose_columns(*, actor, job: ImportJob, mapping: dict) -> ImportJob:
    """The mapping step: the owner says what each column of the file is (a field, an attribute,
    or "" to ignore it); the choice is remembered for the next file with the same headers and
    the preview runs again."""
    require_permission(actor, "customers.import_customer")
    if actor is not None and job.created_by_id != actor.pk:
        raise PermissionDenied
    valid = {key for key, _ in column_choices()}
    headers = [c["header"] for c in job.columns]
    clean = {}
    for header in headers:
        key = mapping.get(header, "")
        if key not in valid:
            raise ValidationError(f"Elija qué es la columna «{header[:60]}».")
        clean[header] = key
    chosen = [k for k in clean.values() if k]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("Dos columnas del archivo no pueden ser el mismo dato.")
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=[ImportJob.Status.READY]).update(
        status=ImportJob.Status.PENDING, mapping=clean, errors=[], warnings=[], error_report=""
    )
    if not claimed:
        raise ValidationError("Esta importación ya no está en vista previa.")
    ImportMapping.objects.update_or_create(headers_key=headers_key(headers), defaults={"mapping": clean})
    job.refresh_from_db()
    return job


def column_choices() -> list[tuple[str, str]]:
    return cols.column_choices(cols.Lookups.load_definitions())


def _customers_table(tables: list) -> spreadsheets.Table:
    for table in tables:
        if cols.header_key(table.name) in ("clientes", "customers", "csv"):
            return table
    for table in tables:
        if cols.header_key(table.name) not in ("instrucciones", "direcciones", "contactos", "listas"):
            return table
    raise ImportRefused("El libro no tiene una hoja de clientes.")


def _clean_chunk(parsed, lookups, settings, *, since, lock: bool, perms, labels) -> None:
    """Match a chunk of rows against the database in a few queries, then clean each one."""
    can_create, can_change = perms
    numbers = {d["document_number"] for _, d in parsed if d.get("document_number")}
    emails = set()
    for _, data in parsed:
        emails.update(
            e.strip().lower() for e in str(data.get("emails") or "").replace(";", ",").split(",") if e.strip()
        )
    live = Customer.objects.filter(deleted_at__isnull=True, document_number__in=numbers)
    if lock:
        live = live.select_for_update(of=("self",))
    by_document = {(c.document_type_id, c.document_number): c for c in live}
    trashed = {
        (c.document_type_id, c.document_number): c
        for c in Customer.objects.filter(deleted_at__isnull=False, document_number__in=numbers).only(
            "id", "name", "document_type_id", "document_number", "deleted_at"
        )
    }
    owners = {}
    if emails:
        for row in (
            CustomerEmail.objects.annotate(lowered=Lower("email"))
            .filter(lowered__in=emails)
            .values("lowered", "customer_id", "in_trash")
        ):
            if not row["in_trash"] or row["lowered"] not in owners:
                owners[row["lowered"]] = row["customer_id"]
    # Customers matched only by e-mail.
    matched_ids = {c.pk for c in by_document.values()}
    wanted_by_email = set()
    for _, data in parsed:
        if data.get("document_number") and (_doc_key(data) in by_document):
            continue
        first = _first_email(data)
        if first and first in owners and owners[first] not in matched_ids:
            wanted_by_email.add(owners[first])
    by_id = {c.pk: c for c in by_document.values()}
    if wanted_by_email:
        extra = Customer.objects.filter(pk__in=wanted_by_email, deleted_at__isnull=True)
        if lock:
            extra = extra.select_for_update(of=("self",))
        by_id.update({c.pk: c for c in extra})
    ids = list(by_id)
    phones, mails, addresses = {}, {}, {}
    for pk, number, whatsapp in (
        CustomerPhone.objects.filter(customer_id__in=ids)
        .order_by("position", "id")
        .values_list("customer_id", "number", "whatsapp")
    ):
        phones.setdefault(pk, []).append((number, whatsapp))
    for pk, email in (
        CustomerEmail.objects.filter(customer_id__in=ids).order_by("position", "id").values_list("customer_id", "email")
    ):
        mails.setdefault(pk, []).append(email)
    for address in Address.objects.filter(customer_id__in=ids, is_default=True):
        if address.district_id:  # read once per file, not once per row
            address.district = lookups.districts.get(address.district_id)
        addresses[address.customer_id] = address
    lookups_by_pk = {"phones": phones, "emails": mails, "addresses": addresses}

    for result, data in parsed:
        customer = None
        key = _doc_key(data)
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
        target = Customer()
        full = {**data}
        full.pop("whatsapp_only", None)
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
        base = cols.customer_data(
            customer,
            phones=by_pk["phones"].get(customer.pk, []),
            emails=by_pk["emails"].get(customer.pk, []),
            address=by_pk["addresses"].get(customer.pk),
            lookups=lookups,
        )
        full = cols.merge(base, data)
    cleaned, errors = clean_customer_data(full, settings=settings, customer=target, definitions=lookups.definitions)
    for key, messages in errors.items():
        label = cols.column_label(cols.error_column(key), labels) if cols.error_column(key) else "—"
        result.errors += [(label, str(m)) for m in messages]
    if result.errors:
        return
    result.cleaned, result.customer = cleaned, customer
    if customer is None:
        result.action = "create"
        return
    old_phones = [[n, bool(w)] for n, w in by_pk["phones"].get(customer.pk, [])]
    new_phones = [[n, bool(w)] for n, w in cleaned["phones"]]
    old_emails = list(by_pk["emails"].get(customer.pk, []))
    before = {f.attname: getattr(customer, f.attname) for f in _tracked()}
    before.update(phones=old_phones, emails=old_emails)
    after = {**before}
    for name, value in cleaned["fields"].items():
        if _attname(name) in before:
            after[_attname(name)] = _attvalue(value)
    after.update(phones=new_phones, emails=list(cleaned["emails"]))
    result.phones_changed = old_phones != new_phones
    result.emails_changed = old_emails != list(cleaned["emails"])
    lines = describe_changes(Customer, before, after)
    current = by_pk["addresses"].get(customer.pk)
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
            new_text = ", ".join(x for x in (wanted["street"], wanted["unit"], district_name) if x)
            lines.append(f"Dirección principal: {str(current) if current else '—'} → {new_text or '—'}")
    result.note_lines = lines
    result.action = "update" if lines or before != after else "unchanged"


def _tracked():
    return tracked_fields(Customer)


def _attname(name: str) -> str:
    return {"document_type": "document_type_id", "category": "category_id", "customer_class": "customer_class_id"}.get(
        name, name
    )


def _attvalue(value):
    return value.pk if hasattr(value, "_meta") else value


def _mark_repeats(results: list[RowResult]) -> None:
    """The same customer twice in one file: the later rows are errors naming the first."""
    first_by_doc, first_by_email = {}, {}
    for result in results:
        if result.cleaned is None:
            continue
        fields = result.cleaned["fields"]
        key = (fields["document_type"].pk, fields["document_number"]) if fields.get("document_number") else None
        repeat = None
        if key and key in first_by_doc:
            repeat = ("Número de documento", f"El mismo documento ya está en la fila {first_by_doc[key]}.")
        for email in result.cleaned["emails"]:
            if repeat is None and email in first_by_email:
                repeat = ("Correos electrónicos", f"El correo {email} ya está en la fila {first_by_email[email]}.")
        if result.customer is not None and repeat is None:
            marker = ("id", result.customer.pk)
            if marker in first_by_doc:
                repeat = ("—", f"Es el mismo cliente de la fila {first_by_doc[marker]}.")
        if repeat:
            result.errors.append(repeat)
            result.action, result.cleaned = "error", None
            continue
        if key:
            first_by_doc[key] = result.number
        if result.customer is not None:
            first_by_doc[("id", result.customer.pk)] = result.number
        for email in result.cleaned["emails"]:
            first_by_email.setdefault(email, result.number)


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
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.IMPORTING
    )
    if not claimed:
        return job
    job.status = ImportJob.Status.IMPORTING
    with _job_lock(job.pk):
        try:
            with _local_copy(job) as path:
                if _sha256(path) != job.file_sha256:
                    raise ImportRefused("El archivo guardado no es el de la vista previa; súbalo de nuevo.")
                separate = not connection.in_atomic_block
                with transaction.atomic():
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
                    failed = analysis.error_rows
                    if failed and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
                        job.errors = _shown_errors(analysis)
                        job.error_rows = len(failed)
                        raise ImportRefused(
                            f"No se importó nada: {len(failed)} filas tienen errores "
                            "(quizá cambiaron datos desde la vista previa). Revise el reporte."
                        )
                    created, updated = write_rows(analysis, actor=job.created_by, file_name=job.file_name)
        except (spreadsheets.FileRefused, ImportRefused, ValidationError, IntegrityError) as exc:
            job.status, job.message = ImportJob.Status.FAILED, _message(exc)
            if isinstance(exc, IntegrityError):
                job.message = (
                    "Otro usuario guardó datos en conflicto mientras se importaba; no se guardó nada. Reintente."
                )
            if "analysis" in locals() and analysis.error_rows:
                _save_error_report(job, analysis)
            job.finished_at = timezone.now()
            job.save()
            return job
        job.created, job.updated, job.rejected = created, updated, len(failed)
        job.unchanged = analysis.count("unchanged")
        job.rows_done = job.rows_total = len(analysis.rows)
        job.error_rows = len(failed)
        job.errors = _shown_errors(analysis)
        if failed:
            _save_error_report(job, analysis)
        job.status = ImportJob.Status.DONE
        job.message = ""
        job.finished_at = timezone.now()
        job.save()
    return job


def write_rows(analysis: Analysis, *, actor, file_name: str) -> tuple[int, int]:
    """Write the rows to create and update: bulk INSERTs/UPDATEs, then one history record and
    one note per customer. Call inside the transaction that locked the matched customers."""
    user = actor if getattr(actor, "pk", None) else None
    creates = [r for r in analysis.rows if r.action == "create"]
    updates = [r for r in analysis.rows if r.action == "update"]
    now = timezone.now()
    created_ids, updated_ids, new_address_ids, changed_address_ids = [], [], [], []

    for start in range(0, len(creates), CHUNK):
        batch = creates[start : start + CHUNK]
        customers = []
        for result in batch:
            customer = Customer(created_by=user)
            for name, value in result.cleaned["fields"].items():
                setattr(customer, name, value)
            set_list_copies(customer, result.cleaned)
            customers.append(customer)
            result.customer = customer
        Customer.objects.bulk_create(customers, batch_size=500)
        created_ids += [c.pk for c in customers]
        _write_children(batch, replace=False)
        addresses = [_new_address(r) for r in batch if r.cleaned["address"]]
        Address.objects.bulk_create(addresses, batch_size=1_000)
        new_address_ids += [a.pk for a in addresses]

    field_names = [f for f in _UPDATED_FIELDS]
    for start in range(0, len(updates), CHUNK):
        batch = updates[start : start + CHUNK]
        customers = []
        for result in batch:
            customer = result.customer
            for name, value in result.cleaned["fields"].items():
                setattr(customer, name, value)
            set_list_copies(customer, result.cleaned)
            customer.updated_at = now
            # A new version, as every edit makes: a form opened before the import is then
            # refused as stale instead of saving over what the import wrote.
            customer.version += 1
            customers.append(customer)
        update_rows(Customer, customers, field_names)
        updated_ids += [c.pk for c in customers]
        _write_children([r for r in batch if r.phones_changed or r.emails_changed], replace=True)
        changed = [r for r in batch if r.address_changed]
        current = {
            a.customer_id: a
            for a in Address.objects.filter(customer_id__in=[r.customer.pk for r in changed], is_default=True)
        }
        to_update, to_create = [], []
        for result in changed:
            wanted = result.cleaned["address"]
            address = current.get(result.customer.pk)
            if address is None:
                to_create.append(_new_address(result))
                continue
            address.district = wanted["district"]
            address.street, address.unit, address.reference = wanted["street"], wanted["unit"], wanted["reference"]
            address.country = result.customer.country
            to_update.append(address)
        update_rows(Address, to_update, ["district", "street", "unit", "reference", "country"])
        Address.objects.bulk_create(to_create)
        changed_address_ids += [a.pk for a in to_update]
        new_address_ids += [a.pk for a in to_create]

    record_bulk_import(
        created_ids=created_ids,
        updated_ids=updated_ids,
        new_address_ids=new_address_ids,
        changed_address_ids=changed_address_ids,
        actor=actor,
        reason=f"Importado de {file_name}",
    )
    notes = [
        CustomerNote(
            customer_id=r.customer.pk,
            kind=CustomerNote.Kind.IMPORTED,
            author=user,
            text=f"Creado por importación de {file_name}.",
        )
        for r in creates
    ] + [
        CustomerNote(
            customer_id=r.customer.pk,
            kind=CustomerNote.Kind.IMPORTED,
            author=user,
            text="\n".join([f"Actualizado por importación de {file_name}.", *r.note_lines]),
        )
        for r in updates
    ]
    CustomerNote.objects.bulk_create(notes, batch_size=CHUNK)
    return len(created_ids), len(updated_ids)


_UPDATED_FIELDS = [
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
    "registry_status",
    "registry_condition",
    "registry_checked_at",
    "category",
    "customer_class",
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
    "department",
    "updated_at",
    "version",
]


def _new_address(result: RowResult) -> Address:
    wanted = result.cleaned["address"]
    return Address(
        customer_id=result.customer.pk,
        kind=Address.Kind.FISCAL,
        is_default=True,
        district=wanted["district"],
        street=wanted["street"],
        unit=wanted["unit"],
        reference=wanted["reference"],
        country=result.customer.country,
    )


def _write_children(batch: list[RowResult], *, replace: bool) -> None:
    ids = [r.customer.pk for r in batch]
    if replace and ids:
        CustomerPhone.objects.filter(customer_id__in=ids).delete()
        CustomerEmail.objects.filter(customer_id__in=ids).delete()
    phones, emails = [], []
    for result in batch:
        pk = result.customer.pk
        phones += [
            CustomerPhone(customer_id=pk, number=n, whatsapp=w, position=i)
            for i, (n, w) in enumerate(result.cleaned["phones"])
        ]
        emails += [CustomerEmail(customer_id=pk, email=e, position=i) for i, e in enumerate(result.cleaned["emails"])]
    CustomerPhone.objects.bulk_create(phones, batch_size=1_000)
    CustomerEmail.objects.bulk_create(emails, batch_size=1_000)


# --- reports, progress, locks ------------------------------------------------------------------


def _shown_errors(analysis: Analysis) -> list:
    shown = []
    for result in analysis.error_rows:
        for column, message in result.errors:
            shown.append([result.number, column, message])
            if len(shown) >= SHOWN_ERRORS:
                return shown
    return shown


def rejected_rows_xlsx(analysis: Analysis) -> bytes:
    """The rows with errors, as they came, plus a first column with their errors: fix and upload."""
    headers = ["Errores", "Fila", *analysis.headers]
    rows = (
        [
            "; ".join(f"{column}: {message}" if column != "—" else message for column, message in r.errors),
            r.number,
            *[spreadsheets.cell_text(c) if c is not None else None for c in r.raw],
        ]
        for r in analysis.error_rows
    )
    return spreadsheets.xlsx_bytes([("Clientes", headers, rows)])


def _save_error_report(job: ImportJob, analysis: Analysis) -> None:
    base = os.path.splitext(job.file_name)[0][:150]
    job.error_report.save(f"{base}-errores.xlsx", ContentFile(rejected_rows_xlsx(analysis)), save=False)


def _progress(job: ImportJob | None, *, separate: bool) -> Callable:
    """Saves rows read so far on the job where other sessions see it: directly when outside a
    transaction, through a second connection inside the import's own transaction (``separate``;
    not when a caller's transaction holds the job's row, as in tests)."""
    if job is None:
        return lambda done, final=False: None
    state = {"last": 0}

    def report(done: int, final: bool = False):
        if not final and done - state["last"] < PROGRESS_EVERY:
            return
        state["last"] = done
        _set_progress(job.pk, done, separate=separate)

    return report


def _set_progress(job_id: int, done: int, *, separate: bool) -> None:
    if not separate:
        ImportJob.objects.filter(pk=job_id).update(rows_done=done)
        return
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s WHERE id = %s",  # noqa: S608
                [done, job_id],
            )
    except OperationalError:
        pass
    finally:
        other.close()


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


def reap_if_dead(job: ImportJob) -> ImportJob:
    """A job shown as running whose process is gone (killed, the machine restarted): Fallida.
    The process holds the job's advisory lock while it runs; when it can be taken here, nobody
    does. Nothing was written (the write is one transaction)."""
    if job.status not in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING):
        return job
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job.pk])
        (free,) = cursor.fetchone()
        if not free:
            return job
        try:
            started = job.status
            message = (
                "La importación se interrumpió (el proceso se detuvo); no se guardó ningún cliente. Puede reintentarla."
                if started == ImportJob.Status.IMPORTING
                else "La revisión del archivo se interrumpió; vuelva a subirlo."
            )
            new_status = ImportJob.Status.FAILED
            ImportJob.objects.filter(pk=job.pk, status=started).update(
                status=new_status, message=message, finished_at=timezone.now()
            )
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job.pk])
    job.refresh_from_db()
    return job


def is_being_worked_on(job: ImportJob) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job.pk])
        (free,) = cursor.fetchone()
        if free:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job.pk])
    return not free


class _local_copy:
    """The job's stored file as a local path (storage may be remote)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.temp = None

    def __enter__(self) -> str:
        storage = self.job.file.storage
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
