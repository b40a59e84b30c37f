"""A worker killed (kill -9) while a large import's parts wait prepared leaves them holding their
customers' row locks. Nobody has to open the import for those customers to be editable again: a
worker starting again resolves them (manage.py db_worker), and so does the next save of such a
customer (customers.access.locked_customer). Transactional tests, as in test_import_parallel."""

import multiprocessing
import os
import signal
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from config.management.commands import db_worker
from customers import access, importing, services, tasks
from customers.models import Customer, ImportJob
from tests.concurrency import wait_until_released
from tests.customers.test_import import company
from tests.customers.test_import_parallel import (  # noqa: F401 - fixtures
    _child,
    _prepared,
    nothing_left_prepared,
    two_connections,
)
from tests.customers.test_import_sheets import preview, workbook
from tests.factories import company_data, make_company
from tests.roles import user_with_role


@pytest.fixture
def admin(transactional_db, reference_data):
    return user_with_role("Administrador")


@pytest.fixture
def lock_waits_end(transactional_db):
    """Without the release, a save would wait for the prepared part forever: an error instead."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '20s'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = DEFAULT")


@pytest.fixture
def worker_signals():
    """db_worker installs its own SIGINT, SIGTERM and SIGQUIT handlers: the test process gets its
    own back afterwards."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def _is_locked(customer) -> bool:
    """Whether another session would have to wait to write the customer."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM customers_customer WHERE id = %s FOR UPDATE SKIP LOCKED", [customer.pk])
            return cursor.fetchone() is None
    finally:
        other.close()


def _run_until_killed(target, *args) -> None:
    """``target(*args)`` in a forked process, which kills itself (SIGKILL) on the way."""
    worker = multiprocessing.get_context("fork").Process(target=target, args=args)
    worker.start()
    worker.join(60)
    if worker.is_alive():
        worker.kill()
        worker.join()
    assert worker.exitcode == -signal.SIGKILL
    # Its sessions end, and their locks go, on the server's time: not yet, maybe, when it returns.
    assert wait_until_released(importing._LOCK_CLASS)


def _killed_with_a_customer_locked(admin, where: str, *, look: bool = True):
    """An import that updates a registered customer (and creates six), its worker killed with both
    parts prepared: before its decision was recorded, or after it."""
    existing = make_company(business_name="Antigua S.A.C.")
    rows = [company(ruc=existing.document_number, name="Nueva S.A.C.")]
    rows += [company(name=f"Empresa {n} S.A.") for n in range(6)]
    job = importing.confirm_import(actor=admin, job=preview(admin, workbook(rows)), mode="todo")
    _run_until_killed(_child, job.pk, where)
    if look:  # (not while a running worker may already be resolving them)
        assert len(_prepared()) == 2 and _is_locked(existing)
    return job, existing


@pytest.mark.parametrize(
    ("where", "status", "name"),
    [
        ("prepared, undecided", "fallida", "Antigua S.A.C."),
        ("decided", "terminada", "Nueva S.A.C."),
    ],
)
def test_a_worker_starting_again_releases_what_a_killed_worker_left_locked(
    admin, settings, worker_signals, where, status, name
):
    job, existing = _killed_with_a_customer_locked(admin, where)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert _prepared() == [] and not _is_locked(existing)
    assert ImportJob.objects.get(pk=job.pk).status == status
    existing.refresh_from_db()
    assert existing.name == name


def test_a_worker_starting_again_marks_failed_an_import_a_killed_worker_left_running(admin, settings, worker_signals):
    rows = [company(name=f"Empresa {n} S.A.") for n in range(3)]
    job = importing.confirm_import(actor=admin, job=preview(admin, workbook(rows)), mode="todo")
    # What a kill -9 before the parts prepared leaves: the job importing, nothing written, no lock.
    ImportJob.objects.filter(pk=job.pk).update(status="importando")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    job.refresh_from_db()
    assert job.status == "fallida" and "Puede reintentarla" in job.message


def test_a_running_worker_releases_what_another_killed_worker_left_locked(admin, settings, monkeypatch, worker_signals):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(db_worker, "CHECK_EVERY_SECONDS", 0.2)
    seen = {}

    def other_worker_killed():
        """While the worker runs (here, in the main thread: it installs signal handlers)."""
        try:
            deadline = time.monotonic() + 30
            while "worker-abandoned-imports" not in {t.name for t in threading.enumerate()}:
                assert time.monotonic() < deadline, "the worker never started its checks"
                time.sleep(0.05)
            job, existing = _killed_with_a_customer_locked(admin, "prepared, undecided", look=False)
            deadline = time.monotonic() + 30  # a generous bound, only so that a failure ends
            # The worker rolls the parts back, then marks the job: wait for both.
            while (_prepared() or ImportJob.objects.get(pk=job.pk).status == "importando") and (
                time.monotonic() < deadline
            ):
                time.sleep(0.1)
            seen.update(left=_prepared(), locked=_is_locked(existing), status=ImportJob.objects.get(pk=job.pk).status)
        finally:
            tasks.preview_import.enqueue(job_id=0)  # a task for the worker, which then stops (--max-tasks 1)
            connection.close()

    helper = threading.Thread(target=other_worker_killed)
    helper.start()
    try:
        call_command(
            "db_worker", "--max-tasks", "1", "--interval", "0.1", "--no-startup-delay", "--no-reload", verbosity=0
        )
    finally:
        helper.join()
        db_worker._stop.set()  # the checks of a worker process end with it; here, with the test
        for thread in threading.enumerate():
            if thread.name == "worker-abandoned-imports":
                thread.join()

    assert seen == {"left": [], "locked": False, "status": "fallida"}


def test_saving_a_customer_a_killed_worker_left_locked_releases_it_first(admin, lock_waits_end):
    job, existing = _killed_with_a_customer_locked(admin, "prepared, undecided")

    services.update_customer(
        actor=admin,
        customer=existing,
        data=company_data(document_number=existing.document_number, business_name="Editada S.A.C."),
    )

    existing.refresh_from_db()
    assert existing.name == "Editada S.A.C."
    assert _prepared() == []
    job.refresh_from_db()
    assert job.status == "fallida" and "Puede reintentarla" in job.message
    # Retried, the import reports the row of the customer edited since its preview, not overwrite it.
    job = importing.run_import(importing.retry_import(actor=admin, job=job).pk)
    assert job.status == "fallida" and [row for row, *_ in job.errors] == [2], job.errors
    assert Customer.objects.get(pk=existing.pk).name == "Editada S.A.C."


def test_a_save_gives_up_with_a_message_while_a_live_import_keeps_the_customer(admin, lock_waits_end, monkeypatch):
    job, existing = _killed_with_a_customer_locked(admin, "prepared, undecided")
    monkeypatch.setattr(access, "PREPARED_WAIT_MS", 200)
    live = connection.copy()  # a worker still at it: it holds the job's lock
    try:
        with live.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [importing._LOCK_CLASS, job.pk])
        with pytest.raises(ValidationError) as refused:
            services.update_customer(
                actor=admin,
                customer=existing,
                data=company_data(document_number=existing.document_number, business_name="Editada S.A.C."),
            )
        assert refused.value.messages == [access.STILL_LOCKED_MESSAGE]
        assert len(_prepared()) == 2  # a live import's parts are its own to finish
    finally:
        live.close()
    assert wait_until_released(importing._LOCK_CLASS)  # the worker gone (its session ends on the server's time)
    importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))
    assert _prepared() == []
    assert Customer.objects.get(pk=existing.pk).name == "Antigua S.A.C."


def test_a_save_with_no_transaction_prepared_takes_the_lock_in_one_statement(admin, django_assert_num_queries):
    customer = make_company()
    with transaction.atomic(), django_assert_num_queries(1):
        assert access.locked_customer(customer).pk == customer.pk


def _worker_killed_in_its_task(where: str) -> None:
    """manage.py db_worker in a forked process (its own connections), which picks the queued
    import and is killed (SIGKILL) in it at ``where``."""
    from django.db import connections

    for parents in list(connections.all(initialized_only=True)):
        connections[parents.alias] = parents.copy()

    def die(*args):
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "before writing":
        importing._sha256 = die
    else:  # "prepared, undecided"
        importing._with_cells = die
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.parametrize("where", ["before writing", "prepared, undecided"])
def test_the_task_row_a_killed_worker_left_running_fails_with_its_import_and_a_retry_runs(
    admin, settings, worker_signals, where
):
    # django-tasks-db never looks again at a task whose worker died: without this, the admin's
    # Task results listed it as running for ever (and its pruning never deleted it).
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    rows = [company(name=f"Empresa {n} S.A.") for n in range(3)]
    job = importing.confirm_import(actor=admin, job=preview(admin, workbook(rows)), mode="todo")
    tasks.run_import.enqueue(job_id=job.pk)
    _run_until_killed(_worker_killed_in_its_task, where)
    task = DBTaskResult.objects.get()
    assert (task.status, task.args_kwargs["kwargs"]) == ("RUNNING", {"job_id": job.pk})
    assert ImportJob.objects.get(pk=job.pk).status == "importando"

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)  # it starts again

    job.refresh_from_db()
    task.refresh_from_db()
    assert job.status == "fallida" and "Puede reintentarla" in job.message
    assert (task.status, task.exception_class_path) == ("FAILED", "peru.lost_tasks.WorkerLost")
    assert task.finished_at is not None and f"importación #{job.pk}" in task.traceback
    assert task.task_result.errors[0].exception_class is importing.WorkerLost

    importing.retry_import(actor=admin, job=job)
    tasks.run_import.enqueue(job_id=job.pk)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.created) == ("terminada", 3)
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]


def test_the_import_tasks_are_the_ones_whose_lost_rows_are_failed():
    assert {tasks.preview_import.module_path, tasks.run_import.module_path} == set(importing.TASK_PATHS)
