"""Background task rows (django-tasks-db) whose worker is gone.

django-tasks-db marks a row RUNNING when a worker claims it and never looks at it again: a
worker killed (kill -9, out of memory, the machine restarted) leaves it RUNNING for ever — the
admin's Task results list it as running and prune_db_task_results never deletes it — and the
job it was about to start waits «En cola» for ever. So:

- every worker (config's db_worker) holds, for as long as its process lives, a session advisory
  lock named after its worker id, on a connection of its own (``worker_lock``): PostgreSQL
  releases it when the process dies, whichever host it ran on;
- a RUNNING row whose worker (the last of its ``worker_ids``) holds no such lock was lost
  (``lost``), even if its task never got as far as its job's own lock;
- ``fail_tasks`` marks such rows FAILED with WorkerLost, which the admin shows.

The apps call these where they reap their own jobs (customers.importing, padron.services)."""

import logging
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import BooleanField, Func, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

WORKER_LOCK_CLASS = 0x7A5C  # advisory lock namespace of task workers: (class, hashtext(worker id))


class WorkerLost(Exception):  # noqa: N818 - named as the admin shows it: what happened
    """The process running the task stopped (kill -9, the machine restarted) before it ended."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


@contextmanager
def worker_lock(worker_id: str):
    """The worker ``worker_id`` shown alive while the block runs (a connection of its own, which
    nothing else uses nor closes: a forked child leaves it alone, and it dies with the process)."""
    holder = connections[DEFAULT_DB_ALIAS].copy()
    held = False
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [WORKER_LOCK_CLASS, worker_id])
            held = cursor.fetchone()[0]
            if not held:
                logger.warning("Otro worker usa el identificador %s: dé uno distinto a cada uno", worker_id)
        yield
    finally:
        # Closing the connection ends its server process a moment later, and the lock with it: a
        # worker that stops cleanly lets go of it now, so that nobody sees it alive after it ended.
        if held:
            try:
                with holder.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [WORKER_LOCK_CLASS, worker_id])
            except DatabaseError:
                logger.warning("No se pudo soltar el bloqueo del worker %s; se suelta al cerrar", worker_id)
        holder.close()


def lock_free_sql(key1: str, key2: str) -> str:
    """SQL true when no session of this database holds the advisory lock (key1, key2), two SQL
    int4 expressions (pg_locks shows them as classid and objid, objsubid 2). Reads pg_locks:
    takes no lock, so it can be asked of many rows in one query."""
    # The keys are the callers' SQL expressions (constants, columns), never input.
    return (
        "NOT EXISTS (SELECT 1 FROM pg_locks held WHERE held.locktype = 'advisory' AND held.granted"  # noqa: S608
        " AND held.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        f" AND held.classid = ({key1})::oid AND held.objid = ({key2})::oid AND held.objsubid = 2)"
    )


class WorkerGone(Func):
    """True when the worker of a task row (the last of its jsonb worker_ids) holds no lock."""

    template = lock_free_sql(str(WORKER_LOCK_CLASS), "hashtext(%(expressions)s ->> -1)")
    output_field = BooleanField()


def lost(rows: QuerySet) -> QuerySet:
    """The rows of ``rows`` left RUNNING by a worker that is gone."""
    return rows.filter(WorkerGone("worker_ids"), status=TaskResultStatus.RUNNING)


def fail_tasks(rows: QuerySet, *, see: str) -> int:
    """The RUNNING rows of ``rows`` (whose process the caller found gone): FAILED with WorkerLost,
    the traceback saying where to look (``see``, in Spanish). Returns how many."""
    ids = list(rows.filter(status=TaskResultStatus.RUNNING).values_list("pk", flat=True))
    if not ids:
        return 0
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=WORKER_LOST,
        traceback=(
            f"{WORKER_LOST}: el proceso que ejecutaba la tarea se detuvo antes de terminarla (kill -9, reinicio). {see}"
        ),
    )
