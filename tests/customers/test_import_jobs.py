"""An import job's life against races and killed workers: a look at a live job never marks it
Fallida, and a job whose worker died is never shown «En cola» or «Importando» for ever.
Transactional tests: the job's status and its lock are seen from other connections."""

import os
import re
import signal
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from customers import importing, tasks
from customers.models import Customer, ImportJob
from peru import lost_tasks
from tests.concurrency import wait_until_released
from tests.customers.test_import import company
from tests.customers.test_import_leftovers import _run_until_killed, worker_signals  # noqa: F401 - a fixture
from tests.customers.test_import_sheets import workbook
from tests.roles import user_with_role


@pytest.fixture
def admin(transactional_db, reference_data):
    return user_with_role("Administrador")


@pytest.fixture
def tasks_db(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _looked_at_elsewhere(job_id: int) -> str:
    """reap_if_dead from another connection (a page opening the job), as it answers."""
    seen = {}

    def look():
        try:
            seen["status"] = importing.reap_if_dead(ImportJob.objects.get(pk=job_id)).status
        finally:
            connection.close()

    other = threading.Thread(target=look)
    other.start()
    other.join()
    return seen["status"]


class _LookRightAfter:
    """An execute wrapper: right after the statement that marks the job ``status``, someone
    looks at the job from another connection; what they saw goes to ``seen``."""

    def __init__(self, job_id: int, status: str):
        self.job_id, self.status, self.seen = job_id, status, []

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE") and self.status in (params or ()):
            self.seen.append(_looked_at_elsewhere(self.job_id))
        return result


def _job(admin, rows=3) -> ImportJob:
    content = workbook([company(name=f"Empresa {n} S.A.") for n in range(rows)])
    return importing.start_import(actor=admin, upload=SimpleUploadedFile("clientes.xlsx", content))


def test_a_look_at_a_preview_just_started_does_not_take_it_for_a_dead_one(admin):
    job = _job(admin)
    look = _LookRightAfter(job.pk, ImportJob.Status.CHECKING)

    with connection.execute_wrapper(look):
        job = importing.preview_import(job.pk)

    assert look.seen == [ImportJob.Status.CHECKING]
    assert job.status == ImportJob.Status.READY
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.READY


def test_a_look_at_an_import_just_started_does_not_take_it_for_a_dead_one(admin):
    job = importing.preview_import(_job(admin).pk)
    job = importing.confirm_import(actor=admin, job=job, mode="todo")
    look = _LookRightAfter(job.pk, ImportJob.Status.IMPORTING)

    with connection.execute_wrapper(look):
        job = importing.run_import(job.pk)

    assert look.seen == [ImportJob.Status.IMPORTING]
    job.refresh_from_db()
    assert (job.status, job.created, job.message) == (ImportJob.Status.DONE, 3, "")


# --- a worker killed after taking the job's task, before the task took the job ---------------


def _queued(admin) -> ImportJob:
    job = importing.preview_import(_job(admin).pk)
    return importing.confirm_import(actor=admin, job=job, mode="todo")


def _claimed_by(worker_id: str) -> DBTaskResult:
    """What a worker leaves once it has claimed the task: its row RUNNING, in its name."""
    row = DBTaskResult.objects.filter(status="READY").first()
    row.claim(worker_id)
    return row


def test_a_queued_import_whose_worker_died_after_taking_its_task_fails_and_can_be_retried(admin, tasks_db):
    job = _queued(admin)
    tasks.run_import.enqueue(job_id=job.pk)
    row = _claimed_by("gone")  # and the worker killed before run_import took the job's lock

    job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))

    assert job.status == ImportJob.Status.FAILED and "Puede reintentarla" in job.message
    row.refresh_from_db()
    assert (row.status, row.exception_class_path) == ("FAILED", lost_tasks.WORKER_LOST)
    assert f"importación #{job.pk}" in row.traceback
    job = importing.run_import(importing.retry_import(actor=admin, job=job).pk)
    assert (job.status, job.created) == (ImportJob.Status.DONE, 3)
    assert Customer.objects.count() == 3


def test_a_queued_import_whose_task_a_live_worker_just_took_is_left_queued(admin, tasks_db):
    job = _queued(admin)
    tasks.run_import.enqueue(job_id=job.pk)
    row = _claimed_by("alive")

    with lost_tasks.worker_lock("alive"):  # the worker lives, between its claim and the job's lock
        job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))
        importing.reap_dead_jobs()

    assert job.status == ImportJob.Status.QUEUED
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_queued_import_with_its_task_still_to_run_is_left_queued(admin, tasks_db):
    job = _queued(admin)
    tasks.run_import.enqueue(job_id=job.pk)
    tasks.run_import.enqueue(job_id=job.pk)  # (twice: one lost, one waiting for a worker)
    _claimed_by("gone")

    job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))

    assert job.status == ImportJob.Status.QUEUED


def test_a_preview_whose_worker_died_after_taking_its_task_fails(admin, tasks_db):
    job = _job(admin)
    tasks.preview_import.enqueue(job_id=job.pk)
    _claimed_by("gone")

    job = importing.reap_if_dead(ImportJob.objects.get(pk=job.pk))

    assert job.status == ImportJob.Status.FAILED and "vuelva a subirlo" in job.message


def _worker_killed_when_its_task_starts() -> None:
    """manage.py db_worker in a forked process (its own connections), killed (SIGKILL) as soon as
    the import's task starts: the task row claimed, the job untouched."""
    for parents in list(connections.all(initialized_only=True)):
        connections[parents.alias] = parents.copy()
    importing.run_import = lambda job_id: os.kill(os.getpid(), signal.SIGKILL)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.usefixtures("worker_signals")
def test_a_worker_killed_as_it_takes_an_import_leaves_it_failed_not_queued_for_ever(admin, tasks_db):
    job = _queued(admin)
    tasks.run_import.enqueue(job_id=job.pk)
    _run_until_killed(_worker_killed_when_its_task_starts)
    assert wait_until_released(lost_tasks.WORKER_LOCK_CLASS)  # (its sessions end on the server's time)
    assert DBTaskResult.objects.get().status == "RUNNING"
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)  # one starts again

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Puede reintentarla" in job.message
    assert DBTaskResult.objects.get().exception_class_path == lost_tasks.WORKER_LOST
    importing.retry_import(actor=admin, job=job)
    tasks.run_import.enqueue(job_id=job.pk)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 3)
    assert Customer.objects.count() == 3


# --- the history page ------------------------------------------------------------------------


def _history(client) -> str:
    html = client.get(reverse("customers:import")).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_history_shows_failed_an_import_whose_worker_was_killed(client, admin):
    client.force_login(admin)
    job = _queued(admin)
    # What a kill -9 while it imported leaves: the job importing, nothing written, no lock.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)

    assert "Fallida" in _history(client) and "Importando" not in _history(client)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED


def test_the_history_looks_at_its_running_jobs_in_one_query(client, admin):
    client.force_login(admin)
    jobs = [_job(admin, rows=1) for _ in range(4)]
    live = connection.copy()  # the workers of the running ones, alive
    try:
        with live.cursor() as cursor:
            for job in jobs:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [importing._LOCK_CLASS, job.pk])
        ImportJob.objects.filter(pk=jobs[0].pk).update(status=ImportJob.Status.IMPORTING)
        with CaptureQueriesContext(connection) as one_running:
            assert _history(client).count("Importando") == 1
        ImportJob.objects.update(status=ImportJob.Status.IMPORTING)
        with CaptureQueriesContext(connection) as all_running:
            assert _history(client).count("Importando") == 4
    finally:
        live.close()
    assert len(all_running.captured_queries) == len(one_running.captured_queries)
