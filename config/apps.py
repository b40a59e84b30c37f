from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Configuración del proyecto"

    def ready(self):
        from config import audit, checks, dbtypes, server_banner  # noqa: F401  (checks registers the deploy checks)

        dbtypes.install()
        audit.connect()
        server_banner.hide()
