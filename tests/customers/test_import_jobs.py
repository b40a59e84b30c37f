"""An import job's life against races and killed workers: a look at a live job never marks it
Fallida, and a job whose worker died is never shown «En cola» or «Importando» for ever.
Transactional tests: the job's status and its lock are seen from other connections."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from customers import importing
from customers.models import ImportJob
from tests.customers.test_import import company
from tests.customers.test_import_sheets import workbook
from tests.roles import user_with_role


@pytest.fixture
def admin(transactional_db, reference_data):
    return user_with_role("Administrador")


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
