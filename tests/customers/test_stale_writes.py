"""A stale write never undoes a state change, and a customer in the Papelera is read-only
(issue 19, points 3 and 7): every write re-reads the customer under its row lock, refuses a
trashed one, and writes only the fields it owns.

The races run two real PostgreSQL sessions (transactional tests): the state change holds its
transaction open until the write is seen waiting for the customer's row (tests.concurrency),
then commits — the write must read what it committed, not what its page showed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import notes, services
from customers.models import Address, Contact, Customer, CustomerEmail, CustomerNote
from customers.reference import load_reference_data
from tests.concurrency import backend_pid, release_when_blocked, uncommitted
from tests.factories import company_data
from tests.roles import user_with_role

IN_TRASH = "en la Papelera: restáurelo primero"


def _new_company(**overrides) -> Customer:
    data = company_data(emails=["ventas@gloria.pe"], phones=[{"number": "987654321"}], **overrides)
    return services.create_customer(actor=None, data=data)


def _edit(customer: Customer, **overrides) -> dict:
    """What the edit form posts for `customer` (the fields it shows, as the page had them)."""
    data = company_data(
        document_number=customer.document_number,
        business_name=customer.business_name,
        emails=["ventas@gloria.pe"],
        phones=[{"number": "987654321"}],
    )
    data.update(overrides)
    return data


def _race(state_change, write):
    """`state_change()` runs in its own session and commits only once `write()`, run here on
    a copy of the customer read before the change, waits for the customer's row. Returns
    (the write's result or its ValidationError, whether the write was seen waiting)."""
    with uncommitted(state_change) as held:
        watcher = release_when_blocked(backend_pid(), held.release)
        try:
            outcome = write()
        except ValidationError as exc:
            outcome = exc
    watcher.join(timeout=20)
    return outcome, watcher.saw_wait


# --- races: the state change wins over a write from an older page --------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_edit_racing_eliminar_is_refused_and_the_customer_stays_in_the_papelera():
    load_reference_data()  # transactional tests start without the reference rows
    customer = _new_company(business_name="Gloria S.A.")
    page = Customer.objects.get(pk=customer.pk)  # the editor opened the form before Eliminar

    outcome, waited = _race(
        lambda: services.trash_customer(actor=None, customer=Customer.objects.get(pk=customer.pk)),
        lambda: services.update_customer(actor=None, customer=page, data=_edit(page, business_name="Gloria Editada")),
    )

    assert waited, "the edit never waited for the customer's row"
    assert isinstance(outcome, ValidationError) and IN_TRASH in " ".join(outcome.messages)
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.deleted_at is not None and stored.name == "Gloria S.A."
    # Its e-mails stay out of the uniqueness rule, as Eliminar left them (not free twice).
    assert list(CustomerEmail.objects.filter(customer=stored).values_list("in_trash", flat=True)) == [True]
    assert stored.history.latest("history_id").history_change_reason == "Enviado a la Papelera"


@pytest.mark.django_db(transaction=True)
def test_a_suspension_racing_an_edit_survives_it_and_the_edit_is_saved():
    load_reference_data()
    customer = _new_company(business_name="Gloria S.A.")
    page = Customer.objects.get(pk=customer.pk)  # is_active=True on the editor's page

    outcome, waited = _race(
        lambda: services.suspend_customer(actor=None, customer=Customer.objects.get(pk=customer.pk)),
        lambda: services.update_customer(actor=None, customer=page, data=_edit(page, business_name="Gloria Editada")),
    )

    assert waited, "the edit never waited for the customer's row"
    assert not isinstance(outcome, ValidationError), outcome
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.is_active, stored.name) == (False, "Gloria Editada")
    # The record of the edit keeps the suspension: a revert to it would not reactivate.
    assert stored.history.latest("history_id").is_active is False
    # The caller's copy shows what was saved, suspension included.
    assert (page.is_active, page.name) == (False, "Gloria Editada")


@pytest.mark.django_db(transaction=True)
def test_a_note_written_while_the_customer_goes_to_the_papelera_is_refused():
    load_reference_data()
    customer = _new_company()
    ventas = user_with_role("Ventas")
    page = Customer.objects.get(pk=customer.pk)

    outcome, waited = _race(
        lambda: services.trash_customer(actor=None, customer=Customer.objects.get(pk=customer.pk)),
        lambda: notes.add_note(actor=ventas, customer=page, text="Llamar el lunes"),
    )

    assert waited, "the note never waited for the customer's row"
    assert isinstance(outcome, ValidationError) and IN_TRASH in " ".join(outcome.messages)
    assert not CustomerNote.objects.filter(kind=CustomerNote.Kind.MANUAL).exists()


@pytest.mark.django_db(transaction=True)
def test_an_address_added_while_the_customer_goes_to_the_papelera_is_refused():
    load_reference_data()
    customer = _new_company()
    page = Customer.objects.get(pk=customer.pk)

    outcome, waited = _race(
        lambda: services.trash_customer(actor=None, customer=Customer.objects.get(pk=customer.pk)),
        lambda: services.save_address(
            actor=None, customer=page, data={"district": "150122", "street": "Av. Larco 123", "kind": "entrega"}
        ),
    )

    assert waited, "the address never waited for the customer's row"
    assert isinstance(outcome, ValidationError) and IN_TRASH in " ".join(outcome.messages)
    assert Address.objects.filter(customer=customer).count() == 1


# --- a page opened before the change, saved after it ---------------------------------------------


@pytest.fixture
def trashed(db):
    """A customer with a note, an extra address and a contact, then sent to the Papelera; the
    objects are the ones a page loaded before Eliminar."""
    customer = _new_company()
    author = user_with_role("Ventas")
    note = notes.add_note(actor=author, customer=customer, text="Cliente puntual")
    extra = services.save_address(
        actor=None, customer=customer, data={"district": "150122", "street": "Av. Larco 123", "kind": "entrega"}
    )
    contact = services.save_contact(actor=None, customer=customer, data={"name": "Ana Ruiz"})
    page = Customer.objects.get(pk=customer.pk)
    services.trash_customer(actor=None, customer=customer)
    return {"customer": page, "author": author, "note": note, "address": extra, "contact": contact}


WRITES = {
    "edit": lambda t: services.update_customer(
        actor=None, customer=t["customer"], data=_edit(t["customer"], business_name="Otra")
    ),
    "revert": lambda t: services.revert_customer(
        actor=None, customer=t["customer"], history_id=t["customer"].history.earliest("history_id").history_id
    ),
    "attributes": lambda t: services.update_customer(
        actor=None, customer=t["customer"], data=_edit(t["customer"], attributes={})
    ),
    "add address": lambda t: services.save_address(
        actor=None, customer=t["customer"], data={"district": "150101", "street": "Jr. Puno 1", "kind": "otra"}
    ),
    "edit address": lambda t: services.save_address(
        actor=None,
        customer=t["customer"],
        address=t["address"],
        data={"district": "150122", "street": "Av. Larco 999", "kind": "entrega"},
    ),
    "default address": lambda t: services.make_default_address(actor=None, address=t["address"]),
    "delete address": lambda t: services.delete_address(actor=None, address=t["address"]),
    "add contact": lambda t: services.save_contact(actor=None, customer=t["customer"], data={"name": "Luis Paz"}),
    "edit contact": lambda t: services.save_contact(
        actor=None, customer=t["customer"], contact=t["contact"], data={"name": "Ana María Ruiz"}
    ),
    "delete contact": lambda t: services.delete_contact(actor=None, contact=t["contact"]),
    "add note": lambda t: notes.add_note(actor=t["author"], customer=t["customer"], text="Otra nota"),
    "edit note": lambda t: notes.update_note(actor=t["author"], note=t["note"], text="Editada"),
    "delete note": lambda t: notes.delete_note(actor=t["author"], note=t["note"]),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_customer_in_the_papelera_is_read_only_for_every_write(trashed, write):
    customer = trashed["customer"]
    before = (
        Customer.history.filter(id=customer.pk).count(),
        list(Address.objects.filter(customer=customer).values_list("id", "street", "is_default")),
        list(Contact.objects.filter(customer=customer).values_list("id", "name")),
        list(CustomerNote.objects.filter(customer=customer).values_list("id", "text")),
    )

    with pytest.raises(ValidationError, match=IN_TRASH):
        WRITES[write](trashed)

    after = (
        Customer.history.filter(id=customer.pk).count(),
        list(Address.objects.filter(customer=customer).values_list("id", "street", "is_default")),
        list(Contact.objects.filter(customer=customer).values_list("id", "name")),
        list(CustomerNote.objects.filter(customer=customer).values_list("id", "text")),
    )
    assert after == before
    assert Customer.objects.get(pk=customer.pk).deleted_at is not None


def test_ventas_cannot_edit_its_own_note_on_a_customer_in_the_papelera(client, trashed):
    client.force_login(trashed["author"])
    note, customer = trashed["note"], trashed["customer"]

    response = client.post(
        reverse("customers:note_update", args=[customer.pk, note.pk]), {"text": "Editada"}, follow=True
    )

    assert response.status_code == 200
    assert IN_TRASH in response.content.decode()
    assert CustomerNote.objects.get(pk=note.pk).text == "Cliente puntual"


def test_an_edit_of_a_suspended_customer_keeps_it_suspended(db):
    customer = _new_company()
    page = Customer.objects.get(pk=customer.pk)
    services.suspend_customer(actor=None, customer=customer)

    services.update_customer(actor=None, customer=page, data=_edit(page, business_name="Gloria Editada"))

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.is_active, stored.name) == (False, "Gloria Editada")


def test_an_address_deleted_meanwhile_is_not_brought_back_by_an_edit(db):
    customer = _new_company()
    extra = services.save_address(
        actor=None, customer=customer, data={"district": "150122", "street": "Av. Larco 123", "kind": "entrega"}
    )
    page = Address.objects.get(pk=extra.pk)
    services.delete_address(actor=None, address=extra)

    with pytest.raises(ValidationError, match="Esa dirección ya no existe"):
        services.save_address(
            actor=None, customer=customer, address=page, data={"district": "150122", "street": "Av. Larco 9"}
        )
    assert not Address.objects.filter(pk=extra.pk).exists()


def test_a_contact_deleted_meanwhile_is_not_brought_back_by_an_edit(db):
    customer = _new_company()
    contact = services.save_contact(actor=None, customer=customer, data={"name": "Ana Ruiz"})
    page = Contact.objects.get(pk=contact.pk)
    services.delete_contact(actor=None, contact=contact)

    with pytest.raises(ValidationError, match="Ese contacto ya no existe"):
        services.save_contact(actor=None, customer=customer, contact=page, data={"name": "Ana María Ruiz"})
    assert not Contact.objects.filter(pk=contact.pk).exists()
