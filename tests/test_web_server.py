"""The web server `manage.py run` starts: gunicorn with a bounded number of threads, each
keeping at most one database connection, so a burst of clients cannot exhaust PostgreSQL's
connections (issue 19, point 8). Timings live in bench/burst.py, not here."""

import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from config.management.commands import run
from tests.roles import user_with_role


def test_run_serves_with_gunicorn_threads_sized_to_the_machine(monkeypatch):
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    command, env = run.web_server_command(host="127.0.0.1", port=8000)
    assert command[1:3] == ["-m", "gunicorn"]
    assert command[command.index("--worker-class") + 1] == "gthread"
    assert int(command[command.index("--workers") + 1]) == max(2, len(os.sched_getaffinity(0)))
    assert int(command[command.index("--threads") + 1]) == run.DEFAULT_THREADS
    assert command[command.index("--bind") + 1] == "127.0.0.1:8000"
    assert env["DEBUG"] == "false"


def test_the_wsgi_application_freezes_what_start_up_built_out_of_the_garbage_collector():
    # config/wsgi.py: gunicorn's processes load it; a full collection then skips those objects.
    script = "import gc, config.wsgi; print(gc.get_freeze_count())"
    frozen = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert int(frozen.stdout.split()[-1]) > 10_000


def test_workers_and_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "6")
    command, _ = run.web_server_command(host="127.0.0.2", port=8001)
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "6"


@pytest.mark.parametrize("value", ["0", "-1", "dos"])
def test_a_nonsense_thread_count_stops_with_a_message(monkeypatch, value):
    monkeypatch.setenv("WEB_THREADS", value)
    with pytest.raises(CommandError, match="WEB_THREADS"):
        run.web_server_command(host="127.0.0.1", port=8000)


def test_the_development_server_only_on_request_and_without_persistent_connections():
    command, env = run.web_server_command(host="127.0.0.1", port=8000, dev_server=True)
    assert "runserver" in command
    assert env["DB_CONN_MAX_AGE"] == "0"


def test_run_starts_gunicorn_unless_the_development_server_is_asked_for(monkeypatch):
    started = {}

    def stop(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(run.time, "sleep", stop)
    for dev_server in (False, True):
        command = run.Command()
        command.children = []
        monkeypatch.setattr(
            command, "_start", lambda name, argv, env, dev=dev_server: started.__setitem__((dev, name), argv)
        )
        with pytest.raises(KeyboardInterrupt):
            command._serve("127.0.0.1", 8000, dev_server=dev_server)
    assert "gunicorn" in started[(False, "web")]
    assert "runserver" in started[(True, "web")]
    assert "db_worker" in started[(False, "worker")]


# --- the real server under a burst ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    params = connection.get_connection_params()
    user = quote(params.get("user") or "")
    password = f":{quote(params['password'])}" if params.get("password") else ""
    host = params.get("host") or ""
    port = params.get("port") or ""
    name = connection.settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{name}?host={quote(host)}"
    return f"postgres://{user}{password}@{host}{f':{port}' if port else ''}/{name}"


def _connections(application: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application])
        return cursor.fetchone()[0]


@pytest.fixture
def signed_in_cookie(transactional_db, reference_data):
    client = Client()
    client.force_login(user_with_role("Ventas"))
    return {"sessionid": client.cookies["sessionid"].value}


def _serve(dev_server: bool, log, **sizes):
    port = _free_port()
    application = f"clientes-test-{uuid.uuid4().hex[:8]}"
    command, env = run.web_server_command(host="127.0.0.1", port=port, dev_server=dev_server, **sizes)
    # libpq names every connection of the server: pg_stat_activity counts exactly them.
    env = {**os.environ, **env, "DATABASE_URL": _database_url(), "PGAPPNAME": application}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/ingresar/", timeout=30)
            break
        except (requests.ConnectionError, requests.Timeout):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("el servidor web no arrancó") from None
            time.sleep(0.2)
    return process, base, application


def _burst(base: str, cookies: dict, *, clients: int, each: int) -> list[int]:
    def one_client(_):
        with requests.Session() as session:
            session.cookies.update(cookies)
            return [session.get(f"{base}/clientes/?q=zz{n}", timeout=60).status_code for n in range(each)]

    with ThreadPoolExecutor(clients) as pool:
        return [status for statuses in pool.map(one_client, range(clients)) for status in statuses]


def test_gunicorn_holds_at_most_one_connection_per_thread_after_a_burst(signed_in_cookie, tmp_path):
    log = (tmp_path / "web.log").open("w")
    process, base, application = _serve(False, log, workers=2, threads=2)
    try:
        statuses = _burst(base, signed_in_cookie, clients=20, each=3)
        assert statuses == [200] * 60
        held = _connections(application)
        # 20 clients at once, and the connections stay within 2 processes × 2 threads,
        # kept for the next requests (CONN_MAX_AGE) rather than opened per request.
        assert 1 <= held <= 4
        # WhiteNoise serves the static files; DEBUG is off (no technical 404 page).
        assert requests.get(f"{base}/static/css/app.css", timeout=10).status_code == 200
        missing = requests.get(f"{base}/no-existe/", cookies=signed_in_cookie, timeout=10)
        assert missing.status_code == 404 and "DEBUG = True" not in missing.text
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_development_server_leaves_no_connection_behind_after_a_burst(signed_in_cookie, tmp_path):
    log = (tmp_path / "web.log").open("w")
    process, base, application = _serve(True, log)
    try:
        statuses = _burst(base, signed_in_cookie, clients=20, each=2)
        assert statuses == [200] * 40
        deadline = time.monotonic() + 10
        while _connections(application) and time.monotonic() < deadline:
            time.sleep(0.1)  # the last request's thread closes its connection as it ends
        assert _connections(application) == 0
    finally:
        process.terminate()
        process.wait(timeout=15)
