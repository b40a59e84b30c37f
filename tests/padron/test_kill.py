"""kill -9 of the worker in the middle of a load: the previous padrón stays in use, nothing
of the new one is left, and the load can be retried (a real process, killed for real)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from padron import loading, queries, services
from padron.models import PadronLoad
from padron.sample import write_padron
from tests.padron.conftest import GLORIA

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, for the worker process (the embedded server's socket, or DATABASE_URL's host)."""
    params = connection.get_connection_params()
    user = quote(params.get("user") or "")
    password = f":{quote(params['password'])}" if params.get("password") else ""
    host, port = params.get("host") or "", f":{params['port']}" if params.get("port") else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@{port}/{params['dbname']}?host={quote(host)}"
    return f"postgres://{user}{password}@{host}{port}/{params['dbname']}"


@pytest.fixture
def clean_padron(transactional_db):
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE padron_taxpayer")
        cursor.execute("DROP TABLE IF EXISTS padron_taxpayer_new")


def test_kill_9_mid_load_keeps_the_previous_padron_and_the_load_retryable(clean_padron, padron_path, tmp_path):
    previous = services.load_path(str(padron_path()), file_date=date(2026, 11, 1))
    big = tmp_path / "nuevo.txt"
    write_padron(big, 20_000, seed=11)
    load = PadronLoad.objects.create(source=PadronLoad.Source.PATH, file_name=str(big), original_name="nuevo.txt")

    env = {**os.environ, "DATABASE_URL": database_url(), "CLIENTES_SKIP_VENV": "1"}
    worker = subprocess.Popen([sys.executable, str(ROOT / "tests/padron/worker_for_kill.py"), str(load.pk)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            load.refresh_from_db()
            if load.lines_read > 2_000 or worker.poll() is not None:
                break
            time.sleep(0.05)
        assert worker.poll() is None, "the worker ended before it could be killed"
        assert load.status == PadronLoad.Status.RUNNING and queries.load_is_running()
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    # PostgreSQL ends the dead worker's session: its transaction and its lock go with it.
    deadline = time.monotonic() + 30
    while queries.load_is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    load.refresh_from_db()
    assert queries.is_interrupted(load)
    assert queries.current_load() == previous
    assert queries.find_taxpayer(GLORIA).name == "GLORIA S A"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('padron_taxpayer_new')")
        assert cursor.fetchone() == (None,)

    retried = services.retry_load(actor=None, load=load)
    done = loading.run_load(retried.pk)
    assert done.status == PadronLoad.Status.DONE and done.attempts == 2
    assert done.taxpayer_count == 20_000 and queries.current_load() == done
