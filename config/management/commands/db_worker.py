"""django-tasks-db's worker (``manage.py db_worker``, what ``manage.py run`` starts), which also
finishes what a killed worker left behind.

A large confirmed import writes in parts that wait prepared (two-phase commit,
customers.import_parallel) between its last write and its commit. A worker killed in that moment
leaves them prepared, holding the row locks of every customer they updated and the places in the
unique indexes of every customer they created: nobody could save those customers until someone
opened the import or started another one. So a worker resolves them — committed when the import
had decided to commit, else rolled back and its job Fallida, ready to retry — when it starts (a
supervisor restarting the killed worker, the next ``manage.py run``) and every CHECK_EVERY_SECONDS
while it runs (another worker was killed: several may run, on any host).

A worker starting, and every CHECK_EVERY_SECONDS, also marks Fallida the jobs a killed worker left
«Importando» or «Revisando», or «En cola» when it died just after taking their task
(customers.importing.reap_dead_jobs), as opening them would; and the other task rows a killed
worker left RUNNING (the padrón's, the attributes' indexes) FAILED with WorkerLost. Each worker
holds a lock named after its worker id for as long as it lives (peru.lost_tasks), which is how
a task row's worker is known to be gone.

This command takes the name of django-tasks-db's (the ``config`` app comes before it in
INSTALLED_APPS), so every way of starting the worker does it.
"""

import logging
import os
import threading

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as TaskWorkerCommand
from django_tasks_db.models import DBTaskResult

from customers.importing import TASK_PATHS, reap_dead_jobs
from peru import lost_tasks

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 10
# Held while a check runs, and by a fork (the import's preview forks its helpers from the worker):
# a forked child never starts with the check's connection in the middle of a statement.
_checking = threading.Lock()
_fork_guard_registered = False
_stop = threading.Event()  # set only by tests: the checks end with the worker's process


class Command(TaskWorkerCommand):
    help = TaskWorkerCommand.help + " (and resolving the imports a killed worker left half committed)"

    def handle(self, *args, **options):
        reap_lost_work()
        close_old_connections()
        if not options.get("batch"):
            _start_checks()
        with lost_tasks.worker_lock(options["worker_id"]):
            return super().handle(*args, **options)


def reap_lost_work() -> None:
    """What killed workers left: the imports' jobs (with their task rows), then every other task
    row whose worker is gone (the imports' own are left to reap_dead_jobs, which fails them with
    their job)."""
    reap_dead_jobs()
    others = DBTaskResult.objects.exclude(task_path__in=TASK_PATHS)
    lost_tasks.fail_tasks(lost_tasks.lost(others), see="Vuelva a encolar la tarea si aún hace falta.")


def _start_checks() -> None:
    global _fork_guard_registered
    if not _fork_guard_registered:
        os.register_at_fork(
            before=_checking.acquire, after_in_parent=_checking.release, after_in_child=_checking.release
        )
        _fork_guard_registered = True
    _stop.clear()
    threading.Thread(target=_check_forever, name="worker-abandoned-imports", daemon=True).start()


def _check_forever() -> None:
    while not _stop.wait(CHECK_EVERY_SECONDS):
        with _checking:
            try:
                with connection.cursor() as cursor:
                    # Never a long wait here (a fork waits for the check): a lock not had at once is
                    # left to the next check.
                    cursor.execute("SET lock_timeout = '5s'")
                reap_lost_work()
            except Exception:  # noqa: BLE001 - the next check tries again (the database may be restarting)
                logger.exception("No se pudieron resolver las importaciones abandonadas")
            finally:
                connection.close()  # no connection kept between checks (nor inherited by a fork)
