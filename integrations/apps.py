from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integraciones (API y webhooks)"

    def ready(self):
        from customers.events import register_listener
        from integrations.tasks import record_customer_event

        # Customers' services tell what happened in their own transaction; the outbox row is
        # written there too, so a rolled-back change sends nothing and a committed one is
        # never lost (customers.events; house style §11).
        register_listener(record_customer_event)
