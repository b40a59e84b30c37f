from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Clientes"

    def ready(self):
        # Connects the receiver that keeps phones and e-mails on each historical customer.
        import customers.history  # noqa: F401
        from attributes.stores import register_value_store
        from customers.services.attribute_values import customer_attribute_values

        # The attributes engine knows nothing of customers: it asks the stores registered
        # with it where values live (attributes.stores).
        register_value_store(customer_attribute_values)
