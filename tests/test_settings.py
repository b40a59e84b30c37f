"""Settings from the environment: `check --deploy` is clean with the production variables, and
nonsense fails loudly. Each case runs manage.py in a fresh process with exactly that environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django_tasks import task

from tests.conftest import use_in_memory_tasks

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "DEBUG": "false",
    "ALLOWED_HOSTS": "clientes.example.pe",
    "CSRF_TRUSTED_ORIGINS": "https://clientes.example.pe",
    "DATABASE_URL": "postgres://clientes:clave@db.example.pe:5432/clientes",
    "SECURE_COOKIES": "true",
    "STATIC_MANIFEST": "true",
}


def manage(*args, **env) -> subprocess.CompletedProcess:
    """Run manage.py with only PATH/HOME from our environment plus `env` (None = unset)."""
    clean = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "CLIENTES_DATA_DIR") if name in os.environ}
    clean["CLIENTES_SKIP_VENV"] = "1"  # sys.executable already is the project's Python
    clean.update({name: value for name, value in env.items() if value is not None})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(**env) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", "--fail-level", "WARNING", **env)


def test_check_deploy_is_clean_with_the_production_variables():
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr
    assert "ERRORS" not in result.stderr


def test_check_deploy_reports_the_public_local_secret_key():
    result = check_deploy(**{**PRODUCTION, "SECRET_KEY": None})
    assert result.returncode != 0
    assert "clientes.E001" in result.stderr
    assert "clientes.E002" not in result.stderr


def test_check_deploy_reports_the_embedded_database():
    result = check_deploy(**{**PRODUCTION, "DATABASE_URL": None})
    assert result.returncode != 0
    assert "clientes.E002" in result.stderr


def test_check_deploy_reports_debug_on():
    result = check_deploy(**{**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr


@pytest.mark.parametrize("value", ["yes", "1", "verdadero"])
def test_a_bad_boolean_fails_with_a_message_naming_the_variable(value):
    result = manage("check", DEBUG=value)
    assert result.returncode != 0
    assert f"DEBUG debe ser true o false, no {value!r}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_number_fails_with_a_message_naming_the_variable():
    result = manage("check", SESSION_COOKIE_AGE="nueve horas")
    assert result.returncode != 0
    assert "SESSION_COOKIE_AGE debe ser un número entero" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_must_be_postgresql():
    result = manage("check", DATABASE_URL="sqlite:///clientes.db")
    assert result.returncode != 0
    assert "DATABASE_URL debe apuntar a PostgreSQL" in result.stderr


# What tests/conftest.py sets for every test


@task()
def _noop_task():
    pass


def test_tasks_go_to_the_in_memory_backend_in_tests(tasks_backend, db):
    from django_tasks_db.models import DBTaskResult

    result = _noop_task.enqueue()

    assert [r.id for r in tasks_backend.results] == [result.id]
    assert not DBTaskResult.objects.exists()


def test_each_test_starts_with_no_enqueued_tasks(settings, db):
    from django_tasks import task_backends

    _noop_task.enqueue()
    assert len(task_backends["default"].results) == 1

    use_in_memory_tasks(settings)  # what the autouse fixture does before every test

    assert task_backends["default"].results == []


def test_a_bad_lookup_timeout_fails_with_a_message_naming_the_variable():
    result = manage("check", LOOKUP_TIMEOUT_READ="cinco")
    assert result.returncode != 0
    assert "LOOKUP_TIMEOUT_READ debe ser un número" in result.stderr
    assert "Traceback" not in result.stderr


def test_negative_lookup_retries_fail():
    result = manage("check", LOOKUP_RETRIES="-1")
    assert result.returncode != 0
    assert "LOOKUP_RETRIES y LOOKUP_CACHE_SECONDS no pueden ser negativos" in result.stderr


def test_check_deploy_warns_of_a_lookup_token_over_plain_http():
    result = check_deploy(**PRODUCTION, LOOKUP_BASE_URL="http://consulta.example.pe/v1", LOOKUP_TOKEN="secreto")
    assert result.returncode != 0
    assert "clientes.W001" in result.stderr
    secure = check_deploy(**PRODUCTION, LOOKUP_BASE_URL="https://consulta.example.pe/v1", LOOKUP_TOKEN="x")
    assert secure.returncode == 0


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    on = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
    )
    off = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
        DB_PREPARED_STATEMENTS="false",
    )
    last_line = lambda result: result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr  # noqa: E731
    assert (last_line(on), last_line(off)) == ("0", "None")
    bad = manage("check", DB_PREPARED_STATEMENTS="quizás")
    assert bad.returncode != 0 and "DB_PREPARED_STATEMENTS debe ser true o false" in bad.stderr
