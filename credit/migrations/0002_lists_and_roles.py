from django.db import migrations


def seed(apps, schema_editor):
    from credit.reference import seed_lists

    seed_lists(apps)


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial"), ("customers", "0014_search_variants")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
