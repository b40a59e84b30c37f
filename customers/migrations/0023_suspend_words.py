"""One word for one state: Activo / Suspendido, with the actions Suspender / Reactivar (the
second source document's words). The system notes and history reasons written with the old
words ("Cliente desactivado…", "Activado") say the same with the new ones. The notes' kind
codes stay ("desactivado", "activado"): codes, not words anyone reads."""

from django.db import migrations, models

NOTES = [
    (
        "desactivado",
        "Cliente desactivado: no aparece en el punto de venta ni en la facturación.",
        "Cliente suspendido: no aparece en el punto de venta ni en la facturación.",
    ),
    ("activado", "Cliente activado.", "Cliente reactivado."),
]
REASONS = [("Desactivado", "Suspendido"), ("Activado", "Reactivado")]
KINDS = [
    ("manual", "Nota"),
    ("creado", "Creado"),
    ("editado", "Editado"),
    ("desactivado", "Suspendido"),
    ("activado", "Reactivado"),
    ("eliminado", "Eliminado"),
    ("restaurado", "Restaurado"),
    ("revertido", "Revertido"),
    ("importado", "Importado"),
    ("direccion", "Dirección"),
    ("contacto", "Contacto"),
    ("credito_bloqueado", "Crédito bloqueado"),
    ("credito_desbloqueado", "Crédito desbloqueado"),
    ("cupo_cambiado", "Cupo cambiado"),
    ("padron", "Padrón SUNAT"),
]


def _rename(apps, schema_editor, notes, reasons):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    note_table = quote(apps.get_model("customers", "CustomerNote")._meta.db_table)
    with connection.cursor() as cursor:
        for kind, old, new in notes:
            cursor.execute(f"UPDATE {note_table} SET text = %s WHERE kind = %s AND text = %s", [new, kind, old])  # noqa: S608
        for name in ("HistoricalCustomer", "HistoricalCustomerNote"):
            table = quote(apps.get_model("customers", name)._meta.db_table)
            for old, new in reasons:
                cursor.execute(
                    f"UPDATE {table} SET history_change_reason = %s WHERE history_change_reason = %s",  # noqa: S608
                    [new, old],
                )


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, NOTES, REASONS)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, [(k, new, old) for k, old, new in NOTES], [(new, old) for old, new in REASONS])


class Migration(migrations.Migration):
    dependencies = [("customers", "0022_choice_history")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KINDS, max_length=30, verbose_name="tipo"),
        )
        for model in ("customernote", "historicalcustomernote")
    ] + [migrations.RunPython(forwards, backwards)]
