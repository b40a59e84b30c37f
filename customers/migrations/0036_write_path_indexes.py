"""Fewer indexes and checks for every row a large import writes (bench/README.md, the confirmed
import's write path): partial category/class indexes for the PROTECT checks instead of indexes
holding every customer, no plain index where a longer one starts with the same column, no
district indexes on addresses, no indexes on the history tables' unread foreign keys, and no
database constraint on their history_user.

Deployed without locking a large table for long: the two partial indexes are built
CONCURRENTLY (writes go on; at 1,000,000 customers they are empty until customers have a
categoría or clase) before the old ones go, and the old ones are dropped CONCURRENTLY. Dropping
the history_user constraints takes a brief lock on the history tables and the users' table (no
scan). If a concurrent build fails midway, `DROP INDEX CONCURRENTLY customer_category_idx;` (or
customer_class_idx) and run migrate again. Going back to 0035 changes only Django's state (the
dropped indexes are not rebuilt).
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

# (table, column): the single-column indexes Django made for these foreign keys (the district's
# varchar_pattern_ops twin too), dropped; longer indexes that start with the column stay.
UNREAD_INDEXES = [
    ("customers_customer", "category_id"),
    ("customers_customer", "customer_class_id"),
    ("customers_customernote", "customer_id"),
    ("customers_address", "district_id"),
    ("customers_historicaladdress", "district_id"),
    ("customers_historicalcustomer", "category_id"),
    ("customers_historicalcustomer", "created_by_id"),
    ("customers_historicalcustomer", "customer_class_id"),
    ("customers_historicalcustomer", "deleted_by_id"),
    ("customers_historicalcustomer", "document_type_id"),
]
UNCHECKED_HISTORY_USER = ["customers_historicaladdress", "customers_historicalcontact", "customers_historicalcustomer"]
KEPT = {"customer_category_idx", "customer_class_idx"}


def drop_unread_indexes_and_checks(apps, schema_editor):
    connection = schema_editor.connection
    for table, column in UNREAD_INDEXES:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            plain = info["index"] and not info["primary_key"] and not info["unique"]
            if plain and info["columns"] == [column] and name not in KEPT:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")
    for table in UNCHECKED_HISTORY_USER:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            if info["foreign_key"] and info["columns"] == ["history_user_id"]:
                schema_editor.execute(
                    f"ALTER TABLE {schema_editor.quote_name(table)} DROP CONSTRAINT {schema_editor.quote_name(name)}"
                )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0035_importjob_commit_decided"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("category__isnull", False)), fields=["category"], name="customer_category_idx"
            ),
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("customer_class__isnull", False)),
                fields=["customer_class"],
                name="customer_class_idx",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="address",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="customers.district",
                        verbose_name="distrito (ubigeo)",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="category",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="customers.category",
                        verbose_name="categoría",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="customer_class",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="customers.customerclass",
                        verbose_name="clase de cliente",
                    ),
                ),
                migrations.AlterField(
                    model_name="customernote",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="customers.customer",
                        verbose_name="cliente",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaladdress",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.district",
                        verbose_name="distrito (ubigeo)",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaladdress",
                    name="history_user",
                    field=models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcontact",
                    name="history_user",
                    field=models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="category",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.category",
                        verbose_name="categoría",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="creado por",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="customer_class",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.customerclass",
                        verbose_name="clase de cliente",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="deleted_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="eliminado por",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="document_type",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.documenttype",
                        verbose_name="tipo de documento",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="history_user",
                    field=models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_unread_indexes_and_checks, migrations.RunPython.noop),
            ],
        ),
    ]
