"""A customer's contact people."""

from django.core.exceptions import ValidationError
from django.db import transaction

from customers import events
from customers.access import require_permission, writable_customer
from customers.history import describe_changes, instance_state, stamp
from customers.models import Contact, Customer, CustomerNote
from customers.notes import record_note
from customers.services.cleaning import CONTACT_LIMITS, clean_list
from customers.services.versioning import check_record
from peru import validators
from peru.text import clean_spaces, control_character_errors


def save_contact(
    *,
    actor,
    customer: Customer,
    data: dict,
    contact: Contact | None = None,
    version: int | None = None,
    changed: set[str] | None = None,
) -> Contact:
    """Create (contact=None) or edit a contact; `version` / `changed` as for save_address."""
    require_permission(actor, "customers.add_contact" if contact is None else "customers.change_contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError("Ese contacto no pertenece a este cliente.")
    values, errors = clean_contact_data(data)
    if errors:
        raise ValidationError(errors)
    creating = contact is None
    with transaction.atomic():
        locked = writable_customer(customer, to="cambiar sus contactos")
        contact = Contact(customer=locked) if creating else _current(contact)
        if not creating:
            # Another person's save since this edit's version: merged field by field when
            # nothing overlaps, refused (StaleEdit) otherwise.
            keys = check_record(
                locked=contact, version=version, changed=changed, submitted=values, what="este contacto"
            )
            if keys is not None:
                values = {key: value for key, value in values.items() if key in keys}
        old_state, old_name = (None, "") if creating else (instance_state(contact), contact.name)
        for field, value in values.items():
            setattr(contact, field, value)
        new_state = instance_state(contact)
        if not creating and new_state == old_state:
            return contact
        if not creating:
            contact.version += 1
        stamp(contact, actor=actor, reason="Contacto agregado" if creating else "Contacto editado")
        contact.save()
        if creating:
            text = f"Contacto agregado: {contact.name}."
        else:
            text = "\n".join([f"Contacto editado: {old_name}.", *describe_changes(Contact, old_state, new_state)])
        record_note(customer=locked, actor=actor, kind=CustomerNote.Kind.CONTACT, text=text)
        events.customer_event(events.UPDATED, locked, {"changes": [text]})
    return contact


def clean_contact_data(data: dict) -> tuple[dict, dict]:
    """The contact's values (name, role, note, phones, emails) from ``data`` and the errors by
    field, without writing: save_contact and the import's Contactos sheet use it."""
    errors = control_character_errors(data)
    if errors:  # refused before anything else, as refuse_control_characters does
        return {}, errors
    name, role, note = (clean_spaces(str(data.get(field) or "")) for field in ("name", "role", "note"))
    for field, value in (("name", name), ("role", role), ("note", note)):
        if len(value) > CONTACT_LIMITS[field]:
            errors[field] = [f"Máximo {CONTACT_LIMITS[field]} caracteres (tiene {len(value)})."]
    if not name:
        errors.setdefault("name", ["Ingrese el nombre del contacto."])
    phones = clean_list(data.get("phones"), validators.normalize_phone, "phones", errors)
    emails = clean_list(data.get("emails"), validators.normalize_email, "emails", errors)
    return {"name": name, "role": role, "note": note, "phones": phones, "emails": emails}, errors


def delete_contact(*, actor, contact: Contact) -> None:
    require_permission(actor, "customers.delete_contact")
    with transaction.atomic():
        customer = writable_customer(Customer(pk=contact.customer_id), to="cambiar sus contactos")
        contact = _current(contact)
        stamp(contact, actor=actor, reason="Contacto eliminado")
        contact.delete()
        text = f"Contacto eliminado: {contact.name}."
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.CONTACT, text=text)
        events.customer_event(events.UPDATED, customer, {"changes": [text]})


def _current(contact: Contact) -> Contact:
    """The contact as stored now (the customer's row is locked: no other write is under way);
    one deleted meanwhile is not brought back by saving the caller's copy."""
    current = Contact.objects.filter(pk=contact.pk, customer_id=contact.customer_id).first()
    if current is None:
        raise ValidationError("Ese contacto ya no existe.")
    return current
