"""`python3 manage.py test [pytest options]`: the whole suite with pytest on PostgreSQL.

Replaces Django's test runner: the project's tests are pytest tests (pytest-django).
Without options it runs the whole suite in one pytest-xdist process per core (at most
MAX_WORKERS), each with its own test database; with options it runs exactly the pytest they
ask for (add `-n 2` to a selection to share it out too).
"""

import os
import sys

from django.core.management.base import BaseCommand

# Each process creates its own test database and, for the browser tests, its own Chromium.
MAX_WORKERS = 4


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def whole_suite_options() -> list[str]:
    """pytest's options for a plain `manage.py test`: one process per core, or none on one core
    (or without pytest-xdist installed)."""
    try:
        import xdist  # noqa: F401
    except ImportError:
        return []
    workers = min(cores(), MAX_WORKERS)
    return ["--numprocesses", str(workers)] if workers > 1 else []


class Command(BaseCommand):
    help = "Ejecuta todas las pruebas (pytest + pytest-django) sobre PostgreSQL; acepta opciones de pytest."

    def run_from_argv(self, argv):
        options = argv[2:] or whole_suite_options()
        os.execv(sys.executable, [sys.executable, "-m", "pytest", *options])
