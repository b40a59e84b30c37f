from django.db import migrations


def sync_roles(apps, schema_editor):
    # The new permission exists only after post_migrate: sync_roles creates it first, then
    # the Administrador group gets it with every other one (customers.roles).
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_search_variants"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["sort_key", "id"],
                "permissions": [
                    ("restore_customer", "Puede restaurar clientes de la Papelera"),
                    ("purge_customer", "Puede eliminar definitivamente"),
                    ("revert_customer", "Puede revertir un cliente a una versión anterior"),
                ],
                "verbose_name": "cliente",
                "verbose_name_plural": "clientes",
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
