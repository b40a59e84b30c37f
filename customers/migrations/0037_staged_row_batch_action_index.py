"""The staging table's batch index becomes (batch, action) (bench/README.md, the confirmed
import's PostgreSQL CPU): each statement of the confirmed import picks one action of a batch,
and with the batch alone every one of them read all of the batch's rows — a 100,000-row
preview's 100 MB — to find, most of the time, none (no Direcciones rows, no errors). The plain
batch index and its varchar_pattern_ops twin (nothing filters batches by prefix) go: the new
index starts with the batch, so lookups by batch and discard_stale's walk over the batches in
order use it.

Built and dropped CONCURRENTLY (previews and imports go on). If the build fails midway,
`DROP INDEX CONCURRENTLY staged_row_batch_action_idx;` and run migrate again. Going back to
0036 changes only Django's state (the batch index is not rebuilt).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

TABLE = "customers_importstagedrow"


def drop_batch_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    for name, info in constraints.items():
        plain = info["index"] and not info["primary_key"] and not info["unique"]
        if plain and info["columns"] == ["batch"]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0036_write_path_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="importstagedrow",
            index=models.Index(fields=["batch", "action"], name="staged_row_batch_action_idx"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="importstagedrow",
                    name="batch",
                    field=models.CharField(max_length=40),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_batch_indexes, migrations.RunPython.noop),
            ],
        ),
    ]
