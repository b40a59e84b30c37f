"""The department, category and class filter indexes carry the list's yes/no and type columns
(Customer.Meta.indexes says why). Built CONCURRENTLY before the old ones go, so a large
customer table keeps taking writes and keeps its filters fast during the migration. If a
concurrent build fails midway (a full disk, a cancelled migrate), PostgreSQL leaves an INVALID
index of that name behind: `DROP INDEX CONCURRENTLY customer_department_flags_idx;` (or the
category / class one) and run migrate again."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

FLAGS = ["is_foreign", "kind", "is_active", "has_whatsapp", "requests_detraction"]
OUTSIDE_TRASH = models.Q(deleted_at__isnull=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0012_history_baseline")]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                fields=["department", *FLAGS], name="customer_department_flags_idx", condition=OUTSIDE_TRASH
            ),
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                fields=["category", *FLAGS],
                name="customer_category_flags_idx",
                condition=OUTSIDE_TRASH & models.Q(category__isnull=False),
            ),
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                fields=["customer_class", *FLAGS],
                name="customer_class_flags_idx",
                condition=OUTSIDE_TRASH & models.Q(customer_class__isnull=False),
            ),
        ),
        RemoveIndexConcurrently(model_name="customer", name="customer_department_idx"),
        RemoveIndexConcurrently(model_name="customer", name="customer_category_idx"),
        RemoveIndexConcurrently(model_name="customer", name="customer_class_idx"),
    ]
