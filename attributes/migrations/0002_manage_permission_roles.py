from django.db import migrations


def sync_roles(apps, schema_editor):
    # Administrador holds every permission, the new attributes.manage_attributedefinition too.
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("attributes", "0001_attribute_definitions"),
        ("customers", "0009_customer_attributes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
