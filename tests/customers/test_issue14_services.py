"""Issue 14 in the services: what the creation form says it saves lands where people look;
phones as offices write them; one word for one state; the Papelera's truth."""

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import Contact, Customer, CustomerNote
from tests.factories import company_data
from tests.roles import user_with_role


@pytest.fixture
def ventas(db):
    return user_with_role("Ventas", first_name="Lucía", last_name="Flores")


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- what is typed at creation ------------------------------------------------------------


def test_the_contact_name_of_the_creation_form_is_a_real_contact(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(contact_name="Rosa Quispe"))
    contact = Contact.objects.get(customer=customer)
    assert contact.name == "Rosa Quispe"
    assert Contact.history.get(id=contact.pk).history_user == ventas


def test_the_note_of_the_creation_form_is_the_first_persons_note_of_the_timeline(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(note="Paga los viernes."))
    timeline = list(customer.notes.order_by("-created_at", "-id"))
    assert [(n.kind, n.text, n.author) for n in timeline] == [
        (CustomerNote.Kind.MANUAL, "Paga los viernes.", ventas),
        (CustomerNote.Kind.CREATED, "Cliente creado.", ventas),
    ]


def test_a_person_has_no_contact_field(ventas):
    data = {"kind": "persona", "document_type": "1", "first_names": "Rosa", "last_names": "Quispe"}
    customer = services.create_customer(actor=ventas, data={**data, "contact_name": "Alguien"})
    assert not customer.contacts.exists()


# --- phones --------------------------------------------------------------------------------


def test_a_landline_with_whatsapp_is_asked_about(ventas):
    phones = [{"number": "01 470 1234", "whatsapp": True}]
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=company_data(phones=phones)))
    assert "es un teléfono fijo: ¿tiene WhatsApp" in errors["phones"][0]
    confirmed = [{"number": "01 470 1234", "whatsapp": True, "whatsapp_landline": True}]
    customer = services.create_customer(actor=ventas, data=company_data(phones=confirmed))
    assert list(customer.phones.values_list("number", "whatsapp")) == [("+5114701234", True)]
    # Saved so, an edit that keeps it doesn't ask again.
    services.update_customer(
        actor=ventas,
        customer=customer,
        data=company_data(document_number=customer.document_number, phones=phones, business_line="Otra"),
    )


def test_a_mobile_changed_into_a_landline_does_not_keep_whatsapp_unnoticed(ventas):
    customer = services.create_customer(
        actor=ventas, data=company_data(phones=[{"number": "987 654 321", "whatsapp": True}])
    )
    data = company_data(document_number=customer.document_number, phones=[{"number": "4701234", "whatsapp": True}])
    assert (
        "fijo" in errors_of(lambda: services.update_customer(actor=ventas, customer=customer, data=data))["phones"][0]
    )


def test_the_anexo_is_kept_and_a_six_digit_landline_names_the_customers_area_code(ventas):
    customer = services.create_customer(actor=ventas, data=company_data(phones=["(01) 470 1234 anexo 205"]))
    assert customer.phones.get().number == "+5114701234;ext=205"
    data = company_data(phones=["234567"], address={"district": "040101", "street": "Calle Mercaderes 1"})
    errors = errors_of(lambda: services.create_customer(actor=ventas, data=data))
    assert "fijo de Arequipa se escribe con su código 054" in errors["phones"][0]


def test_a_whatsapp_for_notifications_has_no_anexo(ventas):
    data = company_data(notification_whatsapp="01 470 1234 anexo 5")
    assert (
        "no lleva anexo"
        in errors_of(lambda: services.create_customer(actor=ventas, data=data))["notification_whatsapp"][0]
    )


# --- words ---------------------------------------------------------------------------------


def test_suspender_and_reactivar_say_so_in_the_notes_and_the_history(ventas):
    customer = services.create_customer(actor=ventas, data=company_data())
    services.suspend_customer(actor=ventas, customer=customer)
    services.reactivate_customer(actor=ventas, customer=customer)
    notes = list(customer.notes.order_by("-id")[:2])
    assert [n.get_kind_display() for n in notes] == ["Reactivado", "Suspendido"]
    assert notes[1].text.startswith("Cliente suspendido:")
    reasons = list(
        Customer.history.filter(id=customer.pk)
        .order_by("-history_id")
        .values_list("history_change_reason", flat=True)[:2]
    )
    assert reasons == ["Reactivado", "Suspendido"]


# --- the Papelera ----------------------------------------------------------------------------


def test_a_document_in_the_papelera_stays_reserved_and_the_message_says_how_to_free_it(db):
    admin = user_with_role("Administrador")
    customer = services.create_customer(actor=admin, data=company_data())
    services.trash_customer(actor=admin, customer=customer)
    errors = errors_of(
        lambda: services.create_customer(actor=admin, data=company_data(document_number=customer.document_number))
    )
    message = errors["document_number"][0]
    assert "conserva su documento" in message and "restáurelo" in message and "eliminarlo definitivamente" in message
    services.purge_customer(actor=admin, customer=customer)
    services.create_customer(actor=admin, data=company_data(document_number=customer.document_number))
