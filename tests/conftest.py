"""Fixtures shared by every test.

pytest-django runs on PostgreSQL (config.settings: the embedded server, or DATABASE_URL).
Feature fixtures live next to their tests; users with a role come from tests/roles.py.
"""

import pytest
from django.core.management import call_command

from tests.fake_registry import FakeRegistry
from tests.roles import PASSWORD, user_with_role


def pytest_configure(config):
    """Under pytest-xdist (`manage.py test` without options), the controller starts the embedded
    PostgreSQL before any worker does, and keeps it up until the last one is done. Workers
    starting it at once on a fresh checkout would both find no data folder: the server would run
    on without the settings that only a restart applies (max_prepared_transactions, which the
    two-connection import needs; config/embedded.py). Each worker has its own test database."""
    if not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        return
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "config.db":
        from config import embedded

        embedded.socket_dir()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database plus the table of the database cache (settings.CACHES), which
    `createcachetable` makes, not a migration. Transactional tests' flush leaves it alone
    (it is no model's table): tests that use the cache clear it themselves."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(scope="session")
def _static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("staticfiles")


def use_in_memory_tasks(settings) -> None:
    """Point django-tasks at a new DummyBackend: assigning TASKS re-creates the backend, so
    what earlier code enqueued is gone and ``task_backends["default"].results`` starts empty."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _test_settings(settings, _static_root):
    """Settings every test runs with, whatever the developer's environment says.

    - django-tasks: DummyBackend keeps enqueued tasks in memory (``task_backends["default"].results``)
      instead of writing them to the django-tasks-db queue; changing TASKS re-creates the
      backend, so each test starts with an empty list.
    - Static files: plain storage plus WhiteNoise's finders, so pages render and /static/ is
      served without a collectstatic run, even when STATIC_MANIFEST=true is exported locally
      (the manifest storage raises on any file missing from a manifest that was never built).
      STATIC_ROOT is an empty folder, which WhiteNoise wants to exist.
    - Passwords: a fast hasher; the project's PBKDF2 costs about 0.3 s per user.
    """
    use_in_memory_tasks(settings)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = _static_root
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A proxy count exported locally must not change which address the sign-in tests use.
    settings.TRUSTED_PROXY_COUNT = 0
    # No test asks a real RUC/DNI service; the lookup tests point it at tests.fake_registry.
    settings.LOOKUP_BASE_URL = ""
    settings.LOOKUP_TOKEN = ""


@pytest.fixture
def registry(settings, django_db_blocker):
    """A fake RUC/DNI service on 127.0.0.1 (tests/fake_registry.py) that the lookup is
    configured to ask, with short timeouts and back-off so failures take a fraction of a
    second; the cache of answers and the rate-limit counters start empty."""
    from django.core.cache import cache

    fake = FakeRegistry().start()
    settings.LOOKUP_BASE_URL = fake.url
    settings.LOOKUP_TOKEN = "token-de-prueba"
    settings.LOOKUP_TIMEOUT_CONNECT = 0.5
    settings.LOOKUP_TIMEOUT_READ = 0.3
    settings.LOOKUP_RETRIES = 2
    settings.LOOKUP_BACKOFF = 0.01
    settings.LOOKUP_DEADLINE = 5
    settings.LOOKUP_RATE_LIMIT = 20
    settings.LOOKUP_CACHE_SECONDS = 86400
    with django_db_blocker.unblock():
        cache.clear()
    yield fake
    fake.stop()
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def tasks_backend():
    """The in-memory task backend of this test; ``.results`` lists what was enqueued."""
    from django_tasks import task_backends

    return task_backends["default"]


@pytest.fixture
def reference_data(db):
    """Ubigeo and SUNAT document types, for transactional tests (live_server): the data
    migration wrote them, but those tests flush every table when they end. Cheap (upserts)."""
    from customers.reference import load_reference_data

    return load_reference_data()


@pytest.fixture
def administrador(db):
    return user_with_role("Administrador")


@pytest.fixture
def ventas(db):
    return user_with_role("Ventas")


@pytest.fixture
def creditos(db):
    return user_with_role("Créditos")


@pytest.fixture
def consulta(db):
    return user_with_role("Consulta")


@pytest.fixture
def sin_rol(db, django_user_model):
    """A signed-up user with no group: may sign in but sees nothing."""
    return django_user_model.objects.create_user(username="sinrol", password=PASSWORD)
