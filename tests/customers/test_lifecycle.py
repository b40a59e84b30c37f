"""Desactivar / Activar, Eliminar (the Papelera), Restaurar and the permanent deletion:
customers.services, with their permissions and refusals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers import services
from customers.models import Address, Contact, Customer, CustomerEmail, CustomerPhone
from tests.factories import make_company
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

GLORIA = "20100070970"


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


@pytest.fixture
def ventas(db):
    return user_with_role("Ventas")


def company(**overrides) -> Customer:
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": GLORIA,
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address": {"district": "150101", "street": "Av. Arequipa 123"},
        "phones": [{"number": "987654321", "whatsapp": True}, {"number": "014445555"}],
        "emails": ["ventas@gloria.pe", "pagos@gloria.pe"],
    }
    data.update(overrides)
    return services.create_customer(actor=None, data=data)


def snapshot(customer: Customer) -> dict:
    """Everything the customer owns, as plain values."""
    customer = Customer.objects.get(pk=customer.pk)
    return {
        "fields": {
            f.attname: getattr(customer, f.attname)
            for f in Customer._meta.concrete_fields
            if f.attname not in ("updated_at", "deleted_at", "deleted_by_id")
        },
        "addresses": list(Address.objects.filter(customer=customer).order_by("id").values()),
        "contacts": list(Contact.objects.filter(customer=customer).order_by("id").values()),
        "phones": list(CustomerPhone.objects.filter(customer=customer).order_by("id").values()),
        "emails": list(
            CustomerEmail.objects.filter(customer=customer).order_by("id").values("id", "email", "position")
        ),
    }


# --- Desactivar / Activar ---------------------------------------------------------------------


def test_deactivating_keeps_the_customer_on_file_as_suspended(ventas):
    customer = company()

    services.deactivate_customer(actor=ventas, customer=customer)

    customer.refresh_from_db()
    assert (customer.is_active, customer.deleted_at) == (False, None)


def test_activating_brings_a_suspended_customer_back(ventas):
    customer = company()
    services.deactivate_customer(actor=ventas, customer=customer)

    services.activate_customer(actor=ventas, customer=customer)

    assert Customer.objects.get(pk=customer.pk).is_active


def test_deactivating_twice_is_harmless(ventas):
    customer = company()
    services.deactivate_customer(actor=ventas, customer=customer)
    services.deactivate_customer(actor=ventas, customer=customer)

    assert not Customer.objects.get(pk=customer.pk).is_active


def test_a_customer_in_the_papelera_cannot_be_deactivated(admin):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)

    with pytest.raises(ValidationError, match="Papelera"):
        services.deactivate_customer(actor=admin, customer=customer)
    assert Customer.objects.get(pk=customer.pk).is_active


def test_a_suspended_customer_in_the_papelera_cannot_be_activated(admin):
    customer = company()
    services.deactivate_customer(actor=admin, customer=customer)
    services.trash_customer(actor=admin, customer=customer)

    with pytest.raises(ValidationError, match="Papelera"):
        services.activate_customer(actor=admin, customer=customer)
    assert not Customer.objects.get(pk=customer.pk).is_active


def test_consulta_cannot_deactivate():
    customer = company()

    with pytest.raises(PermissionDenied):
        services.deactivate_customer(actor=user_with_role("Consulta"), customer=customer)
    assert Customer.objects.get(pk=customer.pk).is_active


# --- Eliminar: to the Papelera -----------------------------------------------------------------


def test_eliminar_moves_the_customer_to_the_papelera_saying_who_and_when(admin):
    customer = company()

    services.trash_customer(actor=admin, customer=customer)

    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert customer.deleted_by == admin
    assert set(CustomerEmail.objects.filter(customer=customer).values_list("in_trash", flat=True)) == {True}


def test_eliminar_keeps_every_row_of_the_customer(admin):
    customer = company()
    services.save_contact(actor=admin, customer=customer, data={"name": "Ana Torres", "phones": "987111222"})

    services.trash_customer(actor=admin, customer=customer)

    assert Address.objects.filter(customer=customer).count() == 1
    assert Contact.objects.filter(customer=customer).count() == 1
    assert CustomerPhone.objects.filter(customer=customer).count() == 2
    assert CustomerEmail.objects.filter(customer=customer).count() == 2


def test_a_trashed_customer_leaves_the_uniqueness_rules_of_the_database(admin):
    services.trash_customer(actor=admin, customer=company())

    # The services still point at the trashed one ("restore it instead"); the database,
    # as an import writing rows directly would, lets another customer hold them.
    newcomer = make_company(business_name="Gloria Nueva S.A.", document_number=GLORIA, email="ventas@gloria.pe")

    assert newcomer.document_number == GLORIA


def test_eliminar_is_refused_while_an_app_above_says_the_customer_may_not_go(admin, delete_guards):
    customer = company()
    other = company(document_number="20131312955", business_name="Otra S.A.", emails=["otra@otra.pe"])
    # What the credit app will register at start-up: its unpaid documents, for its own customer only.
    delete_guards.register_trash_guard(lambda c: ["tiene 1 documento por cobrar"] if c.pk == customer.pk else [])

    with pytest.raises(ValidationError, match="«Gloria S.A.»: tiene 1 documento por cobrar. Desactívelo"):
        services.trash_customer(actor=admin, customer=customer)
    assert Customer.objects.get(pk=customer.pk).deleted_at is None
    services.trash_customer(actor=admin, customer=other)
    assert Customer.objects.get(pk=other.pk).deleted_at is not None


def test_every_registered_guard_is_asked_and_its_reasons_shown(admin, delete_guards):
    customer = company()
    delete_guards.register_trash_guard(lambda c: [])
    delete_guards.register_trash_guard(lambda c: ["tiene 2 documentos por cobrar", "tiene una letra protestada"])

    with pytest.raises(ValidationError, match="por cobrar; tiene una letra protestada"):
        services.trash_customer(actor=admin, customer=customer)


def test_a_guard_registered_for_the_permanent_deletion_does_not_stop_eliminar(admin, delete_guards):
    customer = company()
    delete_guards.register_purge_guard(lambda c: ["1 factura lo menciona"])

    services.trash_customer(actor=admin, customer=customer)
    assert Customer.objects.get(pk=customer.pk).deleted_at is not None


def test_a_customer_already_in_the_papelera_is_not_deleted_again(admin):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)

    with pytest.raises(ValidationError, match="ya está en la Papelera"):
        services.trash_customer(actor=admin, customer=customer)


def test_ventas_cannot_delete(ventas):
    customer = company()

    with pytest.raises(PermissionDenied):
        services.trash_customer(actor=ventas, customer=customer)
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


# --- Restaurar ---------------------------------------------------------------------------------


def test_restoring_brings_the_customer_back_exactly_as_it_was(admin):
    customer = company()
    services.save_contact(actor=admin, customer=customer, data={"name": "Ana Torres", "emails": "ana@gloria.pe"})
    services.save_address(
        actor=admin, customer=customer, data={"kind": "entrega", "district": "080101", "street": "Av. Sol 1"}
    )
    services.deactivate_customer(actor=admin, customer=customer)
    before = snapshot(customer)

    services.trash_customer(actor=admin, customer=customer)
    services.restore_customer(actor=admin, customer=customer)

    customer.refresh_from_db()
    assert (customer.deleted_at, customer.deleted_by) == (None, None)
    assert snapshot(customer) == before  # addresses, contacts, phones, e-mails, suspended
    assert set(CustomerEmail.objects.filter(customer=customer).values_list("in_trash", flat=True)) == {False}


def test_restoring_is_refused_when_another_customer_now_has_the_document(admin):
    old = company()
    services.trash_customer(actor=admin, customer=old)
    make_company(business_name="Gloria Nueva S.A.", document_number=GLORIA)  # as an import writes it

    with pytest.raises(ValidationError, match="Gloria Nueva S.A."):
        services.restore_customer(actor=admin, customer=old)
    assert Customer.objects.get(pk=old.pk).deleted_at is not None


def test_restoring_is_refused_when_another_customer_now_has_an_email(admin):
    old = company()
    services.trash_customer(actor=admin, customer=old)
    make_company(business_name="Otra S.A.C.", email="pagos@gloria.pe")  # as an import writes it

    with pytest.raises(ValidationError, match="pagos@gloria.pe ahora es de «Otra S.A.C.»"):
        services.restore_customer(actor=admin, customer=old)
    assert Customer.objects.get(pk=old.pk).deleted_at is not None
    assert set(CustomerEmail.objects.filter(customer=old).values_list("in_trash", flat=True)) == {True}


def test_a_customer_outside_the_papelera_is_not_restored(admin):
    with pytest.raises(ValidationError, match="no está en la Papelera"):
        services.restore_customer(actor=admin, customer=company())


def test_ventas_cannot_restore(admin, ventas):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)

    with pytest.raises(PermissionDenied):
        services.restore_customer(actor=ventas, customer=customer)


# --- Eliminar definitivamente ---------------------------------------------------------------------


def test_the_permanent_deletion_removes_the_customer_and_its_rows(admin):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)

    services.purge_customer(actor=admin, customer=customer)

    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Address.objects.filter(customer_id=customer.pk).exists()
    assert not CustomerEmail.objects.filter(customer_id=customer.pk).exists()


def test_the_permanent_deletion_works_only_from_the_papelera(admin):
    customer = company()

    with pytest.raises(ValidationError, match="desde la Papelera"):
        services.purge_customer(actor=admin, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_permanent_deletion_is_refused_while_a_document_refers_to_the_customer(admin, delete_guards):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)
    delete_guards.register_purge_guard(lambda c: ["1 factura lo menciona"])

    with pytest.raises(ValidationError, match="definitivamente «Gloria S.A.»: 1 factura lo menciona"):
        services.purge_customer(actor=admin, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_only_the_administrador_deletes_permanently(admin, role):
    customer = company()
    services.trash_customer(actor=admin, customer=customer)

    with pytest.raises(PermissionDenied):
        services.purge_customer(actor=user_with_role(role), customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_roles_hold_the_lifecycle_permissions_as_designed(admin, ventas):
    assert admin.has_perm("customers.restore_customer") and admin.has_perm("customers.purge_customer")
    assert admin.has_perm("customers.delete_customer")
    assert ventas.has_perm("customers.change_customer")  # Desactivar / Activar is an edit
    for permission in ("delete_customer", "restore_customer", "purge_customer"):
        assert not ventas.has_perm(f"customers.{permission}")
