"""A customer's addresses: add, edit, make the default, delete."""

from django.core.exceptions import ValidationError
from django.db import transaction

from customers import events
from customers.access import require_permission, writable_customer
from customers.history import describe_changes, instance_state, stamp
from customers.models import Address, Customer, CustomerNote
from customers.notes import record_note
from customers.services.cleaning import as_bool, clean_address, refuse_control_characters
from customers.services.configuration import get_customer_settings
from customers.services.versioning import check_record


def save_address(
    *,
    actor,
    customer: Customer,
    data: dict,
    address: Address | None = None,
    version: int | None = None,
    changed: set[str] | None = None,
) -> Address:
    """Create (address=None) or update one of the customer's addresses. `version` / `changed`:
    the edit's version and fields (customers.services.versioning): a stale edit is merged or
    refused field by field."""
    require_permission(actor, "customers.add_address" if address is None else "customers.change_address")
    if address is not None and address.customer_id != customer.pk:
        raise ValidationError("Esa dirección no pertenece a este cliente.")
    refuse_control_characters(data)
    make_default = as_bool(data.get("is_default"))
    with transaction.atomic():
        # Every address write locks the customer first: they take turns, and each reads the
        # customer and its addresses as the one before left them.
        locked = writable_customer(customer, to="cambiar sus direcciones")
        kind, cleaned, errors = clean_address_data(data, is_foreign=locked.is_foreign)
        if errors:
            raise ValidationError(errors)
        creating = address is None
        address = Address(customer=locked) if creating else _current(address)
        previous_default = locked.addresses.filter(is_default=True).exclude(pk=address.pk).first()
        old_state, old_text = (None, "") if creating else (instance_state(address), str(address))
        values = {
            "kind": kind,
            "district_id": cleaned["district"].pk if cleaned["district"] else None,
            "street": cleaned["street"],
            "unit": cleaned["unit"],
            "reference": cleaned["reference"],
        }
        if not creating:
            # Another person's save since this edit's version: merged field by field when
            # nothing overlaps, refused (StaleEdit) otherwise.
            keys = check_record(
                locked=address, version=version, changed=changed, submitted=values, what="esta dirección"
            )
            if keys is not None:
                values = {key: value for key, value in values.items() if key in keys}
                make_default = make_default and "is_default" in keys
        for field, value in values.items():
            setattr(address, field, value)
        address.country = locked.country
        if make_default or previous_default is None:
            if previous_default is not None:
                # Saved one by one (not queryset.update()) so the change is recorded.
                previous_default.is_default = False
                previous_default.version += 1
                stamp(previous_default, actor=actor, reason="Otra dirección es la predeterminada")
                previous_default.save(update_fields=["is_default", "version"])
            address.is_default = True
        new_state = instance_state(address)
        if creating or new_state != old_state:
            reason = "Dirección agregada" if creating else "Dirección editada"
            if not creating:
                address.version += 1
            stamp(address, actor=actor, reason=reason)
            address.save()
            if creating:
                text = f"Dirección agregada: {address} ({address.get_kind_display()})."
            else:
                lines = describe_changes(Address, old_state, new_state)
                text = "\n".join([f"Dirección editada: {old_text}.", *lines])
            record_note(customer=locked, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)
            if address.is_default or previous_default is not None and not previous_default.is_default:
                _new_customer_version(locked, actor=actor, reason=reason)
            events.customer_event(events.UPDATED, locked, {"changes": [text]})
        if address.is_default:
            _sync_department(locked)
    customer.department_id = locked.department_id
    return address


def clean_address_data(data: dict, *, is_foreign: bool) -> tuple[str, dict | None, dict]:
    """An added or edited address's kind (fiscal, entrega, otra; entrega when not given), its
    cleaned values and the errors by field, without writing: save_address and the import's
    Direcciones sheet use it."""
    errors: dict = {}
    kind = data.get("kind") or Address.Kind.DELIVERY
    if kind not in Address.Kind.values:
        errors["kind"] = ["Elija fiscal, entrega u otra."]
    cleaned = clean_address(data, errors, prefix="", is_foreign=is_foreign, required=True)
    return kind, cleaned, errors


def make_default_address(*, actor, address: Address) -> Address:
    """The customer's default address becomes this one; the others stay as they are."""
    require_permission(actor, "customers.change_address")
    with transaction.atomic():
        customer = writable_customer(Customer(pk=address.customer_id), to="cambiar sus direcciones")
        address = _current(address)
        if address.is_default:
            return address
        previous = Address.objects.filter(customer_id=customer.pk, is_default=True).exclude(pk=address.pk)
        for other in previous:  # at most one; saved one by one so the change is recorded
            other.is_default = False
            other.version += 1
            stamp(other, actor=actor, reason="Otra dirección es la predeterminada")
            other.save(update_fields=["is_default", "version"])
        address.is_default = True
        address.version += 1
        stamp(address, actor=actor, reason="Dirección predeterminada")
        address.save(update_fields=["is_default", "version"])
        text = f"Dirección predeterminada: {address}."
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)
        _new_customer_version(customer, actor=actor, reason="Dirección predeterminada")
        events.customer_event(events.UPDATED, customer, {"changes": [text]})
        _sync_department(customer)
    return address


def delete_address(*, actor, address: Address) -> None:
    require_permission(actor, "customers.delete_address")
    with transaction.atomic():
        customer = writable_customer(Customer(pk=address.customer_id), to="cambiar sus direcciones")
        address = _current(address)
        remaining = customer.addresses.exclude(pk=address.pk)
        settings = get_customer_settings()
        needs_address = (customer.kind == Customer.Kind.COMPANY and not customer.is_foreign) or settings.require_address
        if needs_address and not remaining.exists():
            raise ValidationError("No se puede eliminar la única dirección: este cliente debe tener una.")
        was_default = address.is_default
        text = f"Dirección eliminada: {address}."
        stamp(address, actor=actor, reason="Dirección eliminada")
        address.delete()
        if was_default:
            successor = remaining.order_by("id").first()
            if successor:
                successor.is_default = True
                successor.version += 1
                stamp(successor, actor=actor, reason="Dirección predeterminada")
                successor.save(update_fields=["is_default", "version"])
                text += f"\nDirección predeterminada: {successor}."
            _new_customer_version(customer, actor=actor, reason="Dirección eliminada")
            _sync_department(customer)
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)
        events.customer_event(events.UPDATED, customer, {"changes": [text]})


def _new_customer_version(customer: Customer, *, actor, reason: str) -> None:
    """The main address belongs to the customer's form too: a change of it here is a new
    version of the customer (with its historical record), so a customer form opened before
    it is stale (customers.services.versioning). `customer`: the row locked by the caller."""
    customer.version += 1
    stamp(customer, actor=actor, reason=reason)
    customer.save(update_fields=["version", "updated_at"])


def _current(address: Address) -> Address:
    """The address as stored now (the customer's row is locked: no other write is under way);
    one deleted meanwhile is not brought back by saving the caller's copy."""
    current = Address.objects.select_related("district").filter(pk=address.pk, customer_id=address.customer_id).first()
    if current is None:
        raise ValidationError("Esa dirección ya no existe.")
    return current


def _sync_department(customer: Customer) -> None:
    """After an address change: the departamento of the (maybe new) default address."""
    district = customer.addresses.filter(is_default=True).values_list("district_id", flat=True).first()
    department = district[:2] if district else None
    if customer.department_id != department:
        customer.department_id = department
        Customer.objects.filter(pk=customer.pk).update(department_id=department)
