from django.db import migrations


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_history_and_notes")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
