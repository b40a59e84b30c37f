from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Configuración del proyecto"

    def ready(self):
        from config import checks, dbtypes  # noqa: F401  (checks registers the deploy checks)

        dbtypes.install()
