"""Rules of attributes.services: definitions (create, rename, retype, reorder, archive,
delete) and the values on customers (clean, required, archived, unknown)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from attributes import services
from attributes.models import AttributeDefinition
from customers.models import Customer
from customers.services import create_customer, update_customer
from tests.attributes.factories import make_definition
from tests.concurrency import backend_pid, release_when_blocked, uncommitted
from tests.factories import company_data, make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def set_values(customer: Customer, **by_definition) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(attributes=by_definition)
    customer.refresh_from_db()
    return customer


# --- definitions ---------------------------------------------------------------------------


def test_a_definition_is_created_last_in_the_order_with_its_history():
    first = make_definition(name="Aniversario", kind="fecha", help_text="Fecha de fundación")
    second = make_definition(name="Nivel", kind="lista", options=["Oro", "Plata"])
    assert second.position > first.position
    assert first.history.count() == 1 and first.history.first().history_change_reason == "Creado"
    assert second.options == ["Oro", "Plata"]


def test_a_definition_queues_the_index_of_its_values(tasks_backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_definition(kind="entero", name="Empleados")
        make_definition(kind="texto_largo", name="Notas de visita")  # contains only: no index
    assert [r.kwargs for r in tasks_backend.results] == [
        {"definition_id": AttributeDefinition.objects.get(kind="entero").pk}
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "texto", "name": ""}, "name", "Ingrese el nombre"),
        ({"kind": "texto", "name": "x" * 61}, "name", "Máximo 60 caracteres"),
        ({"kind": "nada", "name": "X"}, "kind", "Elija el tipo"),
        ({"kind": "lista", "name": "X", "options": ""}, "options", "Escriba las opciones"),
        ({"kind": "lista", "name": "X", "options": "Oro\noro"}, "options", "está repetida"),
        ({"kind": "lista", "name": "X", "options": "a;b"}, "options", "punto y coma"),
        ({"kind": "entero", "name": "X", "min_value": "10", "max_value": "1"}, "max_value", "mayor o igual"),
        ({"kind": "entero", "name": "X", "min_value": "diez"}, "min_value", "no es un número"),
        ({"kind": "decimal", "name": "X", "max_value": "5.000"}, "max_value", "escriba 5,000 si son miles o 5 si no"),
        ({"kind": "texto", "name": "X", "help_text": "x" * 251}, "help_text", "Máximo 250"),
    ],
)
def test_bad_definitions_are_refused_in_spanish_and_nothing_is_saved(data, field, message):
    with pytest.raises(ValidationError) as info:
        services.create_definition(actor=None, data=data)
    assert message in " ".join(info.value.message_dict[field])
    assert not AttributeDefinition.objects.exists()


def test_a_range_is_read_as_people_type_numbers():
    definition = make_definition(kind="decimal", min_value="0,5", max_value="1.500,50")
    assert (definition.min_value, definition.max_value) == (Decimal("0.5"), Decimal("1500.5"))


def test_names_are_unique_ignoring_case_archived_ones_included():
    archived = make_definition(name="Aniversario")
    services.archive_definition(actor=None, definition=archived)
    with pytest.raises(ValidationError, match="Ya existe un atributo con ese nombre"):
        make_definition(name="  ANIVERSARIO ")


def test_managing_definitions_needs_the_permission():
    ventas = user_with_role("Ventas")
    with pytest.raises(PermissionDenied):
        services.create_definition(actor=ventas, data={"kind": "texto", "name": "X"})
    definition = make_definition()
    for action in (services.archive_definition, services.delete_definition):
        with pytest.raises(PermissionDenied):
            action(actor=ventas, definition=definition)
    admin = user_with_role("Administrador")
    created = services.create_definition(actor=admin, data={"kind": "texto", "name": "Apodo"})
    assert created.history.first().history_user == admin


def test_renaming_and_new_help_keep_every_value():
    definition = make_definition(kind="texto", name="Apodo")
    customer = set_values(make_company(), **{definition.key: "Chino"})
    services.update_definition(
        actor=None, definition=definition, data={"kind": "texto", "name": "Sobrenombre", "help_text": "Cómo le dicen"}
    )
    customer.refresh_from_db()
    assert customer.attributes == {definition.key: "Chino"}
    assert AttributeDefinition.objects.get().name == "Sobrenombre"


def test_a_type_change_that_breaks_values_is_refused_saying_how_many_customers():
    definition = make_definition(kind="texto", name="Código")
    set_values(make_company(), **{definition.key: "12"})
    set_values(make_company(), **{definition.key: "ABC"})
    set_values(make_company(), **{definition.key: "XYZ"})
    with pytest.raises(ValidationError) as info:
        services.update_definition(actor=None, definition=definition, data={"kind": "entero", "name": "Código"})
    assert "2 clientes tienen un valor que no cabe" in info.value.message_dict["kind"][0]
    assert AttributeDefinition.objects.get().kind == "texto"
    assert sorted(c.attributes[definition.key] for c in Customer.objects.all()) == ["12", "ABC", "XYZ"]


def test_a_type_change_that_fits_converts_the_values():
    definition = make_definition(kind="texto", name="Empleados")
    customer = set_values(make_company(), **{definition.key: "1,250"})
    services.update_definition(actor=None, definition=definition, data={"kind": "entero", "name": "Empleados"})
    customer.refresh_from_db()
    assert customer.attributes == {definition.key: 1250}


def test_removing_an_option_in_use_is_refused():
    definition = make_definition(kind="lista", name="Nivel", options=["Oro", "Plata"])
    set_values(make_company(), **{definition.key: "Plata"})
    with pytest.raises(ValidationError, match="1 cliente tiene un valor"):
        services.update_definition(
            actor=None, definition=definition, data={"kind": "lista", "name": "Nivel", "options": ["Oro"]}
        )
    services.update_definition(
        actor=None, definition=definition, data={"kind": "lista", "name": "Nivel", "options": ["Oro", "Plata", "Cobre"]}
    )


def test_a_narrower_range_is_refused_when_values_fall_outside():
    definition = make_definition(kind="entero", name="Empleados")
    set_values(make_company(), **{definition.key: 500})
    with pytest.raises(ValidationError, match="1 cliente tiene"):
        services.update_definition(
            actor=None, definition=definition, data={"kind": "entero", "name": "Empleados", "max_value": "100"}
        )


def test_archiving_keeps_values_and_unarchiving_shows_them_again():
    definition = make_definition(name="Apodo")
    customer = set_values(make_company(), **{definition.key: "Chino"})
    services.archive_definition(actor=None, definition=definition)
    assert services.active_definitions() == []
    customer.refresh_from_db()
    assert customer.attributes == {definition.key: "Chino"}
    services.unarchive_definition(actor=None, definition=definition)
    assert services.active_definitions() == [definition]


def test_deleting_is_refused_while_a_customer_has_a_value_and_suggests_archiving():
    definition = make_definition(name="Apodo")
    set_values(make_company(), **{definition.key: "Chino"})
    with pytest.raises(ValidationError, match="1 cliente tiene un valor. Archívelo"):
        services.delete_definition(actor=None, definition=definition)
    assert AttributeDefinition.objects.exists()


def test_a_definition_without_values_is_deleted():
    definition = make_definition(name="Apodo")
    make_company()
    services.delete_definition(actor=None, definition=definition)
    assert not AttributeDefinition.objects.exists()


def test_moving_changes_the_order():
    a, b, c = make_definition(name="A"), make_definition(name="B"), make_definition(name="C")
    services.move_definition(actor=None, definition=c, direction="up")
    assert [d.name for d in services.active_definitions()] == ["A", "C", "B"]
    services.reorder_definitions(actor=None, ids=[b.pk, a.pk])
    assert [d.name for d in services.active_definitions()] == ["B", "A", "C"]


# --- values on customers ----------------------------------------------------------------------


def test_values_are_validated_and_stored_by_definition_id():
    fecha = make_definition(kind="fecha", name="Aniversario")
    nivel = make_definition(kind="lista", name="Nivel")
    customer = create_customer(actor=None, data=company_data(attributes={fecha.key: "25/12/2020", "Nivel": "oro"}))
    customer.refresh_from_db()
    assert customer.attributes == {fecha.key: "2020-12-25", nivel.key: "Oro"}


def test_an_invalid_value_is_reported_under_its_field_and_nothing_is_saved():
    dni = make_definition(kind="dni", name="DNI del gerente")
    with pytest.raises(ValidationError) as info:
        create_customer(actor=None, data=company_data(attributes={dni.key: "123"}))
    assert "8 dígitos" in info.value.message_dict[dni.field_name][0]
    assert not Customer.objects.exists()


def test_unknown_and_archived_attributes_are_refused():
    archived = make_definition(name="Viejo")
    services.archive_definition(actor=None, definition=archived)
    with pytest.raises(ValidationError) as info:
        create_customer(actor=None, data=company_data(attributes={"999": "x", archived.key: "y"}))
    messages = " ".join(info.value.message_dict["attributes"])
    assert "«999» no existe" in messages and "«Viejo» está archivado" in messages
    assert not Customer.objects.exists()


def test_saving_keeps_the_values_of_archived_attributes():
    archived = make_definition(name="Viejo")
    active = make_definition(name="Nuevo")
    customer = create_customer(actor=None, data=company_data(attributes={archived.key: "x", active.key: "a"}))
    services.archive_definition(actor=None, definition=archived)
    data = company_data(document_number=customer.document_number, attributes={active.key: "b"})
    update_customer(actor=None, customer=customer, data=data)
    customer.refresh_from_db()
    assert customer.attributes == {archived.key: "x", active.key: "b"}


def test_a_required_attribute_is_required_to_save():
    required = make_definition(name="Zona", required=True)
    with pytest.raises(ValidationError) as info:
        create_customer(actor=None, data=company_data(attributes={required.key: "  "}))
    assert info.value.message_dict[required.field_name] == ["Ingrese «Zona» (obligatorio)."]


def test_existing_customers_lacking_a_new_required_value_show_it_missing_and_fill_it_at_their_next_edit():
    customer = create_customer(actor=None, data=company_data())
    required = make_definition(name="Zona", required=True)
    assert services.missing_required(customer) == [required]
    data = company_data(document_number=customer.document_number)
    with pytest.raises(ValidationError) as info:
        update_customer(actor=None, customer=customer, data=data)
    assert required.field_name in info.value.message_dict
    update_customer(actor=None, customer=customer, data={**data, "attributes": {required.key: "Norte"}})
    assert services.missing_required(customer) == []


def test_callers_that_send_no_attributes_keep_the_stored_values():
    apodo = make_definition(name="Apodo")
    customer = create_customer(actor=None, data=company_data(attributes={apodo.key: "Chino"}))
    update_customer(actor=None, customer=customer, data=company_data(document_number=customer.document_number))
    customer.refresh_from_db()
    assert customer.attributes == {apodo.key: "Chino"}


def test_an_empty_value_removes_the_key():
    apodo = make_definition(name="Apodo")
    customer = create_customer(actor=None, data=company_data(attributes={apodo.key: "Chino"}))
    data = company_data(document_number=customer.document_number, attributes={apodo.key: ""})
    update_customer(actor=None, customer=customer, data=data)
    customer.refresh_from_db()
    assert customer.attributes == {}


def test_text_values_are_found_by_the_search_box():
    apodo = make_definition(name="Apodo")
    customer = create_customer(actor=None, data=company_data(attributes={apodo.key: "El Ñandú"}))
    customer.refresh_from_db()
    assert "el nandu" in customer.search_text


def test_attribute_columns_are_the_active_attributes_in_order():
    a = make_definition(name="A")
    b = make_definition(name="B")
    services.archive_definition(actor=None, definition=b)
    c = make_definition(name="C")
    assert [d.name for d in services.attribute_columns()] == [a.name, c.name]


@pytest.mark.django_db(transaction=True)
def test_a_customer_saved_while_its_attribute_is_retyped_is_refused_not_stored_in_the_old_form():
    from customers.reference import load_reference_data

    load_reference_data()  # transactional tests start without the reference rows
    code = make_definition(kind="texto", name="Código")
    customer = create_customer(actor=None, data=company_data())

    def retype():
        # The retype is done but not yet committed while the customer is being saved.
        services.update_definition(actor=None, definition=code, data={"kind": "entero", "name": "Código"})

    with uncommitted(retype) as held:
        # Checked against the texto definition still visible, then held on the definitions' lock:
        # the retype commits only once this session is seen waiting for it.
        watcher = release_when_blocked(backend_pid(), held.release)
        with pytest.raises(ValidationError, match="Los atributos adicionales cambiaron"):
            update_customer(
                actor=None,
                customer=customer,
                data=company_data(document_number=customer.document_number, attributes={code.key: "ABC"}),
            )
    watcher.join(timeout=20)
    assert watcher.saw_wait, "the customer's save never waited for the retype"

    customer.refresh_from_db()
    assert customer.attributes == {}
    assert AttributeDefinition.objects.get(pk=code.pk).kind == "entero"
