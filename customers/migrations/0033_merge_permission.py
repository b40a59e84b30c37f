from django.db import migrations


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """fusionar clientes (customers.merge_customer): Administrador only (customers/roles.py)."""

    dependencies = [("customers", "0032_merge_duplicates")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
