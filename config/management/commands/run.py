"""`python3 manage.py run`: everything a fresh machine needs, then the app on http://127.0.0.1:8000.

Starts the embedded PostgreSQL (unless DATABASE_URL is set), applies migrations, creates the
cache table, loads the reference data, loads the demo data and creates an administrator the
first time, then runs the task worker and the web server until Ctrl-C, which stops all of it,
database included.
"""

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections

from config import embedded
from customers.roles import ADMINISTRADOR

ADMIN_USERNAME = "admin"
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    """In each child, before it starts: Ctrl-C handling back to normal (a shell that started
    `run` in the background left SIGINT ignored), and SIGTERM if `run` itself is killed
    (kill -9), so no orphan keeps the port."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc)


class Command(BaseCommand):
    help = "Arranca Clientes completo: base de datos, migraciones, datos, tareas y servidor web."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="No cargar los clientes de demostración.")

    def handle(self, *args, host, port, no_demo, **options):
        self.data_dir = embedded.DATA_ROOT
        self.children: list[tuple[str, subprocess.Popen]] = []
        # Explicit: a shell that starts us in the background sets SIGINT to "ignore".
        signal.signal(signal.SIGINT, self._interrupt)
        signal.signal(signal.SIGTERM, self._interrupt)
        try:
            self._take_run_lock(host, port)
            self._check_port_free(host, port)
            self._prepare_database(no_demo)
            self._serve(host, port)
        except KeyboardInterrupt:
            pass
        except CommandError:
            raise
        except (OSError, DatabaseError) as exc:
            if _is_disk_full(exc):
                raise CommandError(
                    f"El disco está lleno ({exc}). Libere espacio y vuelva a ejecutar "
                    "`python3 manage.py run`: los datos guardados no se pierden."
                ) from None
            raise
        finally:
            self._shutdown()

    def _interrupt(self, signum, frame):
        raise KeyboardInterrupt

    # --- before starting ---------------------------------------------------------------

    def _take_run_lock(self, host: str, port: int) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "run.lock"
        self._lock_file = open(path, "a+")  # noqa: SIM115  (held open for the whole run)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.seek(0)
            other = self._lock_file.read().strip() or "?"
            raise CommandError(
                f"Clientes ya se está ejecutando (proceso {other}). Use esa instancia o deténgala "
                "con Ctrl-C en su terminal antes de volver a ejecutar `python3 manage.py run`."
            ) from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()

    def _check_port_free(self, host: str, port: int) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise CommandError(
                    f"El puerto {port} de {host} ya está en uso por otro programa. Ciérrelo o elija otro "
                    f"puerto: PORT={port + 1} python3 manage.py run"
                ) from None

    def _prepare_database(self, no_demo: bool) -> None:
        external = settings.DATABASES["default"]["ENGINE"] != "config.db"
        where = "PostgreSQL de DATABASE_URL" if external else f"PostgreSQL embebido en {embedded.PGDATA}"
        self._say(f"Base de datos: {where}")
        try:
            connection.ensure_connection()
        except embedded.EmbeddedPostgresError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            if _is_disk_full(exc):
                raise
            where = settings.DATABASES["default"].get("HOST") or "socket local"
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise CommandError(
                f"No se pudo conectar a PostgreSQL ({where}, base {settings.DATABASES['default']['NAME']}): "
                f"{first_line}. Revise DATABASE_URL, o quítela para usar el PostgreSQL embebido."
            ) from None
        self._say("Aplicando migraciones …")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)  # settings.CACHES: the database cache
        call_command("load_reference_data", verbosity=0)
        if not no_demo:
            call_command("load_demo_data", verbosity=1, stdout=self.stdout)
            call_command("load_credit_demo", verbosity=1, stdout=self.stdout)  # cupos, comprobantes, puntos
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        User = get_user_model()
        secret_file = self.data_dir / "admin-inicial.txt"
        if not User.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            user = User.objects.create_superuser(ADMIN_USERNAME, email="", password=password)
            user.groups.add(Group.objects.get(name=ADMINISTRADOR))
            secret_file.write_text(f"{ADMIN_USERNAME}\n{password}\n")
            secret_file.chmod(0o600)
            self._show_login(ADMIN_USERNAME, password, "Se creó el administrador")
            return
        # Show the initial password again while it is still the valid one.
        with contextlib.suppress(OSError, ValueError):
            username, password = secret_file.read_text().split()
            user = User.objects.filter(username=username).first()
            if user and user.check_password(password):
                self._show_login(username, password, "Administrador")
                return
        self._say(
            "Ingrese con su usuario administrador (para cambiar la contraseña: "
            f"python3 manage.py changepassword {ADMIN_USERNAME})."
        )

    def _show_login(self, username: str, password: str, title: str) -> None:
        line = "=" * 60
        self.stdout.write(
            self.style.SUCCESS(f"\n{line}\n {title}\n   usuario:    {username}\n   contraseña: {password}\n{line}")
        )

    # --- running -------------------------------------------------------------------------

    def _serve(self, host: str, port: int) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        connections.close_all()
        self._start("worker", [sys.executable, manage, "db_worker", "--no-reload", "--interval", "1"])
        self._start("web", [sys.executable, manage, "runserver", f"{host}:{port}", "--noreload", "--skip-checks"])
        self.stdout.write(self.style.SUCCESS(f"\nClientes está listo en http://{host}:{port}  (Ctrl-C para detener)\n"))
        while True:
            for name, child in self.children:
                if child.poll() is not None:
                    raise CommandError(
                        f"El proceso «{name}» terminó inesperadamente (código {child.returncode}); "
                        "se detuvo todo. Revise los mensajes de arriba."
                    )
            time.sleep(0.5)

    def _start(self, name: str, command: list[str]) -> None:
        # Own process group: Ctrl-C in the terminal reaches only `run`, which then stops each
        # child once, in order (a second SIGINT would make the worker abandon its task).
        child = subprocess.Popen(command, preexec_fn=_child_setup, process_group=0)
        self.children.append((name, child))

    def _shutdown(self) -> None:
        if self.children:
            self._say("\nDeteniendo Clientes …")
        for _, child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for _, child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children = []
        connections.close_all()
        if settings.DATABASES["default"]["ENGINE"] == "config.db" and embedded.started_here():
            if embedded.stop():
                self._say(f"PostgreSQL embebido detenido. Los datos quedan en {embedded.PGDATA}")
            else:
                self._say("PostgreSQL embebido sigue en marcha: otro proceso (p. ej. las pruebas) aún lo usa; "
                          "se detendrá cuando ese proceso termine.")

    def _say(self, message: str) -> None:
        self.stdout.write(message)
