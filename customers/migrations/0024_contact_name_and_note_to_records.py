"""What the customer form's "Nombre y apellido del contacto" and "Nota" saved in two columns no
tab showed becomes what the page promised: a real Contact of the customer, and the first
person's note of its Notas timeline (author and date of the customer's creation). Then the two
columns go.

Set-based INSERT … SELECT, each with its historical "+" record (as the services write them).
A contact is not duplicated when the customer already has one with that name (case ignored).
The note goes right above the "Cliente creado." note: same moment, a later id."""

from django.db import migrations

CONTACT_REASON = "Contacto del formulario de alta (antes guardado aparte)"
NOTE_REASON = "Nota del formulario de alta (antes guardada aparte)"


def move_to_records(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    customer = quote(apps.get_model("customers", "Customer")._meta.db_table)
    contact_model = apps.get_model("customers", "Contact")
    note_model = apps.get_model("customers", "CustomerNote")
    contact, note = quote(contact_model._meta.db_table), quote(note_model._meta.db_table)
    contact_history = quote(apps.get_model("customers", "HistoricalContact")._meta.db_table)
    note_history = quote(apps.get_model("customers", "HistoricalCustomerNote")._meta.db_table)
    # Table names come from the models, quoted; values are parameters.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH new AS ("  # noqa: S608
            f" INSERT INTO {contact} (customer_id, name, role, phones, emails, note, version)"
            f" SELECT c.id, left(c.contact_name, 150), '', '{{}}', '{{}}', '', 1 FROM {customer} c"
            f" WHERE c.contact_name <> '' AND NOT EXISTS (SELECT 1 FROM {contact} k"
            f"   WHERE k.customer_id = c.id AND lower(k.name) = lower(c.contact_name))"
            f" RETURNING id, customer_id, name)"
            f" INSERT INTO {contact_history} (id, customer_id, name, role, phones, emails, note, version,"
            f" history_date, history_change_reason, history_type, history_user_id)"
            f" SELECT new.id, new.customer_id, new.name, '', '{{}}', '{{}}', '', 1, c.created_at, %s, '+', c.created_by_id"
            f" FROM new JOIN {customer} c ON c.id = new.customer_id",
            [CONTACT_REASON],
        )
        cursor.execute(
            f"WITH new AS ("  # noqa: S608
            f" INSERT INTO {note} (customer_id, kind, text, author_id, created_at, edited_at, version)"
            f" SELECT c.id, 'manual', c.note, c.created_by_id,"
            f"  coalesce((SELECT max(n.created_at) FROM {note} n WHERE n.customer_id = c.id AND n.kind = 'creado'),"
            f"   c.created_at), NULL, 1"
            f" FROM {customer} c WHERE btrim(c.note) <> '' ORDER BY c.id"
            f" RETURNING id, customer_id, kind, text, author_id, created_at)"
            f" INSERT INTO {note_history} (id, customer_id, kind, text, author_id, created_at, edited_at, version,"
            f" history_date, history_change_reason, history_type, history_user_id)"
            f" SELECT id, customer_id, kind, text, author_id, created_at, NULL, 1, created_at, %s, '+', author_id FROM new",
            [NOTE_REASON],
        )


def restore_columns(apps, schema_editor):
    """Back: the first contact's name and the first person's note into the columns again
    (the rows stay: they are real records now)."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    customer = quote(apps.get_model("customers", "Customer")._meta.db_table)
    contact = quote(apps.get_model("customers", "Contact")._meta.db_table)
    note = quote(apps.get_model("customers", "CustomerNote")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {customer} c SET contact_name = coalesce((SELECT k.name FROM {contact} k"  # noqa: S608
            f" WHERE k.customer_id = c.id ORDER BY k.id LIMIT 1), ''),"
            f" note = coalesce((SELECT n.text FROM {note} n WHERE n.customer_id = c.id AND n.kind = 'manual'"
            f" ORDER BY n.created_at, n.id LIMIT 1), '')"
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0023_suspend_words")]

    operations = [
        # Backwards, the columns come back first (RemoveField undone), then restore_columns.
        migrations.RunPython(move_to_records, restore_columns),
        migrations.RemoveField(model_name="customer", name="contact_name"),
        migrations.RemoveField(model_name="customer", name="note"),
        migrations.RemoveField(model_name="historicalcustomer", name="contact_name"),
        migrations.RemoveField(model_name="historicalcustomer", name="note"),
    ]
