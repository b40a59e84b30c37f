"""The list's search and filters, and the Papelera's permissions.

Customer.search_text, has_whatsapp and department are copies (see the model); they are filled
here for the customers that exist, before their indexes are built (building an index over
filled rows is much faster than keeping it up to date row by row).
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 5_000


def fill_copies(apps, schema_editor):
    from peru.text import search_text

    Customer = apps.get_model("customers", "Customer")
    CustomerEmail = apps.get_model("customers", "CustomerEmail")
    CustomerPhone = apps.get_model("customers", "CustomerPhone")
    Address = apps.get_model("customers", "Address")
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "name", "document_number")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        ids = [pk for pk, _, _ in rows]
        emails, phones = {}, {}
        for customer_id, email in (
            CustomerEmail.objects.filter(customer_id__in=ids)
            .order_by("position", "id")
            .values_list("customer_id", "email")
        ):
            emails.setdefault(customer_id, []).append(email)
        whatsapp = set()
        for customer_id, number, has_whatsapp in (
            CustomerPhone.objects.filter(customer_id__in=ids)
            .order_by("position", "id")
            .values_list("customer_id", "number", "whatsapp")
        ):
            phones.setdefault(customer_id, []).append(number)
            if has_whatsapp:
                whatsapp.add(customer_id)
        districts = dict(
            Address.objects.filter(customer_id__in=ids, is_default=True).values_list("customer_id", "district_id")
        )
        updates = [
            (
                search_text(name=name, document_number=number, emails=emails.get(pk, []), phones=phones.get(pk, [])),
                pk in whatsapp,
                (districts.get(pk) or "")[:2] or None,
                pk,
            )
            for pk, name, number in rows
        ]
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE customers_customer SET search_text = %s, has_whatsapp = %s, department_id = %s WHERE id = %s",
                updates,
            )


def sync_roles(apps, schema_editor):
    from customers.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_registry_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={
                "ordering": ["sort_key", "id"],
                "permissions": [
                    ("restore_customer", "Puede restaurar clientes de la Papelera"),
                    ("purge_customer", "Puede eliminar definitivamente"),
                ],
                "verbose_name": "cliente",
                "verbose_name_plural": "clientes",
            },
        ),
        migrations.AddField(
            model_name="customer",
            name="department",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.department",
                verbose_name="departamento",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="has_whatsapp",
            field=models.BooleanField(db_default=False, default=False, editable=False, verbose_name="con WhatsApp"),
        ),
        migrations.AddField(
            model_name="customer",
            name="search_text",
            field=models.TextField(
                blank=True, db_default="", default="", editable=False, verbose_name="texto de búsqueda"
            ),
        ),
        migrations.RunPython(fill_copies, migrations.RunPython.noop),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_text"], name="customer_search_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["kind", "sort_key", "id"],
                name="customer_kind_sort_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["document_number", "id"],
                name="customer_document_sort_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)), fields=["department"], name="customer_department_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("category__isnull", False)),
                fields=["category"],
                name="customer_category_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("customer_class__isnull", False)),
                fields=["customer_class"],
                name="customer_class_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("is_active", False)),
                fields=["sort_key", "id"],
                name="customer_suspended_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("is_foreign", True)),
                fields=["sort_key", "id"],
                name="customer_foreign_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("requests_detraction", True)),
                fields=["sort_key", "id"],
                name="customer_detraction_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), _negated=True),
                fields=["-deleted_at", "-id"],
                name="customer_trash_idx",
            ),
        ),
    ]
