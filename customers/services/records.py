"""The customer's own record: create, edit and revert (data, phones, e-mails, main address,
atributos adicionales), with the duplicate rules of document and e-mail."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from attributes.models import AttributeDefinition
from attributes.services import clean_attribute_values, lock_attribute_rules
from attributes.services import search_parts as attribute_search_parts
from customers import events, lookup
from customers.access import require_permission, writable_customer
from customers.countries import is_country
from customers.history import (
    customer_state,
    describe_changes,
    instance_state,
    set_contact_points,
    stamp,
    tracked_fields,
    user_name,
)
from customers.models import (
    Address,
    Category,
    Contact,
    Customer,
    CustomerClass,
    CustomerEmail,
    CustomerNote,
    CustomerPhone,
    CustomerSettings,
    DocumentType,
)
from customers.notes import record_note
from customers.reference import DNI, RUC
from customers.services.cleaning import (
    MAX_LIST_ITEMS,
    as_bool,
    as_list,
    clean_address,
    clean_list,
    clean_long_text,
    clean_text,
    lookup_row,
    refuse_control_characters,
)
from customers.services.configuration import get_customer_settings
from customers.services.versioning import ADDRESS_KEY, check_customer, main_address_state
from peru import validators
from peru.phones import is_landline, national_format
from peru.text import clean_spaces, person_display_name, search_text, sort_key

# Customer.Kind.values builds its list on every access (about 2 µs; the import asks once a row).
_KINDS = tuple(Customer.Kind.values)  # a tuple: whatever a caller sends (a list…) may be looked up
SOCIAL_FIELDS = ["facebook", "instagram", "tiktok", "x", "linkedin", "youtube"]
# The fields only one type of customer has; the others (giro, notes…) are for both.
TYPE_FIELDS = {
    Customer.Kind.COMPANY: ("business_name", "contact_name"),
    Customer.Kind.PERSON: ("first_names", "last_names"),
}


COMPANY_ADDRESS_MISSING = "Una empresa peruana necesita su dirección fiscal: ingrese la dirección y el distrito."


@dataclass(frozen=True)
class DuplicateInfo:
    customer_id: int
    name: str
    in_trash: bool


class DuplicateCustomerError(ValidationError):
    """A document or e-mail already belongs to another customer; `duplicate` says which."""

    def __init__(self, field: str, message: str, duplicate: DuplicateInfo):
        super().__init__({field: [ValidationError(message, code="duplicate")]})
        self.duplicate = duplicate
        self.field = field


def create_customer(
    *, actor, data: dict, reason: str = "Creado", note_kind: str = CustomerNote.Kind.CREATED
) -> Customer:
    require_permission(actor, "customers.add_customer")
    customer = Customer(created_by=actor if getattr(actor, "pk", None) else None)
    return _save_customer(actor=actor, customer=customer, data=data, creating=True, reason=reason, note_kind=note_kind)


def update_customer(
    *,
    actor,
    customer: Customer,
    data: dict,
    reason: str = "Editado",
    note_kind: str = CustomerNote.Kind.EDITED,
    version: int | None = None,
    changed: set[str] | None = None,
) -> Customer:
    """`reason` and `note_kind` name the change in the history and the Notas timeline (a
    revert, an import); the note lists every field that changed, before → after.

    `version`: the customer's version the edit started from (the form's, an API If-Match, an
    import row's preview); `changed`: the keys it changes (form fields, PATCH keys). With a
    version, a stale edit is merged or refused (StaleEdit) field by field
    (customers.services.versioning). Without one (the system, a revert), it writes as it is;
    every save locks the row and moves the version on either way."""
    require_permission(actor, "customers.change_customer")
    return _save_customer(
        actor=actor,
        customer=customer,
        data=data,
        creating=False,
        reason=reason,
        note_kind=note_kind,
        version=version,
        changed=changed,
    )


def revert_customer(*, actor, customer: Customer, history_id: int) -> Customer:
    """The customer's data, phones and e-mails as they were at that version, through
    update_customer (validation and uniqueness apply as to any edit). Addresses and contacts
    keep their own history and stay as they are. Permission customers.revert_customer
    (Administrador)."""
    require_permission(actor, "customers.revert_customer")
    record = Customer.history.filter(id=customer.pk, history_id=history_id).first()
    if record is None or record.history_type == "-":
        raise ValidationError("Esa versión no existe para este cliente.")
    data = {
        f.name: getattr(record, f.attname)
        for f in tracked_fields(Customer)
        if f.name not in ("id", "name", "created_at", "created_by", "is_active", "deleted_at", "deleted_by")
    }
    data["attributes"] = _attributes_to_revert(record.attributes or {}, customer.attributes or {})
    # A landline with WhatsApp in that version was confirmed when it was saved.
    data["phones"] = [{"number": n, "whatsapp": w, "whatsapp_landline": w} for n, w in record.phones or []]
    data["emails"] = list(record.emails or [])
    when = timezone.localtime(record.history_date).strftime("%d/%m/%Y %H:%M")
    reason = f"Revertido a la versión del {when} por {user_name(actor)}"
    # Not update_customer: reverting is its own permission, whoever may edit or not.
    return _save_customer(
        actor=actor, customer=customer, data=data, creating=False, reason=reason, note_kind=CustomerNote.Kind.REVERTED
    )


def _attributes_to_revert(recorded: dict, current: dict) -> dict:
    """The version's values of the attributes in use now. Archived ones keep their current
    values (they cannot be changed); a required attribute the version lacks keeps its current
    value, so the revert doesn't fail on a rule that came later."""
    result = {}
    for definition in AttributeDefinition.objects.filter(archived_at__isnull=True):
        value = recorded.get(definition.key)
        if value is None and definition.required:
            value = current.get(definition.key)
        result[definition.key] = value
    return result


def _save_customer(
    *,
    actor,
    customer: Customer,
    data: dict,
    creating: bool,
    reason: str,
    note_kind: str,
    version: int | None = None,
    changed: set[str] | None = None,
    merging: int | None = None,
) -> Customer:
    """`merging`: the id of a customer being merged into this one (customers.services.merging),
    whose document and e-mails this save may take."""
    settings = get_customer_settings()
    cleaned = None
    try:
        with transaction.atomic():
            # An edit works on the row as it is now, locked, not on the caller's copy: a form
            # opened before someone sent the customer to the Papelera or suspended it must
            # not write that old state back. In the Papelera it is read-only.
            target = customer if creating else writable_customer(customer, to="editarlo")
            cleaned, errors = _clean_customer_data(data, settings=settings, customer=target)
            if errors:
                raise ValidationError(errors)
            lock_attribute_rules(version=cleaned["attribute_rules"])
            if not creating:
                # Another person's save since this edit's version is compared with it field by
                # field: merged when nothing overlaps, refused (StaleEdit) otherwise.
                keys = check_customer(
                    locked=target, version=version, changed=changed, submitted=_submitted_state(cleaned)
                )
                if keys is not None:
                    _keep_current(cleaned, target, keys)
            _check_duplicates(cleaned, exclude_pk=target.pk, also_exclude=merging)
            before = None if creating else customer_state(target)
            for field, value in cleaned["fields"].items():
                setattr(target, field, value)
            copies = set_list_copies(target, cleaned)
            target.full_clean(
                exclude=["document_type", "category", "customer_class", "created_by", "deleted_by", "department"]
            )
            after = customer_state(target, phones=cleaned["phones"], emails=cleaned["emails"])
            # The main address is part of the customer's form: its change is a new version too.
            address = cleaned["address"]
            address_changed = bool(address) and not creating and _address_tuple(address) != main_address_state(target)
            changed = creating or after != before or address_changed
            # One historical record per change, none for a save that changes nothing.
            if changed and not creating:
                target.version += 1
            if changed:
                set_contact_points(target, phones=cleaned["phones"], emails=cleaned["emails"])
                stamp(target, actor=actor, reason=reason)
            else:
                target.skip_history_when_saving = True
            try:
                if creating:
                    target.save()
                else:  # only what an edit owns: never is_active, deleted_at or created_by
                    target.save(update_fields=[*cleaned["fields"], *copies, "version", "updated_at"])
            finally:
                target.__dict__.pop("skip_history_when_saving", None)
            _replace_phones(target, cleaned["phones"])
            _replace_emails(target, cleaned["emails"])
            lines = [] if creating else describe_changes(Customer, before, after)
            if cleaned["address"] is not None:
                lines += _save_main_address(target, cleaned["address"], actor=actor, reason=reason)
            if creating:
                text = "Cliente creado." if note_kind == CustomerNote.Kind.CREATED else f"{reason}."
                record_note(customer=target, actor=actor, kind=note_kind, text=text)
                _save_first_contact_and_note(target, cleaned, actor=actor)
                events.customer_event(events.CREATED, target)
            elif changed or lines or note_kind != CustomerNote.Kind.EDITED:
                header = "" if note_kind == CustomerNote.Kind.EDITED else reason + "."
                text = "\n".join([header, *lines]).strip() or "Datos actualizados."
                record_note(customer=target, actor=actor, kind=note_kind, text=text)
                if changed or lines:
                    events.customer_event(events.UPDATED, target, {"changes": lines})
    except IntegrityError as exc:
        # Another transaction saved the same document or e-mail between our check and our
        # write; the database refused it. Say which customer, as the check would have.
        if creating:  # the rolled-back INSERT left its id on the instance
            customer.pk, customer._state.adding = None, True
        if cleaned is not None:
            _check_duplicates(cleaned, exclude_pk=customer.pk)
        raise ValidationError(
            "No se pudo guardar: otro usuario guardó datos en conflicto al mismo tiempo. Vuelva a intentarlo."
        ) from exc
    if not creating:
        _copy_state(target, customer)
    return customer


def _copy_state(source: Customer, customer: Customer) -> None:
    """The caller's copy shows what is stored now (a suspension made meanwhile included)."""
    for field in Customer._meta.concrete_fields:
        setattr(customer, field.attname, getattr(source, field.attname))
        if field.is_relation and field.is_cached(source):
            setattr(customer, field.name, getattr(source, field.name))


def clean_customer_data(
    data: dict,
    *,
    settings: CustomerSettings,
    customer: Customer,
    definitions: list | None = None,
    current_phones: list | None = None,
) -> tuple[dict, dict]:
    """What create_customer / update_customer would write for ``data`` over ``customer`` (a new,
    unsaved one to create) and every error by field, without writing: the import validates
    its rows with it. ``definitions``: every attribute definition, and ``current_phones``: the
    customer's stored (number, whatsapp) pairs, read once by a caller that cleans many rows
    (no query per row). Checks against other rows (duplicates) are the caller's."""
    try:
        return _clean_customer_data(
            data, settings=settings, customer=customer, definitions=definitions, current_phones=current_phones
        )
    except ValidationError as exc:  # refused before cleaning (control characters): errors as usual
        return {}, exc.message_dict


def _clean_customer_data(
    data: dict,
    *,
    settings: CustomerSettings,
    customer: Customer,
    definitions: list | None = None,
    current_phones: list | None = None,
) -> tuple[dict, dict]:
    # Attribute values are checked by their own rules (attributes.values).
    refuse_control_characters(data, skip=("attributes",))
    errors: dict[str, list[str]] = {}
    fields: dict = {}

    kind = data.get("kind") or ""
    if kind not in _KINDS:
        errors["kind"] = ["Elija Empresa o Persona natural."]
    is_foreign = as_bool(data.get("is_foreign"))
    fields["kind"], fields["is_foreign"] = kind, is_foreign

    # What each type keeps (first source document): razón social and contact name for a
    # company, names for a person. A value sent for the other type (typed in the form before
    # the type changed, or by an import or the API) is not stored.
    kept = {"business_line", *TYPE_FIELDS.get(kind, ())}
    for field in ("business_name", "first_names", "last_names", "business_line"):
        fields[field] = clean_text(data, field, errors) if field in kept else ""
    for field in ("additional_info", "description"):
        fields[field] = clean_long_text(data, field, errors)
    # The creation form's "Nombre y apellido del contacto" and "Nota": the first contact and
    # the first person's note (_save_first_contact_and_note); an edit has them in their tabs.
    first_contact = clean_text(data, "contact_name", errors) if "contact_name" in kept else ""
    first_note = clean_long_text(data, "note", errors)

    # Document type and number, by type of customer.
    doc_type = lookup_row(DocumentType, data.get("document_type"), "document_type", "El tipo de documento", errors)
    raw_number = str(data.get("document_number") or "").strip()
    number = ""
    if doc_type is not None:
        try:
            number = _clean_document(kind, is_foreign, doc_type, raw_number)
        except ValidationError as exc:
            errors.setdefault("document_number", []).extend(exc.messages)
    elif "document_type" not in errors:
        errors["document_type"] = ["Elija el tipo de documento."]
    if doc_type is not None and doc_type.for_foreigners != is_foreign and "document_type" not in errors:
        errors["document_type"] = [
            "Para un cliente extranjero elija un documento para extranjeros (carné de extranjería, pasaporte…)."
            if is_foreign
            else "Para un cliente peruano el documento es RUC o DNI; marque «Extranjero» si no lo es."
        ]
    fields["document_type"], fields["document_number"] = doc_type, number
    fields.update(_clean_registry(data, fields, customer=customer, errors=errors))

    # Names, as each type requires (first source document).
    if kind == Customer.Kind.COMPANY:
        if not fields["business_name"]:
            errors.setdefault("business_name", []).append("Ingrese la razón social.")
        if not is_foreign and not fields["business_line"]:
            errors.setdefault("business_line", []).append("Ingrese el giro de la empresa.")
        fields["name"] = fields["business_name"]
    elif kind == Customer.Kind.PERSON:
        if not fields["first_names"]:
            errors.setdefault("first_names", []).append("Ingrese los nombres.")
        if not fields["last_names"]:
            errors.setdefault("last_names", []).append("Ingrese los apellidos.")
        fields["name"] = person_display_name(fields["first_names"], fields["last_names"])
    fields["sort_key"] = sort_key(fields.get("name", ""))

    # A Peruvian customer is in Peru whatever country was sent; a foreign one names its own.
    country = str(data.get("country") or "").strip().upper() if is_foreign else "PE"
    if is_foreign and (not country or country == "PE"):
        errors["country"] = ["Elija el país del cliente extranjero."]
    elif is_foreign and not is_country(country):
        errors["country"] = ["Ese país no existe; elija uno de la lista."]
    fields["country"] = country

    fields["category"] = lookup_row(Category, data.get("category"), "category", "La categoría", errors)
    fields["customer_class"] = lookup_row(
        CustomerClass, data.get("customer_class"), "customer_class", "La clase", errors
    )
    fields["requests_detraction"] = as_bool(data.get("requests_detraction"))
    fields["loyalty_enrolled"] = as_bool(data.get("loyalty_enrolled"))

    # Phones (E.164) with their WhatsApp flag, e-mails (lower case), notification lists.
    phones = _clean_phones(
        data.get("phones") or [],
        errors,
        department=_department_of(data, customer),
        confirmed=_whatsapp_landlines(customer, current_phones),
    )
    emails = clean_list(data.get("emails"), validators.normalize_email, "emails", errors)
    if settings.require_email and not emails and "emails" not in errors:
        errors["emails"] = ["Ingrese al menos un correo electrónico (obligatorio en la configuración)."]
    if settings.require_phone and not phones and "phones" not in errors:
        errors["phones"] = ["Ingrese al menos un teléfono (obligatorio en la configuración)."]
    fields["email"] = emails[0] if emails else ""
    fields["phone"] = phones[0][0] if phones else ""
    fields["notification_emails"] = clean_list(
        data.get("notification_emails"), validators.normalize_email, "notification_emails", errors
    )
    fields["notification_whatsapp"] = clean_list(
        data.get("notification_whatsapp"), validators.normalize_whatsapp, "notification_whatsapp", errors
    )

    for network in SOCIAL_FIELDS:
        value = str(data.get(network) or "").strip()
        fields[network] = ""
        if value:
            try:
                fields[network] = validators.normalize_social(network, value)
            except ValidationError as exc:
                errors[network] = exc.messages
    website = str(data.get("website") or "").strip()
    fields["website"] = ""
    if website:
        try:
            fields["website"] = validators.normalize_url(website)
        except ValidationError as exc:
            errors["website"] = exc.messages

    address = None
    if "address" in data:
        address = clean_address(
            data.get("address") or {},
            errors,
            prefix="address_",
            is_foreign=is_foreign,
            required=(kind == Customer.Kind.COMPANY and not is_foreign) or settings.require_address,
        )
    elif customer.pk is None and kind == Customer.Kind.COMPANY and not is_foreign:
        # Said whole: a caller without an address (the API, an import's file without its columns)
        # learns what to send, not only that something is missing.
        errors["address_street"] = [COMPANY_ADDRESS_MISSING]
    elif customer.pk is None and settings.require_address:
        errors["address_street"] = ["Ingrese la dirección y el distrito (obligatoria en la configuración)."]

    # Atributos adicionales: the same rule for the form, the import and the API.
    stored_values = customer.attributes if customer.pk else {}
    fields["attributes"], attribute_errors, rules = clean_attribute_values(
        data=data, current=stored_values, definitions=definitions
    )
    errors.update(attribute_errors)

    cleaned = {
        "fields": fields,
        "phones": phones,
        "emails": emails,
        "address": address,
        "attribute_rules": rules,
        "first_contact": first_contact,
        "first_note": first_note,
    }
    cleaned["definitions"] = definitions
    return cleaned, errors


def _clean_document(kind: str, is_foreign: bool, doc_type: DocumentType, number: str) -> str:
    if is_foreign:
        return validators.validate_foreign_document(doc_type.code, number)
    if kind == Customer.Kind.COMPANY:
        if doc_type.code != RUC:
            raise ValidationError("Una empresa peruana se identifica con su RUC.")
        return validators.validate_ruc(number)
    # Persona natural: DNI (optional, as the first source document says) or a RUC 10.
    if doc_type.code == DNI:
        return validators.validate_dni(number) if number else ""
    if doc_type.code == RUC:
        number = validators.validate_ruc(number)
        if not number.startswith("10"):
            raise ValidationError("El RUC de una persona natural empieza con 10.")
        return number
    raise ValidationError("Una persona natural peruana se identifica con DNI o RUC.")


def _clean_phones(items, errors: dict, *, department: str = "", confirmed=frozenset()) -> list[tuple[str, bool]]:
    """(stored number, whatsapp) pairs. A landline with WhatsApp ticked needs
    "whatsapp_landline" (the person confirmed it: WhatsApp Business works on landlines), unless
    it was saved so before (`confirmed`): a mobile turned into a landline must not keep the
    flag unnoticed."""
    result, seen, messages = [], set(), []
    if isinstance(items, str):
        items = [{"number": n} for n in as_list(items)]
    for item in items:
        if isinstance(item, str):
            item = {"number": item}
        raw = str(item.get("number") or "").strip()
        if not raw:
            continue
        try:
            number = validators.normalize_phone(raw, department=department)
        except ValidationError as exc:
            messages.extend(exc.messages)
            continue
        whatsapp = as_bool(item.get("whatsapp"))
        if whatsapp and is_landline(number) and not (as_bool(item.get("whatsapp_landline")) or number in confirmed):
            messages.append(
                f"El {national_format(number)} es un teléfono fijo: ¿tiene WhatsApp (WhatsApp Business)? "
                "Quite WhatsApp o confírmelo en esa fila."
            )
            continue
        if number not in seen:
            seen.add(number)
            result.append((number, whatsapp))
    if len(result) > MAX_LIST_ITEMS:
        messages.append(f"Máximo {MAX_LIST_ITEMS} teléfonos.")
    if messages:
        errors["phones"] = messages
    return result


def _department_of(data: dict, customer: Customer) -> str:
    """The customer's departamento (INEI code), to name the area code a 6-digit landline needs."""
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    code = str(address.get("department") or address.get("district") or "")[:2]
    return code or (customer.department_id or "")


def _whatsapp_landlines(customer: Customer, current_phones: list | None = None) -> set[str]:
    if not customer.pk:
        return set()
    if current_phones is not None:
        return {number for number, whatsapp in current_phones if whatsapp}
    return set(customer.phones.filter(whatsapp=True).values_list("number", flat=True))


# --- optimistic concurrency (customers.services.versioning) -----------------------------------


def _address_tuple(address: dict) -> tuple:
    district = address["district"]
    return (district.pk if district else "", address["street"], address["unit"], address["reference"])


def _submitted_state(cleaned: dict) -> dict:
    """What this edit would write, shaped as customer_state() (plus the main address)."""
    state = {}
    for name, value in cleaned["fields"].items():
        f = Customer._meta.get_field(name)
        state[f.attname] = value.pk if isinstance(value, models.Model) else value
    state["phones"] = [[number, bool(whatsapp)] for number, whatsapp in cleaned["phones"]]
    state["emails"] = list(cleaned["emails"])
    if cleaned["address"]:
        state[ADDRESS_KEY] = _address_tuple(cleaned["address"])
    return state


def _keep_current(cleaned: dict, customer: Customer, keys: set[str]) -> None:
    """A stale edit that overlaps nothing: only its own changes (`keys`) go over the row as
    it is now (`customer`, refreshed under the lock)."""
    fields = cleaned["fields"]
    derived = {"name", "sort_key", "email", "phone", "attributes"}
    for name in list(fields):
        f = Customer._meta.get_field(name)
        if name not in derived and f.attname not in keys:
            fields[name] = getattr(customer, name)
    attributes = dict(customer.attributes or {})
    for key in keys:
        if key.startswith("attributes."):
            attribute = key.split(".", 1)[1]
            value = (fields.get("attributes") or {}).get(attribute)
            if value is None:
                attributes.pop(attribute, None)
            else:
                attributes[attribute] = value
    fields["attributes"] = attributes
    if "phones" not in keys:
        cleaned["phones"] = [(p.number, p.whatsapp) for p in customer.phones.all()]
    if "emails" not in keys:
        cleaned["emails"] = [e.email for e in customer.emails.all()]
    if ADDRESS_KEY not in keys:
        cleaned["address"] = None
    if fields["kind"] == Customer.Kind.COMPANY:
        fields["name"] = fields["business_name"]
    else:
        fields["name"] = person_display_name(fields["first_names"], fields["last_names"])
    fields["sort_key"] = sort_key(fields["name"])
    fields["email"] = cleaned["emails"][0] if cleaned["emails"] else ""
    fields["phone"] = cleaned["phones"][0][0] if cleaned["phones"] else ""


def _save_first_contact_and_note(customer: Customer, cleaned: dict, *, actor) -> None:
    """At creation: the form's contact name as the customer's first Contact, and its Nota as
    the first person's note of the timeline (after "Cliente creado.", by the same author)."""
    author = actor if getattr(actor, "pk", None) else None
    if cleaned["first_contact"]:
        contact = Contact(customer=customer, name=cleaned["first_contact"])
        stamp(contact, actor=actor, reason="Contacto agregado")
        contact.save()
    if cleaned["first_note"]:
        note = CustomerNote(customer=customer, kind=CustomerNote.Kind.MANUAL, text=cleaned["first_note"], author=author)
        stamp(note, actor=actor, reason="Nota agregada")
        note.save()


def _check_duplicates(cleaned: dict, *, exclude_pk: int | None, also_exclude: int | None = None) -> None:
    fields = cleaned["fields"]
    others = Customer.objects.exclude(pk=exclude_pk) if exclude_pk else Customer.objects.all()
    if also_exclude:
        others = others.exclude(pk=also_exclude)
    # Outside the Papelera first (it wins), then in it: each query under the rule of an index
    # (outside: the unique ones; in the Papelera: its customers, few, through customer_trash_idx).
    # One query over both could use neither, and read every customer on every save (at
    # 1,000,000 customers, the form's, the API's and the admin's).
    if fields.get("document_number") and fields.get("document_type") is not None:
        same = others.filter(document_type=fields["document_type"], document_number=fields["document_number"])
        match = _first(same.filter(deleted_at__isnull=True)) or _first(same.filter(deleted_at__isnull=False))
        if match:
            label = fields["document_type"].short_name
            _raise_duplicate("document_number", f"Ya existe un cliente con ese {label}", match)
    excluded = [pk for pk in (exclude_pk, also_exclude) if pk]
    for email in cleaned["emails"]:
        # The e-mails are lower-cased by the cleaning; the unique index is on Lower(email).
        same = (
            CustomerEmail.objects.annotate(lowered=Lower("email"))
            .filter(lowered=email.lower())
            .exclude(customer_id__in=excluded)
            .select_related("customer")
        )
        owner = _first(same.filter(in_trash=False)) or _first(
            same.filter(in_trash=True, customer__deleted_at__isnull=False)
        )
        if owner:
            _raise_duplicate("emails", f"Ya existe un cliente con el correo {email}", owner.customer)


def _first(queryset):
    # [:1] rather than first(): no ORDER BY id, which could walk the primary key instead.
    return next(iter(queryset.order_by()[:1]), None)


def _raise_duplicate(field: str, message: str, match: Customer) -> None:
    in_trash = match.deleted_at is not None
    if in_trash:
        # The Papelera keeps the document and e-mails reserved: restoring is the way back
        # (Eliminar definitivamente, by an Administrador, frees them).
        message = (
            f"{message} en la Papelera: «{match.name}». Un cliente en la Papelera conserva su documento y sus "
            "correos: restáurelo en lugar de crear uno nuevo (o, si ya no corresponde, un Administrador puede "
            "eliminarlo definitivamente desde la Papelera)."
        )
    else:
        message = f"{message}: «{match.name}»."
    raise DuplicateCustomerError(field, message, DuplicateInfo(match.pk, match.name, in_trash))


def set_list_copies(customer: Customer, cleaned: dict) -> list[str]:
    """Customer.search_text, has_whatsapp and department, from what this save writes
    (``cleaned`` from clean_customer_data); returns the fields it set."""
    customer.search_text = search_text(
        name=cleaned["fields"].get("name", ""),
        document_number=cleaned["fields"].get("document_number", ""),
        emails=cleaned["emails"],
        phones=[number for number, _ in cleaned["phones"]],
        extra=attribute_search_parts(cleaned["fields"].get("attributes"), cleaned.get("definitions")),
    )
    customer.has_whatsapp = any(whatsapp for _, whatsapp in cleaned["phones"])
    address = cleaned["address"]
    if not address:  # the main address is written with this save; otherwise it stays as it is
        return ["search_text", "has_whatsapp"]
    district = address["district"]
    customer.department_id = district.pk[:2] if district is not None else None
    return ["search_text", "has_whatsapp", "department"]


def _replace_phones(customer: Customer, phones: list[tuple[str, bool]]) -> None:
    existing = list(customer.phones.all())
    if [(p.number, p.whatsapp) for p in existing] == phones:
        return
    customer.phones.all().delete()
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=customer, number=n, whatsapp=w, position=i) for i, (n, w) in enumerate(phones)
    )


def _replace_emails(customer: Customer, emails: list[str]) -> None:
    existing = [e.email for e in customer.emails.all()]
    if existing == emails:
        return
    customer.emails.all().delete()
    in_trash = customer.deleted_at is not None
    CustomerEmail.objects.bulk_create(
        CustomerEmail(customer=customer, email=e, position=i, in_trash=in_trash) for i, e in enumerate(emails)
    )


def _save_main_address(customer: Customer, address: dict, *, actor, reason: str) -> list[str]:
    """Writes the default address when it changed; returns the note's line about it."""
    current = customer.addresses.filter(is_default=True).select_related("district").first()
    if not address:
        return []
    old_text = str(current) if current is not None else ""
    old_state = instance_state(current) if current is not None else None
    if current is None:
        current = Address(customer=customer, kind=Address.Kind.FISCAL, is_default=True)
    current.district = address["district"]
    current.street, current.unit, current.reference = address["street"], address["unit"], address["reference"]
    current.country = customer.country
    if old_state is not None and instance_state(current) == old_state:
        return []
    stamp(current, actor=actor, reason=reason)
    if old_state is not None:
        current.version += 1
    current.save()
    new_text = str(current)
    lines = [f"Dirección principal: {old_text or '—'} → {new_text or '—'}"] if old_text != new_text else []
    # What the address's text doesn't show (Indicaciones) is named on its own line.
    if old_state is not None:
        lines += [
            line
            for line in describe_changes(Address, old_state, instance_state(current))
            if line.startswith("Indicaciones:")
        ]
    return lines


# --- estado and condición del contribuyente (the RUC lookup, customers.lookup) ------------

# What SUNAT writes: capitals, digits, spaces and a little punctuation ("BAJA PROV. POR OFICIO").
_REGISTRY_VALUE = re.compile(r"^[A-ZÁÉÍÓÚÜÑ0-9][A-ZÁÉÍÓÚÜÑ0-9 .,;:/()-]*$")


_REGISTRY_FIELDS = ("registry_status", "registry_condition")


def _clean_registry(data: dict, fields: dict, *, customer: Customer, errors: dict) -> dict:
    """registry_status / registry_condition / registry_checked_at, as the form carries them
    from the lookup. Only a customer identified by RUC has them. A caller that does not send
    them (import, API) keeps the customer's values while the RUC stays the same."""
    empty = {"registry_status": "", "registry_condition": "", "registry_checked_at": None}
    doc_type, number = fields.get("document_type"), fields.get("document_number")
    if doc_type is None or doc_type.code != RUC or not number:
        return empty
    if not any(name in data for name in _REGISTRY_FIELDS):
        same_ruc = customer.pk and customer.document_type_id == RUC and customer.document_number == number
        return {} if same_ruc else empty
    cleaned = {}
    for name in _REGISTRY_FIELDS:
        value = clean_spaces(str(data.get(name) or "")).upper()
        if len(value) > 40 or (value and not _REGISTRY_VALUE.match(value)):
            errors.setdefault(name, []).append("Dato del padrón no válido; vuelva a consultar el RUC con la lupa.")
        cleaned[name] = value
    if not any(cleaned.values()) or errors.get("registry_status") or errors.get("registry_condition"):
        return empty
    # When the registry said so is the server's knowledge, never a time a caller sends: the
    # lookup's own record of this RUC (estado and condición as the registry gave them), else
    # the customer's stored values while they are unchanged, else unknown.
    answer = lookup.registry_answer(lookup.RUC, number)
    if answer is not None:
        return {
            "registry_status": answer.status,
            "registry_condition": answer.condition,
            "registry_checked_at": answer.checked_at,
        }
    unchanged = (
        customer.pk
        and customer.document_type_id == RUC
        and customer.document_number == number
        and (customer.registry_status, customer.registry_condition)
        == (cleaned["registry_status"], cleaned["registry_condition"])
    )
    cleaned["registry_checked_at"] = customer.registry_checked_at if unchanged else None
    return cleaned
