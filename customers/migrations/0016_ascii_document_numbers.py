"""Document numbers written with other digits (full-width ４６１…, superscript, Arabic-Indic
٤٦١…, Devanagari ४६१…) become the ASCII number they stand for, the way the validators now
store them (peru.text.normalize_digits), so the uniqueness rule sees one number.

A number whose ASCII form already belongs to another customer of the same document type is
left as it is (nothing is merged or lost): both customers get a note naming the other, and the
migration prints the pair, so someone decides which one to keep. Every fixed customer gets a
note with the number before and after. Customers with such numbers are rare (they came in
before the rule), so this walks only the rows that hold a character outside ASCII.
"""

import unicodedata

from django.db import migrations

NOTE_KIND = "editado"  # CustomerNote.Kind.EDITED


def ascii_number(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().upper().replace(" ", "")
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fix_numbers(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    CustomerNote = apps.get_model("customers", "CustomerNote")
    # Two reads of the table, whatever its size: the rows with a character outside ASCII, then
    # the customers (in the Papelera too) that already hold the numbers those rows stand for.
    suspects = list(
        Customer.objects.filter(document_number__regex=r"[^\x01-\x7f]")
        .order_by("pk")
        .values_list("pk", "document_type_id", "document_number", "name", "search_text")
    )
    fixes = [(row, ascii_number(row[2])) for row in suspects]
    fixes = [(row, new) for row, new in fixes if new != row[2] and new.isascii()]
    holders = {
        (document_type, number): (pk, name)
        for pk, document_type, number, name in Customer.objects.filter(
            document_number__in={new for _, new in fixes}
        ).values_list("pk", "document_type_id", "document_number", "name")
    }
    for (pk, document_type, old, name, search_text), new in fixes:
        taken = holders.get((document_type, new))
        if taken is not None and taken[0] != pk:
            # Two customers for one number: keep both, say so on both, let a person decide.
            print(f"\n  customers.0016: cliente {pk} «{old}» = cliente {taken[0]} «{new}»; se dejan ambos")
            CustomerNote.objects.create(
                customer_id=pk,
                kind=NOTE_KIND,
                text=f"El número de documento «{old}» es el {new} escrito con otros dígitos, y ese número ya "
                f"es del cliente «{taken[1]}» (#{taken[0]}). Revise cuál conservar y elimine el otro.",
            )
            CustomerNote.objects.create(
                customer_id=taken[0],
                kind=NOTE_KIND,
                text=f"El cliente #{pk} tiene este mismo número de documento escrito con otros "
                f"dígitos («{old}»). Revise cuál conservar y elimine el otro.",
            )
            continue
        search_text = search_text.replace(fold(old), new) if fold(old) else search_text
        Customer.objects.filter(pk=pk, document_number=old).update(document_number=new, search_text=search_text)
        holders[(document_type, new)] = (pk, name)
        CustomerNote.objects.create(
            customer_id=pk,
            kind=NOTE_KIND,
            text=f"Número de documento corregido: «{old}» → «{new}» (escrito con dígitos que no son 0-9).",
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0015_revert_permission")]

    operations = [migrations.RunPython(fix_numbers, migrations.RunPython.noop)]
