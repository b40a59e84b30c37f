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
    suspects = Customer.objects.filter(document_number__regex=r"[^\x01-\x7f]").order_by("pk")
    for customer in suspects.only("pk", "document_type_id", "document_number", "search_text", "deleted_at"):
        old = customer.document_number
        new = ascii_number(old)
        if new == old or not new.isascii():
            continue
        taken = (
            Customer.objects.filter(document_type_id=customer.document_type_id, document_number=new)
            .exclude(pk=customer.pk)
            .only("pk", "name")
            .first()
        )
        if taken is not None:
            # Two customers for one number: keep both, say so on both, let a person decide.
            print(f"\n  customers.0015: cliente {customer.pk} «{old}» = cliente {taken.pk} «{new}»; se dejan ambos")
            CustomerNote.objects.create(
                customer_id=customer.pk,
                kind=NOTE_KIND,
                text=f"El número de documento «{old}» es el {new} escrito con otros dígitos, y ese número ya "
                f"es del cliente «{taken.name}» (#{taken.pk}). Revise cuál conservar y elimine el otro.",
            )
            CustomerNote.objects.create(
                customer_id=taken.pk,
                kind=NOTE_KIND,
                text=f"El cliente #{customer.pk} tiene este mismo número de documento escrito con otros "
                f"dígitos («{old}»). Revise cuál conservar y elimine el otro.",
            )
            continue
        search_text = customer.search_text.replace(fold(old), new) if fold(old) else customer.search_text
        Customer.objects.filter(pk=customer.pk, document_number=old).update(
            document_number=new, search_text=search_text
        )
        CustomerNote.objects.create(
            customer_id=customer.pk,
            kind=NOTE_KIND,
            text=f"Número de documento corregido: «{old}» → «{new}» (escrito con dígitos que no son 0-9).",
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0014_search_variants")]

    operations = [migrations.RunPython(fix_numbers, migrations.RunPython.noop)]
