"""Customer.search_text gains the words people type for dotted initials ("s.a.c" finds
"S.A.C.") and for documents written with dashes ("958-58-9998"): customers.text.search_variants.
They go at the end of the column, as search_text() now writes them, so existing customers only
need them appended. Rows are read in primary-key batches; only those that gain a word are
written (at 1M customers, the companies with a legal form such as S.A.C.)."""

from django.db import migrations

BATCH = 5_000


def append_variants(apps, schema_editor):
    from customers.text import clean_spaces, fold, search_variants

    Customer = apps.get_model("customers", "Customer")
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "name", "document_number", "search_text")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        updates = []
        for pk, name, document_number, text in rows:
            variants = " ".join(search_variants(name=fold(clean_spaces(name)), document_number=fold(document_number)))
            if variants and not text.endswith(" " + variants):
                updates.append((f"{text} {variants}", pk))
        if updates:
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany("UPDATE customers_customer SET search_text = %s WHERE id = %s", updates)


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_filter_indexes_with_flags")]

    operations = [migrations.RunPython(append_variants, migrations.RunPython.noop, elidable=True)]
