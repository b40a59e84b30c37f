"""Migration 0019 on a database with customers saved before it: their "Nombre del contacto"
becomes a Contact and their "Nota" the first person's note of the timeline, with nothing lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", "0023_suspend_words")]
AFTER = [("customers", "0024_contact_name_and_note_to_records")]


@pytest.mark.django_db(transaction=True)
def test_contact_names_and_notes_move_into_contacts_and_the_timeline():
    from customers.reference import load_reference_data

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    load_reference_data()
    User = old.get_model("auth", "User")
    Customer = old.get_model("customers", "Customer")
    Note = old.get_model("customers", "CustomerNote")
    Contact = old.get_model("customers", "Contact")
    author = User.objects.create(username="ana", first_name="Ana")
    common = {"kind": "empresa", "document_type_id": "6", "sort_key": "x", "created_by": author}
    with_both = Customer.objects.create(
        business_name="Gloria S.A.",
        name="Gloria S.A.",
        document_number="20100070970",
        contact_name="Rosa Quispe",
        note="Paga los viernes.\nPedir factura.",
        **common,
    )
    Note.objects.create(customer=with_both, kind="creado", text="Cliente creado.", author=author)
    already = Customer.objects.create(
        business_name="Backus", name="Backus", document_number="20100113610", contact_name="luis pérez", **common
    )
    Contact.objects.create(customer=already, name="Luis Pérez", role="Compras")
    empty = Customer.objects.create(business_name="Vacío", name="Vacío", document_number="", **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Contact = new.get_model("customers", "Contact")
    Note = new.get_model("customers", "CustomerNote")
    HistoricalContact = new.get_model("customers", "HistoricalContact")

    contact = Contact.objects.get(customer_id=with_both.pk)
    assert contact.name == "Rosa Quispe"
    record = HistoricalContact.objects.get(id=contact.pk)
    assert (record.history_type, record.history_user_id, record.history_date) == ("+", author.pk, with_both.created_at)
    # The customer who already had that contact (case aside) doesn't get it twice.
    assert list(Contact.objects.filter(customer_id=already.pk).values_list("name", flat=True)) == ["Luis Pérez"]
    assert not Contact.objects.filter(customer_id=empty.pk).exists()

    timeline = list(Note.objects.filter(customer_id=with_both.pk).order_by("-created_at", "-id"))
    assert [(n.kind, n.text) for n in timeline] == [
        ("manual", "Paga los viernes.\nPedir factura."),
        ("creado", "Cliente creado."),
    ]
    assert timeline[0].author_id == author.pk
    assert not Note.objects.filter(customer_id=empty.pk).exists()
    columns = [
        c.name for c in connection.introspection.get_table_description(connection.cursor(), "customers_customer")
    ]
    assert "contact_name" not in columns and "note" not in columns

    # And back: the columns return with the values.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Customer = executor.loader.project_state(BEFORE).apps.get_model("customers", "Customer")
    restored = Customer.objects.get(pk=with_both.pk)
    assert (restored.contact_name, restored.note) == ("Rosa Quispe", "Paga los viernes.\nPedir factura.")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
