"""Optimistic concurrency (issue 14): no silent lost updates. Each edit says which version it
started from and which fields it changes; a stale edit that overlaps nothing is applied on
top of the current row, one that overlaps is refused naming who changed what and when."""

import threading

import pytest
from django.db import connection, transaction

from attributes import services as attribute_services
from customers import notes, services
from customers.models import Category, Customer
from peru.concurrency import StaleEdit, parse_etag
from tests.concurrency import backend_pid, release_when_blocked
from tests.factories import company_data
from tests.roles import user_with_role


@pytest.fixture
def people(db):
    return (
        user_with_role("Ventas", username="ana", first_name="Ana", last_name="Ruiz"),
        user_with_role("Ventas", username="beto", first_name="Beto", last_name="Díaz"),
    )


def gloria(**overrides):
    data = company_data(
        business_name="Gloria S.A.",
        business_line="Lácteos",
        address={"district": "150122", "street": "Av. Larco 123", "reference": "Frente al parque"},
    )
    data.update(overrides)
    return data


def test_every_save_moves_the_version_on(people):
    ana, _ = people
    customer = services.create_customer(actor=ana, data=gloria())
    assert customer.version == 1
    services.update_customer(
        actor=ana, customer=customer, data=gloria(document_number=customer.document_number, business_line="Leche")
    )
    services.suspend_customer(actor=ana, customer=customer)
    assert Customer.objects.get(pk=customer.pk).version == 3


def test_a_stale_save_of_another_field_keeps_the_other_persons_change(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    opened = Customer.objects.get(pk=customer.pk)  # Beto opens the form: version 1

    services.update_customer(
        actor=ana,
        customer=customer,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )
    services.update_customer(
        actor=beto,
        customer=opened,
        data=gloria(
            document_number=doc,
            address={"district": "150122", "street": "Av. Larco 123", "reference": "Al lado del banco"},
        ),
        version=1,
        changed={"address"},
    )

    customer = Customer.objects.get(pk=customer.pk)
    assert customer.business_line == "Leche"
    assert customer.addresses.get(is_default=True).reference == "Al lado del banco"
    assert customer.version == 3
    # Beto's note names only what he changed, Indicaciones included; nothing is "undone".
    note = customer.notes.filter(author=beto).get()
    assert "Indicaciones: Frente al parque → Al lado del banco" in note.text
    assert "Giro" not in note.text


def test_a_stale_save_of_the_same_field_is_refused_with_who_what_and_both_values(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    opened = Customer.objects.get(pk=customer.pk)
    services.update_customer(
        actor=ana,
        customer=customer,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )

    with pytest.raises(StaleEdit) as refused:
        services.update_customer(
            actor=beto,
            customer=opened,
            data=gloria(document_number=doc, business_line="Yogur"),
            version=1,
            changed={"business_line"},
        )
    stale = refused.value
    assert "mientras usted editaba, Ana Ruiz cambió este cliente" in stale.messages[0]
    assert [(c.who, c.lines) for c in stale.changes] == [("Ana Ruiz", ["Giro: Lácteos → Leche"])]
    [conflict] = stale.conflicts
    assert (conflict.key, conflict.label, conflict.current, conflict.typed) == (
        "business_line",
        "Giro",
        "Leche",
        "Yogur",
    )
    assert (conflict.current_input, stale.current_version) == ("Leche", 2)
    assert Customer.objects.get(pk=customer.pk).business_line == "Leche"
    # Saving again against the current version saves it on purpose.
    services.update_customer(
        actor=beto,
        customer=opened,
        data=gloria(document_number=doc, business_line="Yogur"),
        version=2,
        changed={"business_line"},
    )
    assert Customer.objects.get(pk=customer.pk).business_line == "Yogur"


def test_the_same_value_on_both_sides_is_not_a_conflict(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    opened = Customer.objects.get(pk=customer.pk)
    services.update_customer(
        actor=ana,
        customer=customer,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )
    services.update_customer(
        actor=beto,
        customer=opened,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )
    assert Customer.objects.get(pk=customer.pk).version == 2  # nothing left to write


def test_without_the_history_of_that_version_nothing_can_be_proved_so_it_asks(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    opened = Customer.objects.get(pk=customer.pk)
    services.update_customer(
        actor=ana,
        customer=customer,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )
    Customer.history.filter(id=customer.pk, version=1).delete()  # as for a customer loaded without history

    with pytest.raises(StaleEdit) as refused:
        services.update_customer(
            actor=beto,
            customer=opened,
            data=gloria(document_number=doc, business_name="Gloria S.A.A."),
            version=1,
            changed={"business_name"},
        )
    assert [c.key for c in refused.value.conflicts] == ["business_name"]


def test_an_edit_that_does_not_say_what_it_changed_is_compared_with_its_version(people):
    """An import row or a PATCH without `changed`: what differs from the version it started
    from is its change (read from the history); the rest is the other person's to keep."""
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    opened = Customer.objects.get(pk=customer.pk)
    services.update_customer(
        actor=ana,
        customer=customer,
        data=gloria(document_number=doc, business_line="Leche"),
        version=1,
        changed={"business_line"},
    )
    services.update_customer(
        actor=beto, customer=opened, data=gloria(document_number=doc, business_name="Gloria S.A.A."), version=1
    )
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.business_line, customer.name) == ("Leche", "Gloria S.A.A.")
    with pytest.raises(StaleEdit):  # and a different Giro from version 1 is a conflict
        services.update_customer(
            actor=beto, customer=opened, data=gloria(document_number=doc, business_line="Yogur"), version=1
        )


def test_the_api_can_send_an_etag():
    assert parse_etag('"7"') == 7 and parse_etag('W/"7"') == 7 and parse_etag("x") is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("second_field", "refused"), [("business_name", False), ("business_line", True)])
def test_two_sessions_saving_at_once_merge_or_refuse_on_postgresql(second_field, refused):
    """Thread B reads version 1 and saves while A's save (also from version 1) holds the row:
    B waits for the lock, then sees version 2 and merges (another field) or is refused (same)."""
    from customers.reference import load_reference_data

    load_reference_data()
    ana = user_with_role("Ventas", username="ana", first_name="Ana", last_name="Ruiz")
    beto = user_with_role("Ventas", username="beto", first_name="Beto", last_name="Díaz")
    customer = services.create_customer(actor=ana, data=gloria())
    doc = customer.document_number
    values = {"business_name": "Gloria S.A.A.", "business_line": "Yogur"}
    outcome = {}
    ready, pid_box = threading.Event(), {}

    def beto_saves():
        try:
            pid_box["pid"] = backend_pid()
            ready.set()
            opened = Customer.objects.get(pk=customer.pk)
            services.update_customer(
                actor=beto,
                customer=opened,
                data=gloria(document_number=doc, **{second_field: values[second_field]}),
                version=1,
                changed={second_field},
            )
            outcome["beto"] = "saved"
        except StaleEdit as exc:
            outcome["beto"] = exc
        finally:
            connection.close()

    release = threading.Event()
    with transaction.atomic():
        services.update_customer(
            actor=ana,
            customer=customer,
            data=gloria(document_number=doc, business_line="Leche"),
            version=1,
            changed={"business_line"},
        )
        thread = threading.Thread(target=beto_saves)
        thread.start()
        ready.wait(10)
        watcher = release_when_blocked(pid_box["pid"], release)
        release.wait(20)
    thread.join(30)
    watcher.join(5)
    assert watcher.saw_wait, "Beto's save never waited for Ana's lock"

    customer = Customer.objects.get(pk=customer.pk)
    if refused:
        assert isinstance(outcome["beto"], StaleEdit)
        assert customer.business_line == "Leche"
    else:
        assert outcome["beto"] == "saved"
        assert (customer.business_line, customer.name) == ("Leche", "Gloria S.A.A.")


# --- the one-row records ------------------------------------------------------------------


def test_a_stale_address_edit_of_the_same_field_is_refused_and_of_another_merged(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    address = customer.addresses.get()
    base = {"kind": "fiscal", "district": "150122", "street": "Av. Larco 123", "reference": "Frente al parque"}
    services.save_address(
        actor=ana, customer=customer, address=address, data={**base, "unit": "Of. 201"}, version=1, changed={"unit"}
    )
    with pytest.raises(StaleEdit) as refused:
        services.save_address(
            actor=beto,
            customer=customer,
            address=address,
            data={**base, "unit": "Of. 305"},
            version=1,
            changed={"unit"},
        )
    assert refused.value.conflicts[0].current == "Of. 201"
    services.save_address(
        actor=beto,
        customer=customer,
        address=address,
        data={**base, "reference": "Al lado del banco"},
        version=1,
        changed={"reference"},
    )
    address.refresh_from_db()
    assert (address.unit, address.reference) == ("Of. 201", "Al lado del banco")


def test_a_stale_contact_edit_is_refused(people):
    ana, beto = people
    customer = services.create_customer(actor=ana, data=gloria())
    contact = services.save_contact(actor=ana, customer=customer, data={"name": "Rosa Quispe", "role": "Compras"})
    services.save_contact(
        actor=ana,
        customer=customer,
        contact=contact,
        data={"name": "Rosa Quispe", "role": "Gerente"},
        version=1,
        changed={"role"},
    )
    with pytest.raises(StaleEdit) as refused:
        services.save_contact(
            actor=beto,
            customer=customer,
            contact=contact,
            data={"name": "Rosa Quispe", "role": "Almacén"},
            version=1,
            changed={"role"},
        )
    assert "Ana Ruiz" in refused.value.messages[0]


def test_a_stale_note_edit_is_refused_and_a_deleted_note_says_so(people):
    ana, _ = people
    customer = services.create_customer(actor=ana, data=gloria())
    note = notes.add_note(actor=ana, customer=customer, text="Llamar el lunes")
    notes.update_note(actor=ana, note=note, text="Llamar el martes", version=1)
    with pytest.raises(StaleEdit):
        notes.update_note(actor=ana, note=note, text="Llamar el miércoles", version=1)
    notes.delete_note(actor=ana, note=note)
    with pytest.raises(StaleEdit) as refused:
        notes.update_note(actor=ana, note=note, text="Llamar el jueves", version=3)
    assert refused.value.gone


def test_a_stale_rename_of_a_categoria_is_refused(db):
    ana = user_with_role("Administrador", username="ana", first_name="Ana", last_name="Ruiz")
    beto = user_with_role("Administrador", username="beto", first_name="Beto", last_name="Díaz")
    category = Category.objects.create(name="Mayorista")
    services.save_choice(actor=ana, model=Category, name="Mayoristas", instance=category, version=1)
    with pytest.raises(StaleEdit) as refused:
        services.save_choice(actor=beto, model=Category, name="Por mayor", instance=category, version=1)
    assert "Mayoristas" in refused.value.conflicts[0].current
    assert refused.value.changes[0].who == "Ana Ruiz"


def test_a_stale_edit_of_an_attribute_definition_is_refused(db):
    admin = user_with_role("Administrador", username="admin", first_name="Ana", last_name="Ruiz")
    definition = attribute_services.create_definition(actor=admin, data={"kind": "texto", "name": "Aniversario"})
    data = {"kind": "texto", "name": "Aniversario", "help_text": "Fecha de fundación"}
    attribute_services.update_definition(
        actor=admin, definition=definition, data=data, version=1, changed={"help_text"}
    )
    with pytest.raises(StaleEdit):
        attribute_services.update_definition(
            actor=admin, definition=definition, data={**data, "help_text": "Otra"}, version=1, changed={"help_text"}
        )
