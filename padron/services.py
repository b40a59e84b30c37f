"""Starting and retrying loads of SUNAT's padrón reducido del RUC (PadronLoad): from the
Cargar padrón page (an upload through Django's storage, or a file already in storage), which
queues the worker's task (padron.tasks), or from `manage.py load_padron FILE`, which loads in
its own process. The load itself is padron.loading; one runs at a time.
"""

import os
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction

from padron import loading, queries, tasks
from padron.models import PadronLoad
from peru import lost_tasks

PERMISSION = "padron.load_padron"
EXTENSIONS = (".zip", ".txt")
_START_LOCK = 7_420_021


def _require(actor) -> None:
    if actor is not None and not actor.has_perm(PERMISSION):
        raise PermissionDenied


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- starting and retrying -------------------------------------------------------------------


def stored_files() -> list[str]:
    """Padrón files already in the storage folder (put there by hand or by an earlier upload)."""
    try:
        _, files = default_storage.listdir(settings.PADRON_STORAGE_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return []
    return sorted(f"{settings.PADRON_STORAGE_DIR}/{name}" for name in files if name.lower().endswith(EXTENSIONS))


def start_load(*, actor, upload=None, storage_name: str = "") -> PadronLoad:
    """Queue a load of an uploaded file (saved through Django's storage) or of a file already
    in the storage folder. One load at a time."""
    _require(actor)
    if (upload is None) == (not storage_name):
        raise ValidationError("Suba el archivo del padrón o elija uno ya guardado.")
    if upload is not None:
        original = Path(upload.name or "").name
        extension = Path(original).suffix.lower()
        if extension not in EXTENSIONS:
            raise ValidationError(
                {
                    "file": [
                        f"«{original}» no es el padrón: suba el .zip que descargó de SUNAT (o el .txt que contiene)."
                    ]
                }
            )
        if not upload.size:
            raise ValidationError({"file": [f"«{original}» está vacío."]})
        if upload.size > settings.PADRON_MAX_BYTES:
            raise ValidationError({"file": [f"«{original}» pesa más de lo que el padrón puede pesar."]})
    elif storage_name not in stored_files():
        raise ValidationError({"storage_name": ["Ese archivo ya no está en la carpeta del padrón."]})

    saved = ""
    if upload is not None:
        # In a folder of their own: the page lists the files put in PADRON_STORAGE_DIR by hand.
        name = f"{settings.PADRON_STORAGE_DIR}/subidos/{uuid.uuid4().hex}{extension}"
        saved = default_storage.save(name, upload)
    try:
        with transaction.atomic():
            _one_at_a_time()
            load = PadronLoad.objects.create(
                source=PadronLoad.Source.UPLOAD if upload is not None else PadronLoad.Source.STORAGE,
                file_name=saved or storage_name,
                original_name=original if upload is not None else Path(storage_name).name,
                file_size=upload.size if upload is not None else _storage_size(storage_name),
                created_by=_user(actor),
            )
            _enqueue_load(load)
    except Exception:
        if saved:
            default_storage.delete(saved)
        raise
    return load


def _one_at_a_time(*, besides: PadronLoad | None = None) -> None:
    """Refuse while another load is queued or running (an interrupted one does not count).
    The transaction's advisory lock makes two simultaneous starts take turns."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_START_LOCK])
    others = PadronLoad.objects.filter(status__in=[PadronLoad.Status.QUEUED, PadronLoad.Status.RUNNING])
    if besides is not None:
        others = others.exclude(pk=besides.pk)
    if any(not queries.is_interrupted(other) for other in others):
        raise ValidationError("Ya hay una carga del padrón en curso: espere a que termine.")


def _storage_size(name: str) -> int:
    try:
        return default_storage.size(name)
    except (OSError, NotImplementedError):
        return 0


def _enqueue_load(load: PadronLoad) -> None:
    transaction.on_commit(lambda: tasks.load_padron.enqueue(load_id=load.pk))


def retry_load(*, actor, load: PadronLoad) -> PadronLoad:
    """Queue again a load that failed or was interrupted (its worker died), from its file."""
    _require(actor)
    with transaction.atomic():
        _one_at_a_time(besides=load)
        load = PadronLoad.objects.select_for_update().get(pk=load.pk)
        if load.status == PadronLoad.Status.DONE:
            raise ValidationError("Esa carga ya terminó.")
        if load.status == PadronLoad.Status.RUNNING and queries.load_is_running():
            raise ValidationError("Esa carga sigue en curso.")
        if not _source_exists(load):
            raise ValidationError("El archivo de esa carga ya no está: súbalo de nuevo.")
        # The task row its killed worker left RUNNING, if any: FAILED, as the worker would have.
        lost_tasks.fail_tasks(lost_tasks.lost(queries.load_tasks(load)), see=f"Vea la carga del padrón #{load.pk}.")
        load.status, load.message, load.phase = PadronLoad.Status.QUEUED, "", ""
        load.save(update_fields=["status", "message", "phase"])
        _enqueue_load(load)
    return load


def _source_exists(load: PadronLoad) -> bool:
    if load.source == PadronLoad.Source.PATH:
        return os.path.isfile(load.file_name)
    return default_storage.exists(load.file_name)


def load_path(path: str, *, actor=None, file_date: date | None = None, report=None) -> PadronLoad:
    """`manage.py load_padron FILE`: load a file of this machine now, in this process."""
    _require(actor)
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ValidationError(f"No existe el archivo {path}.")
    with transaction.atomic():
        _one_at_a_time()
        load = PadronLoad.objects.create(
            source=PadronLoad.Source.PATH,
            file_name=path,
            original_name=os.path.basename(path),
            file_size=os.path.getsize(path),
            file_date=file_date,
            created_by=_user(actor),
        )
    load = loading.run_load(load.pk, report=report)
    if load.status == PadronLoad.Status.DONE:
        tasks.refresh_customers.enqueue(load_id=load.pk)
    return load
