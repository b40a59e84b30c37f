"""The services' side of optimistic concurrency (peru.concurrency has the rule itself): the
states to compare, read from the row (locked) and from its history, and the words of a conflict.

`check_customer` serves the customer form, and is what the API's PATCH (If-Match: the version's
ETag; `changed` = the keys of the payload) and the import's confirm (the version the row was
previewed against; `changed` = the columns that differ) will call through update_customer.
`check_record` serves the one-row records: addresses, contacts, notes, attribute definitions,
categorías and clases.
"""

from customers.history import (
    customer_state,
    describe_changes,
    display_value,
    phones_text,
    record_state,
    tracked_fields,
    user_name,
)
from customers.models import Address, Customer, CustomerNote
from peru.concurrency import Change, StaleEdit, check_instance, reconcile

ADDRESS_KEY = "address"


def _attname(model, key: str) -> str:
    """Form and service names ("category") to the state's ("category_id")."""
    if key.startswith("attributes.") or key in ("phones", "emails", ADDRESS_KEY):
        return key
    try:
        return model._meta.get_field(key).attname
    except Exception:  # noqa: BLE001 — a key the model doesn't have (a form-only input)
        return key


# --- the customer (its form: fields, phones, e-mails, main address, attribute values) ----------


def address_state(address) -> tuple | None:
    if address is None:
        return None
    return (address.district_id or "", address.street, address.unit, address.reference)


def main_address_state(customer: Customer) -> tuple | None:
    return address_state(customer.addresses.filter(is_default=True).first())


def _main_address_as_of(customer_id: int, when) -> tuple | None:
    records = (
        Address.history.filter(customer_id=customer_id, history_date__lt=when)
        .order_by("id", "-history_date", "-history_id")
        .distinct("id")
    )
    for record in records:
        if record.history_type != "-" and record.is_default:
            return address_state(record)
    return None


def check_customer(*, locked: Customer, version: int | None, changed, submitted: dict) -> set[str] | None:
    """For update_customer, under the customer's lock. `submitted`: customer_state()-shaped
    (plus "address": the main address the edit writes, or the current one when it writes
    none). None: write everything; a set: write only those keys (merged over the current
    row); StaleEdit: refused."""
    if version is None or version == locked.version:
        return None
    current = customer_state(locked)
    current[ADDRESS_KEY] = main_address_state(locked)
    submitted = {**current, **submitted}
    record = Customer.history.filter(id=locked.pk, version=version).order_by("-history_id").first()
    later = Customer.history.filter(id=locked.pk, version__gt=version).order_by("history_id").first()
    base = None
    if record is not None and record.history_type != "-" and later is not None:
        base = record_state(record)
        # The main address as it was when the next version began (it is saved after the
        # customer's row in the same transaction, so "as of" the version's own record is
        # too early; anything before the next version's record belongs to this one).
        base[ADDRESS_KEY] = _main_address_as_of(locked.pk, later.history_date)
    changes = _customer_changes(locked, version)
    keys = None if changed is None else {_attname(Customer, key) for key in changed}
    result = reconcile(
        what="este cliente",
        version=version,
        current_version=locked.version,
        changed=keys,
        submitted=submitted,
        current=current,
        base=base,
        changes=changes,
        label=_customer_label,
        display=_customer_display,
        input_value=_customer_input,
    )
    return result


def _customer_changes(customer: Customer, version: int) -> list[Change]:
    """Who changed what and when since `version`: the system notes written with each of those
    saves (they name every field, the main address included)."""
    first = Customer.history.filter(id=customer.pk, version__gt=version).order_by("history_date").first()
    if first is None:
        return []
    notes = (
        CustomerNote.objects.filter(customer=customer, created_at__gte=first.history_date)
        .exclude(kind=CustomerNote.Kind.MANUAL)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return [Change(who=_who(note.author), when=note.created_at, lines=_lines(note.text)) for note in notes]


def _who(user) -> str:
    name = user_name(user)
    return "el sistema" if name == "el sistema" else name


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and ":" in line]


def _definition(key: str):
    from attributes.models import AttributeDefinition

    return AttributeDefinition.objects.filter(pk=key.split(".", 1)[1]).first()


def _customer_label(key: str) -> str:
    if key == "phones":
        return "Teléfonos"
    if key == "emails":
        return "Correos electrónicos"
    if key == ADDRESS_KEY:
        return "Dirección principal"
    if key.startswith("attributes."):
        definition = _definition(key)
        return definition.name if definition else "Atributo"
    return _field_label(Customer, key)


def _field_label(model, attname: str) -> str:
    for f in tracked_fields(model):
        if f.attname == attname:
            return str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:]
    return attname


def _customer_display(key: str, value) -> str:
    if key == "phones":
        return phones_text(value or [])
    if key == "emails":
        return ", ".join(value or []) or "—"
    if key == ADDRESS_KEY:
        return _address_text(value)
    if key.startswith("attributes."):
        from attributes.values import format_value

        definition = _definition(key)
        return (format_value(definition, value) if definition else str(value or "")) or "—"
    return _field_display(Customer, key, value)


def _address_text(value) -> str:
    if not value:
        return "—"
    from customers.models import District

    district_id, street, unit, reference = value
    district = District.objects.filter(pk=district_id).first() if district_id else None
    parts = [street, unit, district.name if district else "", f"({reference})" if reference else ""]
    return ", ".join(p for p in parts[:3] if p) + (f" {parts[3]}" if parts[3] else "")


def _field_display(model, attname: str, value) -> str:
    for f in tracked_fields(model):
        if f.attname == attname:
            return display_value(f, value)
    return "" if value is None else str(value)


def _customer_input(key: str, value):
    """The current value as the customer form's input takes it ("Usar el valor actual")."""
    if key in ("phones", "emails", ADDRESS_KEY):
        return None
    if key.startswith("attributes."):
        from attributes.values import input_value

        definition = _definition(key)
        return input_value(definition, value) if definition else None
    if key in ("notification_emails",):
        return ", ".join(value or [])
    if key == "notification_whatsapp":
        from peru.phones import national_format

        return ", ".join(national_format(v) for v in value or [])
    if isinstance(value, bool):
        return "1" if value else ""
    return "" if value is None else str(value)


# --- one-row records: addresses, contacts, notes, categorías, clases --------------------------


def check_record(*, locked, version: int | None, changed, submitted: dict, what: str) -> set[str] | None:
    """check_customer for a record with its own history and `version`; `submitted`:
    instance_state()-shaped, the fields the edit writes. Worded as the notes and the full
    history word them."""
    model = type(locked)
    return check_instance(
        locked=locked,
        version=version,
        changed=changed,
        submitted=submitted,
        what=what,
        display=lambda key, value: _field_display(model, key, value),
        describe=lambda old, new: describe_changes(model, old, new),
        who=_who,
    )


def gone(what: str) -> StaleEdit:
    """The record was deleted while someone edited it."""
    return StaleEdit(what=what, gone=True)
