from django.db import migrations


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """importar (Administrador) and exportar (Administrador, Ventas): customers/roles.py."""

    dependencies = [("customers", "0026_imports")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
