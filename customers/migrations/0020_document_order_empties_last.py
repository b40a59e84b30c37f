"""Sorting by Documento puts the customers without a document last: an index whose first key
is "has no document" (customers.filters.ORDERINGS). Built CONCURRENTLY, so a large customer
table keeps taking writes; if the build fails midway, `DROP INDEX CONCURRENTLY
customer_document_asc_idx;` and run migrate again."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0019_phone_extensions")]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                models.ExpressionWrapper(models.Q(document_number=""), output_field=models.BooleanField()),
                models.F("document_number"),
                models.F("id"),
                condition=models.Q(deleted_at__isnull=True),
                name="customer_document_asc_idx",
            ),
        ),
    ]
