from django.db import migrations


def load(apps, schema_editor):
    from customers.reference import load_reference_data

    load_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_roles")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
