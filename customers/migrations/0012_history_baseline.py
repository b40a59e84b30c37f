"""A first historical record for every customer, address and contact saved before the history
existed, so each has a version to compare later changes with (and to revert to).

Set-based INSERT … SELECT (a million customers take seconds, not a save each). Customers are
dated and attributed by their own created_at / created_by; addresses and contacts, which keep
no such fields, by the moment of the migration.
"""

from django.db import migrations

REASON = "Registrado antes de activar el historial"


def record_baseline(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for name, date, user in (
        ("Customer", "c.created_at", "c.created_by_id"),
        ("Address", "now()", "NULL"),
        ("Contact", "now()", "NULL"),
    ):
        model = apps.get_model("customers", name)
        history = apps.get_model("customers", f"Historical{name}")
        recorded = {f.column for f in history._meta.concrete_fields}
        columns = [quote(f.column) for f in model._meta.concrete_fields if f.column in recorded]
        extra_columns, extra_values = [], []
        if name == "Customer":
            phone_table = quote(apps.get_model("customers", "CustomerPhone")._meta.db_table)
            email_table = quote(apps.get_model("customers", "CustomerEmail")._meta.db_table)
            extra_columns = ["phones", "emails"]
            # Table names from the models, quoted.
            extra_values = [
                "(SELECT coalesce(jsonb_agg(jsonb_build_array(p.number, p.whatsapp) ORDER BY p.position, p.id), '[]')"  # noqa: S608
                f" FROM {phone_table} p WHERE p.customer_id = c.id)",
                f"(SELECT coalesce(jsonb_agg(e.email ORDER BY e.position, e.id), '[]') FROM {email_table} e"  # noqa: S608
                " WHERE e.customer_id = c.id)",
            ]
        history_table = quote(history._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {history_table}"  # noqa: S608 — names from the models, quoted
                f" ({', '.join(columns)}, history_date, history_change_reason, history_type, history_user_id"
                f"{''.join(', ' + c for c in extra_columns)})"
                f" SELECT {', '.join('c.' + c for c in columns)}, {date}, %s, '+', {user}"
                f"{''.join(', ' + v for v in extra_values)}"
                f" FROM {quote(model._meta.db_table)} c"
                f" WHERE NOT EXISTS (SELECT 1 FROM {history_table} h WHERE h.id = c.id)",
                [REASON],
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0011_note_permissions")]

    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop)]
