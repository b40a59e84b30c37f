"""Task rows a killed worker left RUNNING (peru.lost_tasks): told from a live worker's by the
lock each worker holds while it lives, and failed with WorkerLost when a worker starts
(config's db_worker) — the padrón's and the attributes' tasks, which have no job to reap."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from attributes import indexes
from attributes import tasks as attribute_tasks
from padron import tasks as padron_tasks
from peru import lost_tasks
from tests.customers.test_import_leftovers import worker_signals  # noqa: F401 - a fixture


@pytest.fixture
def tasks_db(settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _claimed(task, worker_id: str, **kwargs) -> DBTaskResult:
    row = DBTaskResult.objects.get(pk=task.enqueue(**kwargs).id)
    row.claim(worker_id)
    return row


def test_a_row_is_lost_only_when_its_worker_holds_no_lock(tasks_db):
    gone = _claimed(attribute_tasks.sync_attribute_index, "gone", definition_id=1)
    alive = _claimed(attribute_tasks.sync_attribute_index, "alive", definition_id=2)
    waiting = DBTaskResult.objects.get(pk=attribute_tasks.sync_attribute_index.enqueue(definition_id=3).id)

    with lost_tasks.worker_lock("alive"):
        assert list(lost_tasks.lost(DBTaskResult.objects.all())) == [gone]
    assert set(lost_tasks.lost(DBTaskResult.objects.all())) == {gone, alive}
    assert waiting.status == "READY"


@pytest.mark.usefixtures("worker_signals")
def test_a_worker_starting_fails_the_rows_killed_workers_left_running(tasks_db):
    index = _claimed(attribute_tasks.sync_attribute_index, "gone", definition_id=1)
    refresh = _claimed(padron_tasks.refresh_customers, "gone too", load_id=1)
    running = _claimed(padron_tasks.refresh_customers, "alive", load_id=2)

    with lost_tasks.worker_lock("alive"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    for row in (index, refresh, running):
        row.refresh_from_db()
    assert (index.status, index.exception_class_path) == ("FAILED", lost_tasks.WORKER_LOST)
    assert (refresh.status, refresh.exception_class_path) == ("FAILED", lost_tasks.WORKER_LOST)
    assert index.finished_at is not None and "se detuvo" in index.traceback
    assert index.task_result.errors[0].exception_class is lost_tasks.WorkerLost
    assert running.status == "RUNNING"


@pytest.mark.usefixtures("worker_signals")
def test_a_row_a_worker_is_running_is_not_lost(tasks_db, monkeypatch):
    seen = []

    def sync_index(definition_id):
        """While the worker runs the task: its row RUNNING, in its name."""
        running = DBTaskResult.objects.filter(status="RUNNING")
        seen.append((list(running.values_list("worker_ids", flat=True)), lost_tasks.lost(running).exists()))
        return "created"

    monkeypatch.setattr(indexes, "sync_index", sync_index)
    attribute_tasks.sync_attribute_index.enqueue(definition_id=1)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w-1", verbosity=0)

    assert seen == [([["w-1"]], False)]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
