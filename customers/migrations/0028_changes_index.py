"""The index the integration API's changes feed walks (updated_at, id). Built CONCURRENTLY so a
large customer table keeps taking writes; if the build fails midway, `DROP INDEX CONCURRENTLY
customer_changes_idx;` and run migrate again."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0027_import_export_permissions")]

    operations = [
        AddIndexConcurrently(
            model_name="customer", index=models.Index(fields=["updated_at", "id"], name="customer_changes_idx")
        ),
    ]
