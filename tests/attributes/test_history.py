"""Attribute values in the customer's history and Notas timeline: by the attribute's name,
formatted as the summary shows them; revert brings them back; a type conversion is recorded."""

import pytest

from attributes import services
from customers.models import Customer, CustomerNote
from customers.services import create_customer, revert_customer, update_customer
from tests.attributes.factories import make_definition
from tests.factories import company_data
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def last_note(customer) -> CustomerNote:
    return customer.notes.order_by("-id").first()


def test_an_attribute_change_is_noted_by_name_with_before_and_after():
    level = make_definition(kind="lista", name="Nivel de cliente", options=["Oro", "Plata"])
    since = make_definition(kind="fecha", name="Aniversario")
    ventas = user_with_role("Ventas")
    customer = create_customer(actor=ventas, data=company_data(attributes={level.key: "Plata"}))

    update_customer(
        actor=ventas,
        customer=customer,
        data=company_data(
            document_number=customer.document_number, attributes={level.key: "Oro", since.key: "15/08/2005"}
        ),
    )

    note = last_note(customer)
    assert (note.kind, note.author) == (CustomerNote.Kind.EDITED, ventas)
    assert note.text.splitlines() == ["Nivel de cliente: Plata → Oro", "Aniversario: — → 15/08/2005"]
    assert customer.history.count() == 2


def test_revert_brings_back_the_attribute_values_of_that_version():
    level = make_definition(kind="lista", name="Nivel", options=["Oro", "Plata"])
    employees = make_definition(kind="entero", name="Empleados")
    admin = user_with_role("Administrador")
    customer = create_customer(actor=admin, data=company_data(attributes={level.key: "Plata"}))
    first = customer.history.get().history_id
    update_customer(
        actor=admin,
        customer=customer,
        data=company_data(document_number=customer.document_number, attributes={level.key: "Oro", employees.key: 40}),
    )

    revert_customer(actor=admin, customer=customer, history_id=first)

    customer.refresh_from_db()
    assert customer.attributes == {level.key: "Plata"}
    note = last_note(customer)
    assert note.kind == CustomerNote.Kind.REVERTED
    assert "Nivel: Oro → Plata" in note.text and "Empleados: 40 → —" in note.text


def test_revert_keeps_archived_attribute_values():
    zone = make_definition(kind="texto", name="Zona")
    admin = user_with_role("Administrador")
    customer = create_customer(actor=admin, data=company_data(business_name="Antes S.A.C."))
    first = customer.history.get().history_id
    update_customer(
        actor=admin,
        customer=customer,
        data=company_data(document_number=customer.document_number, attributes={zone.key: "Norte"}),
    )
    services.archive_definition(actor=admin, definition=zone)

    revert_customer(actor=admin, customer=customer, history_id=first)

    customer.refresh_from_db()
    assert customer.attributes == {zone.key: "Norte"}


def test_a_type_conversion_leaves_one_history_record_and_note_per_converted_customer():
    employees = make_definition(kind="texto", name="Empleados")
    admin = user_with_role("Administrador")
    converted = create_customer(actor=None, data=company_data(attributes={employees.key: "1,250"}))
    second = create_customer(actor=None, data=company_data(attributes={employees.key: "40"}))
    without = create_customer(actor=None, data=company_data())

    services.update_definition(actor=admin, definition=employees, data={"kind": "entero", "name": "Empleados"})

    records = {c.pk: c.history.count() for c in (converted, second, without)}
    assert records == {converted.pk: 2, second.pk: 2, without.pk: 1}
    latest = Customer.history.filter(id=converted.pk).latest("history_id")
    assert (latest.history_user, latest.attributes) == (admin, {employees.key: 1250})
    assert latest.history_change_reason == "Atributo «Empleados» convertido"
    note = last_note(converted)
    assert (note.kind, note.author, note.text) == (
        CustomerNote.Kind.EDITED,
        admin,
        "Empleados: valor convertido al tipo número entero.",
    )


def test_every_change_of_a_definition_leaves_one_history_record_with_the_administrator():
    admin = user_with_role("Administrador")
    first = services.create_definition(actor=admin, data={"kind": "texto", "name": "Zona"})
    second = services.create_definition(actor=admin, data={"kind": "entero", "name": "Empleados"})

    def reasons(definition) -> list[tuple[str, str]]:
        records = type(definition).history.filter(id=definition.pk).order_by("history_id")
        assert {r.history_user for r in records} == {admin}
        return [(r.history_type, r.history_change_reason) for r in records]

    services.update_definition(actor=admin, definition=first, data={"kind": "texto", "name": "Zona comercial"})
    services.move_definition(actor=admin, definition=second, direction="up")
    services.archive_definition(actor=admin, definition=first)
    services.unarchive_definition(actor=admin, definition=first)
    services.delete_definition(actor=admin, definition=first)

    assert [kind for kind, _ in reasons(first)] == ["+", "~", "~", "~", "~", "-"]
    assert [r for _, r in reasons(first)][-3:] == ["Archivado", "Restaurado", "Eliminado"]
    assert [kind for kind, _ in reasons(second)] == ["+", "~"]
