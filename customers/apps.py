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

        # A customer's row lock held by an import's part that a killed worker left prepared is
        # released by the import's own recovery (customers.access.locked_customer asks for it).
        from customers.access import register_lock_releaser
        from customers.importing import release_abandoned_parts

        register_lock_releaser(release_abandoned_parts)
