"""Change history of customers (django-simple-history) in words people read.

- Every write in customers.services stamps the acting user and a reason on the instance
  (`stamp`), so each change leaves exactly one historical record with who and why.
- The historical customer also keeps the phones and e-mails of that moment (child rows the
  services replace on each save): `_fill_contact_points` below.
- `describe_changes` turns two states into "Teléfono: 999 111 222 → 988 777 666" lines, for
  the Notas timeline and for the full history page.
- `customer_versions` reads the full history of a customer (its own records, its addresses'
  and its contacts'); bringing a customer back to one of them is a write, so it lives with
  the services (customers.services.revert_customer), where every rule still applies.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property

from django.db import connection, models
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from attributes.models import AttributeDefinition
from attributes.values import format_value
from customers.countries import country_name
from customers.models import Address, Contact, Customer, CustomerNote
from peru.phones import national_format

# Fields of a customer the history page and the notes never show: bookkeeping of the
# historical record itself, or values that follow from others (name follows the names).
_HIDDEN = {"id", "name", "created_at", "created_by", "attributes", "registry_checked_at", "version"}
CUSTOMER_EXTRA = ("phones", "emails")


def stamp(instance, *, actor, reason: str) -> None:
    """The next save or delete of `instance` records `actor` (None: the system) and `reason`."""
    instance._history_user = actor if getattr(actor, "pk", None) else None
    instance._change_reason = reason


def set_contact_points(customer: Customer, *, phones: list, emails: list) -> None:
    """What the next historical record of `customer` keeps as its phones and e-mails (the
    services write the child rows after the customer row, so the record can't read them)."""
    customer._history_phones = [[number, bool(whatsapp)] for number, whatsapp in phones]
    customer._history_emails = list(emails)


@receiver(pre_create_historical_record, sender=Customer.history.model)
def _fill_contact_points(sender, instance, history_instance, **kwargs):
    # django-simple-history's documented hook for extra fields of the historical model.
    phones = getattr(instance, "_history_phones", None)
    emails = getattr(instance, "_history_emails", None)
    if instance.pk and (phones is None or emails is None):
        phones = [[n, w] for n, w in instance.phones.values_list("number", "whatsapp")]
        emails = list(instance.emails.values_list("email", flat=True))
    history_instance.phones = phones or []
    history_instance.emails = emails or []


# --- states and their differences ---------------------------------------------------------


def customer_state(customer: Customer, *, phones: list | None = None, emails: list | None = None) -> dict:
    """The customer's recorded fields (attname → value) plus its phones and e-mails."""
    state = {f.attname: getattr(customer, f.attname) for f in tracked_fields(Customer)}
    if phones is None:
        phones = list(customer.phones.values_list("number", "whatsapp")) if customer.pk else []
    if emails is None:
        emails = list(customer.emails.values_list("email", flat=True)) if customer.pk else []
    state["phones"] = [[n, bool(w)] for n, w in phones]
    state["emails"] = list(emails)
    return state


def record_state(record) -> dict:
    """The same dict as customer_state / instance_state, from a historical record."""
    model = record.instance_type
    state = {f.attname: getattr(record, f.attname) for f in tracked_fields(model)}
    if model is Customer:
        state["phones"], state["emails"] = record.phones or [], record.emails or []
    return state


def instance_state(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in tracked_fields(type(instance))}


@cache
def tracked_fields(model) -> tuple:
    # Cached: the fields are fixed once the models load, and `model.history` builds a new
    # manager on each access (about 2 ms), which an import of 100,000 rows would pay per row.
    recorded = {f.attname for f in model.history.model._meta.fields}
    return tuple(f for f in model._meta.concrete_fields if f.attname in recorded)


def describe_changes(model, old: dict, new: dict, *, rows: dict | None = None) -> list[str]:
    """One line per field that changed: "Etiqueta: antes → después", in Spanish labels.
    ``rows``: {(model, pk): row} of related rows the caller already read (display_value)."""
    lines = []
    shown, position = _shown_fields(model)
    if len(old) + len(new) < len(shown):
        # Few values (an import's row passes only those it changes): a field absent from both
        # reads as None on both sides, no line; only the fields named are looked at, in order.
        shown = [shown[i] for i in sorted({position[key] for key in (*old, *new) if key in position})]
    for f in shown:
        before, after = old.get(f.attname), new.get(f.attname)
        if _same(before, after):
            continue
        lines.append(f"{_label(f)}: {display_value(f, before, rows=rows)} → {display_value(f, after, rows=rows)}")
    if model is Customer:
        lines += _describe_contact_points(old, new)
        lines += _describe_attributes(old.get("attributes") or {}, new.get("attributes") or {}, rows=rows)
    return lines


@cache
def _shown_fields(model) -> tuple[tuple, dict]:
    """The recorded fields describe_changes names, in order, and {attname: index} of them."""
    shown = tuple(f for f in tracked_fields(model) if f.name not in _HIDDEN and f.attname != "customer_id")
    return shown, {f.attname: index for index, f in enumerate(shown)}


def describe_state(model, state: dict) -> list[str]:
    """A new row in lines "Etiqueta: valor", leaving out what is empty or No."""
    blank = {f.attname: None for f in tracked_fields(model)}
    shown = {key: None if value is False else value for key, value in state.items()}
    lines = describe_changes(model, {**blank, "phones": [], "emails": [], "attributes": {}}, shown)
    return [re.sub(r": — → ", ": ", line, count=1) for line in lines]


def _same(a, b) -> bool:
    empty = (None, "", [], {})
    return (a in empty and b in empty) or a == b


def _describe_contact_points(old: dict, new: dict) -> list[str]:
    lines = []
    old_phones, new_phones = old.get("phones") or [], new.get("phones") or []
    if [list(p) for p in old_phones] != [list(p) for p in new_phones]:
        label = "Teléfono" if max(len(old_phones), len(new_phones)) <= 1 else "Teléfonos"
        lines.append(f"{label}: {phones_text(old_phones)} → {phones_text(new_phones)}")
    old_emails, new_emails = old.get("emails") or [], new.get("emails") or []
    if list(old_emails) != list(new_emails):
        label = "Correo electrónico" if max(len(old_emails), len(new_emails)) <= 1 else "Correos electrónicos"
        lines.append(f"{label}: {', '.join(old_emails) or '—'} → {', '.join(new_emails) or '—'}")
    return lines


def describe_main_address(current, *, street: str, unit: str, district_name: str) -> str:
    """ "Dirección principal: antes → después" of a customer's main address (``current``: the
    Address now, or None) written anew as street, unit and district (the import's)."""
    new_text = ", ".join(x for x in (street, unit, district_name) if x)
    return f"Dirección principal: {str(current) if current else '—'} → {new_text or '—'}"


def phones_text(phones) -> str:
    if not phones:
        return "—"
    return ", ".join(national_format(n) + (" (WhatsApp)" if w else "") for n, w in phones)


def _describe_attributes(old: dict, new: dict, *, rows: dict | None = None) -> list[str]:
    """Atributos adicionales (Customer.attributes, keyed by definition id) by their names, in
    the order of the Atributos adicionales screen, values as the summary shows them. The
    definitions come from ``rows`` ({(AttributeDefinition, pk): definition}, see related_row)
    when it has them; those read here are kept in it."""
    keys = [key for key in set(old) | set(new) if not _same(old.get(key), new.get(key))]
    if not keys:
        return []
    ids = [int(k) for k in keys if str(k).isdigit()]
    known = rows if rows is not None else {}
    definitions = {str(pk): known[(AttributeDefinition, pk)] for pk in ids if (AttributeDefinition, pk) in known}
    missing = [pk for pk in ids if str(pk) not in definitions]
    if missing:
        for definition in AttributeDefinition.objects.filter(pk__in=missing):
            definitions[definition.key] = definition
            if rows is not None:
                rows[(AttributeDefinition, definition.pk)] = definition
    lines = []
    for key in sorted(keys, key=lambda k: (definitions[k].position, k) if k in definitions else (1 << 30, k)):
        definition = definitions.get(key)
        if definition is None:  # deleted since; deletion is refused while a value exists
            lines.append(f"Atributo {key}: {_plain(old.get(key))} → {_plain(new.get(key))}")
            continue
        before = format_value(definition, old.get(key)) or "—"
        after = format_value(definition, new.get(key)) or "—"
        lines.append(f"{definition.name}: {before} → {after}")
    return lines


def _plain(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _label(f) -> str:
    label = str(f.verbose_name)
    return label[:1].upper() + label[1:]


def display_value(f, value, *, rows: dict | None = None) -> str:
    """How a value reads on the page: choice labels, names of related rows, Sí/No, phones in
    national format, dates dd/mm/aaaa. ``rows``: see related_row."""
    if value in (None, "", [], {}):
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.ForeignKey):
        related = related_row(f.related_model, value, rows=rows)
        if related is None:
            return f"#{value} (ya no existe)"
        if hasattr(related, "get_full_name"):
            return related.get_full_name() or related.get_username()
        return str(related)
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if f.name == "country":
        return country_name(value)
    if isinstance(value, list):
        if f.name in ("notification_whatsapp", "phones"):
            return ", ".join(national_format(v) for v in value)
        return ", ".join(str(v) for v in value)
    return str(value)


def related_row(model, pk, *, rows: dict | None = None):
    """The row ``pk`` of ``model`` (None: gone), from ``rows`` — {(model, pk): row} the caller
    already read, e.g. an import's lists, read once per file — or else from the database, and
    then kept in ``rows``: describing the changes of 50,000 customers reads each row once, not
    once per customer."""
    if rows is not None:
        found = rows.get((model, pk))
        if found is not None:
            return found
    related = model._base_manager.filter(pk=pk).first()
    if related is not None and rows is not None:
        rows[(model, pk)] = related
    return related


def user_name(user) -> str:
    if user is None:
        return "el sistema"
    return user.get_full_name() or user.get_username()


# --- the full history of a customer -----------------------------------------------------------


@dataclass
class Version:
    record: object  # a historical record (customer, address or contact)
    title: str  # "Cliente", "Dirección", "Contacto"
    action: str  # Creado, Modificado, Eliminado
    previous: object = None  # the record before it of the same row, if any
    revertible: bool = False

    @property
    def when(self):
        return self.record.history_date

    @cached_property
    def what(self) -> str:
        """ "Cliente", "Dirección: Av. Grau 123", "Contacto: Ana Ruiz" (read for a shown page only)."""
        if self.record.instance_type is Customer:
            return self.title
        return f"{self.title}: {self.record.instance}"

    @property
    def user(self):
        return self.record.history_user

    @property
    def reason(self):
        """Why, when it says more than the action itself."""
        reason = self.record.history_change_reason or ""
        return "" if reason == self.action else reason

    @cached_property
    def changes(self) -> list[str]:
        """Field by field; worked out only for the versions a page shows (a customer edited
        thousands of times lists every version but describes 50)."""
        model = self.record.instance_type
        if self.record.history_type == "-" and model is not Customer:
            return []
        state = record_state(self.record)
        if self.previous is None:
            return describe_state(model, state)
        return describe_changes(model, record_state(self.previous), state)


_ACTIONS = {"+": "Creado", "~": "Modificado", "-": "Eliminado"}


def customer_versions(*, customer: Customer) -> list[Version]:
    """Every recorded change of the customer, its addresses and its contacts, newest first."""
    versions = []
    records = Customer.history.filter(id=customer.pk).select_related("history_user").order_by("history_id")
    previous = None
    for record in records:
        action = _ACTIONS[record.history_type]
        versions.append(Version(record, "Cliente", action, previous, revertible=record.history_type != "-"))
        previous = record
    for model, title in ((Address, "Dirección"), (Contact, "Contacto")):
        records = model.history.filter(customer_id=customer.pk).select_related("history_user")
        last_by_id = {}
        for record in records.order_by("history_id"):
            action = _ACTIONS[record.history_type]
            versions.append(Version(record, title, action, last_by_id.get(record.id)))
            last_by_id[record.id] = record
    versions.sort(key=lambda v: (v.when, v.record.history_id), reverse=True)
    # The newest customer version is the current one: nothing to revert to.
    current = next((v for v in versions if v.record.instance_type is Customer), None)
    if current is not None:
        current.revertible = False
    return versions


# --- set-based writes (COPY loads, attribute conversions) ---------------------------------------


def record_bulk_creation(*, after_id: int, reason: str, note_text: str) -> int:
    """One "+" historical record (with phones and e-mails) per customer and address written by
    customers.bulk after customer id `after_id`, and the customer's "creado" note: set-based
    INSERT … SELECT, so a COPY load keeps most of its speed. Returns the customers recorded."""
    _insert_history(Customer, "c.id > %s", [after_id], history_type="+", actor=None, reason=reason)
    _insert_history(Address, "c.customer_id > %s", [after_id], history_type="+", actor=None, reason=reason)
    return _insert_notes("c.id > %s", [after_id], actor=None, kind=CustomerNote.Kind.CREATED, text=note_text)


def record_bulk_change(
    *, customer_ids: list[int], actor, reason: str, note_text: str, kind: str = CustomerNote.Kind.EDITED
) -> int:
    """A "~" historical record and a note (`kind`, "editado" by default) for each of
    `customer_ids`, after a set-based UPDATE of their rows (e.g. attribute values converted
    to a new type, estado/condición from a new padrón)."""
    if not customer_ids:
        return 0
    ids = list(customer_ids)
    _insert_history(Customer, "c.id = ANY(%s)", [ids], history_type="~", actor=actor, reason=reason)
    return _insert_notes("c.id = ANY(%s)", [ids], actor=actor, kind=kind, text=note_text)


def record_bulk_import(
    *,
    created_ids: list,
    updated_ids: list,
    new_address_ids: list,
    changed_address_ids: list,
    new_contact_ids: list = (),
    actor,
    reason: str,
) -> None:
    """The historical records of an import's bulk writes: "+" for each customer, address and
    contact it created, "~" for each it changed (the customers' phones and e-mails as written).
    Notes are the caller's (each says what changed in that customer)."""
    for model, ids, kind in (
        (Customer, created_ids, "+"),
        (Customer, updated_ids, "~"),
        (Address, new_address_ids, "+"),
        (Address, changed_address_ids, "~"),
        (Contact, new_contact_ids, "+"),
    ):
        for start in range(0, len(ids), 50_000):
            chunk = list(ids[start : start + 50_000])
            _insert_history(model, "c.id = ANY(%s)", [chunk], history_type=kind, actor=actor, reason=reason)


def record_bulk_history(model, ids: list, *, history_type: str, actor, reason: str) -> None:
    """One historical record ("+" or "~") of each of ``ids`` of ``model``, as its rows are now,
    after a set-based write (for apps above customers, e.g. credit's accounts an import changed)."""
    where = f"c.{connection.ops.quote_name(model._meta.pk.column)} = ANY(%s)"
    for start in range(0, len(ids), 50_000):
        chunk = list(ids[start : start + 50_000])
        _insert_history(model, where, [chunk], history_type=history_type, actor=actor, reason=reason)


def move_history(model, ids: list, *, to_customer_id: int) -> None:
    """The past records of these rows of `model` (addresses, contacts) listed under another
    customer's Historial, where the rows now are (a merge, and back on its undo)."""
    if ids:
        model.history.filter(id__in=list(ids)).update(customer_id=to_customer_id)


def _insert_history(model, where: str, params: list, *, history_type: str, actor, reason: str) -> None:
    """The rows of `model` matching `where` (alias c) copied into its historical table."""
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in tracked_fields(model)]
    history_columns = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    extra_columns, extra_values = [], []
    if model is Customer:
        # Table names come from the models, quoted; values are parameters.
        extra_columns = ["phones", "emails"]
        extra_values = [
            "(SELECT coalesce(jsonb_agg(jsonb_build_array(p.number, p.whatsapp) ORDER BY p.position, p.id), '[]')"  # noqa: S608
            f" FROM {quote(Customer.phones.rel.related_model._meta.db_table)} p WHERE p.customer_id = c.id)",
            "(SELECT coalesce(jsonb_agg(e.email ORDER BY e.position, e.id), '[]')"  # noqa: S608
            f" FROM {quote(Customer.emails.rel.related_model._meta.db_table)} e WHERE e.customer_id = c.id)",
        ]
    user_id = actor.pk if getattr(actor, "pk", None) else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model.history.model._meta.db_table)}"  # noqa: S608
            f" ({', '.join(columns + history_columns + extra_columns)})"
            f" SELECT {', '.join('c.' + c for c in columns)}, now(), %s, %s, %s"
            f"{''.join(', ' + value for value in extra_values)}"
            f" FROM {quote(model._meta.db_table)} c WHERE {where}",
            [reason, history_type, user_id, *params],
        )


def _insert_notes(where: str, params: list, *, actor, kind: str, text: str) -> int:
    quote = connection.ops.quote_name
    user_id = actor.pk if getattr(actor, "pk", None) else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(CustomerNote._meta.db_table)} (customer_id, kind, text, author_id, created_at)"  # noqa: S608
            f" SELECT c.id, %s, %s, %s, now() FROM {quote(Customer._meta.db_table)} c WHERE {where}",
            [kind, text, user_id, *params],
        )
        return cursor.rowcount
