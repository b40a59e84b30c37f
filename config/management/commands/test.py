"""`python3 manage.py test [pytest options]`: the whole suite with pytest on PostgreSQL.

Replaces Django's test runner: the project's tests are pytest tests (pytest-django).
"""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Ejecuta todas las pruebas (pytest + pytest-django) sobre PostgreSQL; acepta opciones de pytest."

    def run_from_argv(self, argv):
        os.execv(sys.executable, [sys.executable, "-m", "pytest", *argv[2:]])
