"""Every write service called as each role with no view in front — what the integration API
and the Excel import rely on: the roles that may do it can, the others get PermissionDenied
and nothing is written (issue 21). actor=None is the system (commands, migrations)."""

import pytest
from django.core.exceptions import PermissionDenied

from attributes import services as attribute_services
from attributes.models import AttributeDefinition
from customers import lookup, notes, services
from customers.models import Address, Category, Contact, Customer, CustomerNote, CustomerSettings
from tests.attributes.factories import make_definition
from tests.factories import company_data
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

ROLES = ["Administrador", "Ventas", "Créditos", "Consulta"]


@pytest.fixture
def world():
    """A customer with a second address, a contact and a note written by a Ventas user; a
    customer in the Papelera, a suspended one; a category; two attributes."""
    author = user_with_role("Ventas")
    customer = services.create_customer(actor=None, data=company_data(business_name="Gloria S.A."))
    address = services.save_address(
        actor=None, customer=customer, data={"district": "150122", "street": "Av. Larco 123", "kind": "entrega"}
    )
    contact = services.save_contact(actor=None, customer=customer, data={"name": "Ana Ruiz"})
    note = notes.add_note(actor=author, customer=customer, text="Cliente puntual")
    trashed = services.create_customer(actor=None, data=company_data(business_name="Papelera S.A."))
    services.trash_customer(actor=None, customer=trashed)
    suspended = services.create_customer(actor=None, data=company_data(business_name="Suspendida S.A."))
    services.deactivate_customer(actor=None, customer=suspended)
    category = services.save_choice(actor=None, model=Category, name="Mayorista")
    first = make_definition(name="Zona de reparto")
    definition = make_definition(name="Código interno")
    return {
        "customer": customer,
        "address": address,
        "contact": contact,
        "note": note,
        "trashed": trashed,
        "suspended": suspended,
        "category": category,
        "first_definition": first,
        "definition": definition,
    }


def _edit_data(customer, **overrides):
    return company_data(document_number=customer.document_number, business_name="Gloria Editada", **overrides)


# service: (roles that may call it, the call)
WRITES = {
    "create_customer": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.create_customer(actor=actor, data=company_data()),
    ),
    "update_customer": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.update_customer(actor=actor, customer=w["customer"], data=_edit_data(w["customer"])),
    ),
    "revert_customer": (
        {"Administrador"},
        lambda w, actor: services.revert_customer(
            actor=actor,
            customer=w["customer"],
            history_id=w["customer"].history.earliest("history_id").history_id,
        ),
    ),
    "save_address (new)": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.save_address(
            actor=actor, customer=w["customer"], data={"district": "150101", "street": "Jr. Puno 1"}
        ),
    ),
    "save_address (edit)": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.save_address(
            actor=actor, customer=w["customer"], address=w["address"], data={"district": "150122", "street": "Av. 2"}
        ),
    ),
    "make_default_address": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.make_default_address(actor=actor, address=w["address"]),
    ),
    "delete_address": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.delete_address(actor=actor, address=w["address"]),
    ),
    "save_contact (new)": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.save_contact(actor=actor, customer=w["customer"], data={"name": "Luis Paz"}),
    ),
    "save_contact (edit)": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.save_contact(
            actor=actor, customer=w["customer"], contact=w["contact"], data={"name": "Ana María Ruiz"}
        ),
    ),
    "delete_contact": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.delete_contact(actor=actor, contact=w["contact"]),
    ),
    "deactivate_customer": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.deactivate_customer(actor=actor, customer=w["customer"]),
    ),
    "activate_customer": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.activate_customer(actor=actor, customer=w["suspended"]),
    ),
    "trash_customer": (
        {"Administrador"},
        lambda w, actor: services.trash_customer(actor=actor, customer=w["customer"]),
    ),
    "restore_customer": (
        {"Administrador"},
        lambda w, actor: services.restore_customer(actor=actor, customer=w["trashed"]),
    ),
    "purge_customer": (
        {"Administrador"},
        lambda w, actor: services.purge_customer(actor=actor, customer=w["trashed"]),
    ),
    "bulk_lifecycle (desactivar)": (
        {"Administrador", "Ventas"},
        lambda w, actor: services.bulk_lifecycle(actor=actor, action="desactivar", customer_ids=[w["customer"].pk]),
    ),
    "bulk_lifecycle (eliminar)": (
        {"Administrador"},
        lambda w, actor: services.bulk_lifecycle(actor=actor, action="eliminar", customer_ids=[w["customer"].pk]),
    ),
    "add_note": (
        {"Administrador", "Ventas", "Créditos"},
        lambda w, actor: notes.add_note(actor=actor, customer=w["customer"], text="Llamar el lunes"),
    ),
    # Someone else's note: only an Administrador (the author's own is tested in test_notes.py).
    "update_note": (
        {"Administrador"},
        lambda w, actor: notes.update_note(actor=actor, note=w["note"], text="Editada"),
    ),
    "delete_note": (
        {"Administrador"},
        lambda w, actor: notes.delete_note(actor=actor, note=w["note"]),
    ),
    "update_customer_settings": (
        {"Administrador"},
        lambda w, actor: services.update_customer_settings(actor=actor, data={"require_email": True}),
    ),
    "save_choice (new)": (
        {"Administrador"},
        lambda w, actor: services.save_choice(actor=actor, model=Category, name="Minorista"),
    ),
    "save_choice (rename)": (
        {"Administrador"},
        lambda w, actor: services.save_choice(actor=actor, model=Category, name="Mayoristas", instance=w["category"]),
    ),
    "delete_choice": (
        {"Administrador"},
        lambda w, actor: services.delete_choice(actor=actor, instance=w["category"]),
    ),
    "create_definition": (
        {"Administrador"},
        lambda w, actor: attribute_services.create_definition(actor=actor, data={"kind": "texto", "name": "Zona"}),
    ),
    "update_definition": (
        {"Administrador"},
        lambda w, actor: attribute_services.update_definition(
            actor=actor, definition=w["definition"], data={"kind": "texto", "name": "Código"}
        ),
    ),
    "move_definition": (
        {"Administrador"},
        lambda w, actor: attribute_services.move_definition(actor=actor, definition=w["definition"], direction="up"),
    ),
    "reorder_definitions": (
        {"Administrador"},
        lambda w, actor: attribute_services.reorder_definitions(
            actor=actor, ids=[w["definition"].pk, w["first_definition"].pk]
        ),
    ),
    "archive_definition": (
        {"Administrador"},
        lambda w, actor: attribute_services.archive_definition(actor=actor, definition=w["definition"]),
    ),
    "delete_definition": (
        {"Administrador"},
        lambda w, actor: attribute_services.delete_definition(actor=actor, definition=w["definition"]),
    ),
}


def _state():
    """Everything a write could change, to check that a refused one changed nothing."""
    return (
        sorted(Customer.history.values_list("history_id", flat=True)),
        sorted(Address.history.values_list("history_id", flat=True)),
        sorted(Contact.history.values_list("history_id", flat=True)),
        sorted(CustomerNote.history.values_list("history_id", flat=True)),
        sorted(Category.objects.values_list("id", "name")),
        list(CustomerSettings.objects.values_list("require_email", flat=True)),
        sorted(AttributeDefinition.history.values_list("history_id", flat=True)),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", WRITES)
def test_each_write_service_checks_the_role_of_its_caller(world, write, role):
    allowed, call = WRITES[write]
    actor = user_with_role(role)
    before = _state()

    if role in allowed:
        call(world, actor)
        assert _state() != before, f"{write} as {role} changed nothing"
    else:
        with pytest.raises(PermissionDenied):
            call(world, actor)
        assert _state() == before


@pytest.mark.parametrize("write", WRITES)
def test_the_system_may_call_every_write_service(world, write):
    _, call = WRITES[write]
    before = _state()
    call(world, None)
    assert _state() != before


def test_a_user_without_any_role_is_refused_every_write(world, django_user_model):
    nobody = django_user_model.objects.create_user(username="sin-rol", password="x")
    for write, (_, call) in WRITES.items():
        with pytest.raises(PermissionDenied):
            call(world, nobody)
            pytest.fail(f"{write} accepted a user without a role")


@pytest.mark.parametrize(
    ("role", "may"), [("Administrador", True), ("Ventas", True), ("Créditos", False), ("Consulta", False)]
)
def test_the_registry_lookup_is_for_who_creates_or_edits_customers(role, may, settings):
    settings.LOOKUP_BASE_URL = ""  # not configured: an allowed caller gets that answer, no HTTP
    actor = user_with_role(role)

    assert lookup.may_look_up(actor) is may
    if may:
        with pytest.raises(lookup.LookupFailed):
            lookup.lookup_document(actor=actor, kind="ruc", number="20100070970")
    else:
        with pytest.raises(PermissionDenied):
            lookup.lookup_document(actor=actor, kind="ruc", number="20100070970")
