"""The departamento filter in name order, deep pages included: its ids are read from this index
alone (customers.queries._rows), with the flags other filters test included. Built
CONCURRENTLY, so a large customer table keeps taking writes (about 2 s at 1,000,000, 81 MB); if
the build fails midway, `DROP INDEX CONCURRENTLY customer_department_sort_idx;` and run migrate
again."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0033_merge_permission")]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                fields=["department", "sort_key", "id"],
                include=("is_foreign", "kind", "is_active", "has_whatsapp", "requests_detraction"),
                condition=models.Q(deleted_at__isnull=True),
                name="customer_department_sort_idx",
            ),
        ),
    ]
