from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Configuración del proyecto"

    def ready(self):
        from config import checks  # noqa: F401  (registers the deploy checks)
