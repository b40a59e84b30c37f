from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_local_default(app_configs, **kwargs):
    from config.settings import LOCAL_SECRET_KEY

    if settings.SECRET_KEY == LOCAL_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY tiene el valor local por defecto, que es público.",
                hint="Defina SECRET_KEY con 50 o más caracteres aleatorios.",
                id="clientes.E001",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def check_database_url_is_set(app_configs, **kwargs):
    if settings.DATABASES["default"]["ENGINE"] == "config.db":
        return [
            Error(
                "DATABASE_URL no está definida: se usaría el PostgreSQL embebido de desarrollo.",
                hint="En producción defina DATABASE_URL=postgres://usuario:clave@servidor:5432/base.",
                id="clientes.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_lookup_token_travels_encrypted(app_configs, **kwargs):
    from urllib.parse import urlsplit

    url = urlsplit(settings.LOOKUP_BASE_URL)
    if settings.LOOKUP_TOKEN and url.scheme == "http" and url.hostname not in ("localhost", "127.0.0.1", "::1"):
        return [
            checks.Warning(
                "LOOKUP_BASE_URL usa http://: el token de la consulta RUC/DNI viajaría sin cifrar.",
                hint="Use https:// (o un servicio en esta misma máquina).",
                id="clientes.W001",
            )
        ]
    return []
