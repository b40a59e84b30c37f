from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Clientes"

    def ready(self):
        # Connects the receiver that keeps phones and e-mails on each historical customer.
        import customers.history  # noqa: F401
