from django.db import migrations


def seed(apps, schema_editor):
    from customers.roles import sync_roles

    Category = apps.get_model("customers", "Category")
    CustomerSettings = apps.get_model("customers", "CustomerSettings")
    # Both source documents use these two categories.
    for position, name in enumerate(["PRO", "NORMAL"]):
        Category.objects.get_or_create(name=name, defaults={"position": position})
    CustomerSettings.objects.get_or_create(pk=1)
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_records")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
