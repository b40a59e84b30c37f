from django.db import migrations


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """Créditos corrects comprobantes, pagos and proyectos in the admin (delete and change pagos)."""

    dependencies = [("credit", "0003_exceeded_index")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
