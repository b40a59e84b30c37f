from django.apps import AppConfig


class PadronConfig(AppConfig):
    name = "padron"
    verbose_name = "Padrón SUNAT"

    def ready(self):
        # The lupa of the customer form asks the local padrón first (house style §11: the
        # lower app owns the registry, this one plugs in).
        from customers.lookup import register_local_provider
        from padron.provider import PadronProvider

        register_local_provider(PadronProvider())
