"""Business rules for customers: every entry point (forms, admin, import, API) calls these.

Each write validates everything first, collecting every error by field (Spanish messages),
then writes in one transaction: it either completes or leaves the database as it was.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from attributes.services import clean_attribute_values, lock_attribute_rules
from attributes.services import search_parts as attribute_search_parts
from customers import lookup, validators
from customers.countries import is_country
from customers.history import customer_state, describe_changes, instance_state, set_contact_points, stamp
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
    District,
    DocumentType,
)
from customers.notes import record_note
from customers.reference import DNI, RUC
from customers.text import (
    clean_spaces,
    control_character_errors,
    person_display_name,
    search_text,
    sort_key,
)

# Longest text each field accepts (model max_length for short fields; a sane cap for long ones).
TEXT_LIMITS = {
    "business_name": 200,
    "first_names": 100,
    "last_names": 100,
    "business_line": 150,
    "contact_name": 150,
    "note": 2000,
    "additional_info": 5000,
    "description": 2000,
}
SOCIAL_FIELDS = ["facebook", "instagram", "tiktok", "x", "linkedin", "youtube"]
MAX_LIST_ITEMS = 10


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


def get_customer_settings() -> CustomerSettings:
    settings, _ = CustomerSettings.objects.get_or_create(pk=1)
    return settings


def update_customer_settings(*, actor, data: dict) -> CustomerSettings:
    with transaction.atomic():
        settings = CustomerSettings.objects.select_for_update().get_or_create(pk=1)[0]
        for field in ("require_email", "require_phone", "require_address"):
            if field in data:
                setattr(settings, field, bool(data[field]))
        settings.save()
    return settings


# --- customers ---------------------------------------------------------------------------


def create_customer(
    *, actor, data: dict, reason: str = "Creado", note_kind: str = CustomerNote.Kind.CREATED
) -> Customer:
    customer = Customer(created_by=actor if getattr(actor, "pk", None) else None)
    return _save_customer(actor=actor, customer=customer, data=data, creating=True, reason=reason, note_kind=note_kind)


def update_customer(
    *, actor, customer: Customer, data: dict, reason: str = "Editado", note_kind: str = CustomerNote.Kind.EDITED
) -> Customer:
    """`reason` and `note_kind` name the change in the history and the Notas timeline (a
    revert, an import); the note lists every field that changed, before → after."""
    return _save_customer(actor=actor, customer=customer, data=data, creating=False, reason=reason, note_kind=note_kind)


def _save_customer(*, actor, customer: Customer, data: dict, creating: bool, reason: str, note_kind: str) -> Customer:
    settings = get_customer_settings()
    cleaned, errors = _clean_customer_data(data, settings=settings, customer=customer)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            lock_attribute_rules(version=cleaned["attribute_rules"])
            _check_duplicates(cleaned, exclude_pk=customer.pk)
            before = None if creating else customer_state(customer)
            for field, value in cleaned["fields"].items():
                setattr(customer, field, value)
            _set_list_copies(customer, cleaned)
            customer.full_clean(
                exclude=["document_type", "category", "customer_class", "created_by", "deleted_by", "department"]
            )
            after = customer_state(customer, phones=cleaned["phones"], emails=cleaned["emails"])
            changed = creating or after != before
            # One historical record per change, none for a save that changes nothing.
            if changed:
                set_contact_points(customer, phones=cleaned["phones"], emails=cleaned["emails"])
                stamp(customer, actor=actor, reason=reason)
            else:
                customer.skip_history_when_saving = True
            try:
                customer.save()
            finally:
                customer.__dict__.pop("skip_history_when_saving", None)
            _replace_phones(customer, cleaned["phones"])
            _replace_emails(customer, cleaned["emails"])
            lines = [] if creating else describe_changes(Customer, before, after)
            if cleaned["address"] is not None:
                lines += _save_main_address(customer, cleaned["address"], actor=actor, reason=reason)
            if creating:
                text = "Cliente creado." if note_kind == CustomerNote.Kind.CREATED else f"{reason}."
                record_note(customer=customer, actor=actor, kind=note_kind, text=text)
            elif changed or lines or note_kind != CustomerNote.Kind.EDITED:
                header = "" if note_kind == CustomerNote.Kind.EDITED else reason + "."
                text = "\n".join([header, *lines]).strip() or "Datos actualizados."
                record_note(customer=customer, actor=actor, kind=note_kind, text=text)
    except IntegrityError as exc:
        # Another transaction saved the same document or e-mail between our check and our
        # write; the database refused it. Say which customer, as the check would have.
        if creating:  # the rolled-back INSERT left its id on the instance
            customer.pk, customer._state.adding = None, True
        _check_duplicates(cleaned, exclude_pk=customer.pk)
        raise ValidationError(
            "No se pudo guardar: otro usuario guardó datos en conflicto al mismo tiempo. Vuelva a intentarlo."
        ) from exc
    return customer


def _refuse_control_characters(data: dict, *, skip=()) -> None:
    errors = control_character_errors(data, skip=skip)
    if errors:
        raise ValidationError(errors)


def _text(data: dict, field: str, errors: dict) -> str:
    value = clean_spaces(str(data.get(field) or ""))
    limit = TEXT_LIMITS.get(field)
    if limit and len(value) > limit:
        errors[field] = [f"Máximo {limit} caracteres (tiene {len(value)})."]
    return value


def _long_text(data: dict, field: str, errors: dict) -> str:
    # Long texts keep their line breaks; only the ends are trimmed.
    value = str(data.get(field) or "").strip()
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        errors[field] = [f"Máximo {limit} caracteres (tiene {len(value)})."]
    return value


def _as_list(value) -> list[str]:
    """A list of strings from a list or from text separated by commas, semicolons or lines."""
    if value is None:
        return []
    if isinstance(value, str):
        for separator in (";", "\n"):
            value = value.replace(separator, ",")
        value = value.split(",")
    return [clean_spaces(str(item)) for item in value if clean_spaces(str(item))]


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "si", "sí", "yes", "x")
    return bool(value)


def _lookup(model, value, field: str, label: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model.objects.get(pk=value)
    except (model.DoesNotExist, ValueError, TypeError):
        errors[field] = [f"{label} no existe; elija uno de la lista."]
        return None


def _clean_customer_data(data: dict, *, settings: CustomerSettings, customer: Customer) -> tuple[dict, dict]:
    # Before anything reads the database with them (PostgreSQL refuses NUL in a query).
    # Attribute values are checked by their own rules (attributes.values).
    _refuse_control_characters(data, skip=("attributes",))
    errors: dict[str, list[str]] = {}
    fields: dict = {}

    kind = data.get("kind") or ""
    if kind not in Customer.Kind.values:
        errors["kind"] = ["Elija Empresa o Persona natural."]
    is_foreign = _bool(data.get("is_foreign"))
    fields["kind"], fields["is_foreign"] = kind, is_foreign

    for field in ("business_name", "first_names", "last_names", "business_line", "contact_name"):
        fields[field] = _text(data, field, errors)
    for field in ("note", "additional_info", "description"):
        fields[field] = _long_text(data, field, errors)

    # Document type and number, by type of customer.
    doc_type = _lookup(DocumentType, data.get("document_type"), "document_type", "El tipo de documento", errors)
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

    country = str(data.get("country") or ("" if is_foreign else "PE")).strip().upper()
    if is_foreign and (not country or country == "PE"):
        errors["country"] = ["Elija el país del cliente extranjero."]
    elif not is_country(country):
        errors["country"] = ["Ese país no existe; elija uno de la lista."]
    fields["country"] = "PE" if not is_foreign else country

    fields["category"] = _lookup(Category, data.get("category"), "category", "La categoría", errors)
    fields["customer_class"] = _lookup(CustomerClass, data.get("customer_class"), "customer_class", "La clase", errors)
    fields["requests_detraction"] = _bool(data.get("requests_detraction"))
    fields["loyalty_enrolled"] = _bool(data.get("loyalty_enrolled"))

    # Phones (E.164) with their WhatsApp flag, e-mails (lower case), notification lists.
    phones = _clean_phones(data.get("phones") or [], errors)
    emails = _clean_list(data.get("emails"), validators.normalize_email, "emails", errors)
    if settings.require_email and not emails and "emails" not in errors:
        errors["emails"] = ["Ingrese al menos un correo electrónico (obligatorio en la configuración)."]
    if settings.require_phone and not phones and "phones" not in errors:
        errors["phones"] = ["Ingrese al menos un teléfono (obligatorio en la configuración)."]
    fields["email"] = emails[0] if emails else ""
    fields["phone"] = phones[0][0] if phones else ""
    fields["notification_emails"] = _clean_list(
        data.get("notification_emails"), validators.normalize_email, "notification_emails", errors
    )
    fields["notification_whatsapp"] = _clean_list(
        data.get("notification_whatsapp"), validators.normalize_phone, "notification_whatsapp", errors
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
        address = _clean_address(
            data.get("address") or {},
            errors,
            prefix="address_",
            is_foreign=is_foreign,
            required=(kind == Customer.Kind.COMPANY and not is_foreign) or settings.require_address,
        )
    elif customer.pk is None and (kind == Customer.Kind.COMPANY and not is_foreign or settings.require_address):
        errors["address_street"] = ["Ingrese la dirección."]

    # Atributos adicionales: the same rule for the form, the import and the API.
    fields["attributes"], attribute_errors, rules = clean_attribute_values(data=data, customer=customer)
    errors.update(attribute_errors)

    cleaned = {"fields": fields, "phones": phones, "emails": emails, "address": address, "attribute_rules": rules}
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


def _clean_phones(items, errors: dict) -> list[tuple[str, bool]]:
    result, seen, messages = [], set(), []
    if isinstance(items, str):
        items = [{"number": n} for n in _as_list(items)]
    for item in items:
        if isinstance(item, str):
            item = {"number": item}
        raw = str(item.get("number") or "").strip()
        if not raw:
            continue
        try:
            number = validators.normalize_phone(raw)
        except ValidationError as exc:
            messages.extend(exc.messages)
            continue
        if number not in seen:
            seen.add(number)
            result.append((number, _bool(item.get("whatsapp"))))
    if len(result) > MAX_LIST_ITEMS:
        messages.append(f"Máximo {MAX_LIST_ITEMS} teléfonos.")
    if messages:
        errors["phones"] = messages
    return result


def _clean_list(value, normalize, field: str, errors: dict) -> list[str]:
    result, messages = [], []
    for item in _as_list(value):
        try:
            normalized = normalize(item)
        except ValidationError as exc:
            messages.extend(exc.messages)
            continue
        if normalized not in result:
            result.append(normalized)
    if len(result) > MAX_LIST_ITEMS:
        messages.append(f"Máximo {MAX_LIST_ITEMS} elementos.")
    if messages:
        errors[field] = messages
    return result


def _clean_address(data: dict, errors: dict, *, prefix: str, is_foreign: bool, required: bool) -> dict | None:
    street = clean_spaces(str(data.get("street") or ""))
    unit = clean_spaces(str(data.get("unit") or ""))
    reference = clean_spaces(str(data.get("reference") or ""))
    for field, value, limit in (("street", street, 200), ("unit", unit, 60), ("reference", reference, 250)):
        if len(value) > limit:
            errors[prefix + field] = [f"Máximo {limit} caracteres (tiene {len(value)})."]
    district = None
    if not is_foreign:
        code = str(data.get("district") or "").strip()
        province = str(data.get("province") or "").strip()
        department = str(data.get("department") or "").strip()
        if code:
            district = District.objects.select_related("province").filter(pk=code).first()
            if district is None:
                errors[prefix + "district"] = ["Ese distrito no existe; elíjalo de la lista."]
            elif province and district.province_id != province:
                errors[prefix + "district"] = ["El distrito no pertenece a la provincia elegida."]
            elif department and district.province.department_id != department:
                errors[prefix + "district"] = ["El distrito no pertenece al departamento elegido."]
        elif required or street:
            errors[prefix + "district"] = ["Elija departamento, provincia y distrito."]
    if required and not street:
        errors[prefix + "street"] = ["Ingrese la calle y número." if not is_foreign else "Ingrese la dirección."]
    if not (street or district):
        return {} if not required else None
    return {"district": district, "street": street, "unit": unit, "reference": reference}


def _check_duplicates(cleaned: dict, *, exclude_pk: int | None) -> None:
    fields = cleaned["fields"]
    others = Customer.objects.exclude(pk=exclude_pk) if exclude_pk else Customer.objects.all()
    if fields.get("document_number") and fields.get("document_type") is not None:
        match = (
            others.filter(document_type=fields["document_type"], document_number=fields["document_number"])
            .order_by("deleted_at")  # NULL first: outside the trash wins
            .first()
        )
        if match:
            label = fields["document_type"].short_name
            _raise_duplicate("document_number", f"Ya existe un cliente con ese {label}", match)
    for email in cleaned["emails"]:
        owner = (
            CustomerEmail.objects.filter(email__iexact=email)
            .exclude(customer_id=exclude_pk)
            .select_related("customer")
            .order_by("in_trash")
            .first()
        )
        if owner:
            _raise_duplicate("emails", f"Ya existe un cliente con el correo {email}", owner.customer)


def _raise_duplicate(field: str, message: str, match: Customer) -> None:
    in_trash = match.deleted_at is not None
    if in_trash:
        message = f"{message} en la Papelera: «{match.name}». Puede restaurarlo en lugar de crear uno nuevo."
    else:
        message = f"{message}: «{match.name}»."
    raise DuplicateCustomerError(field, message, DuplicateInfo(match.pk, match.name, in_trash))


def _set_list_copies(customer: Customer, cleaned: dict) -> None:
    """Customer.search_text, has_whatsapp and department, from what this save writes."""
    customer.search_text = search_text(
        name=cleaned["fields"].get("name", ""),
        document_number=cleaned["fields"].get("document_number", ""),
        emails=cleaned["emails"],
        phones=[number for number, _ in cleaned["phones"]],
        extra=attribute_search_parts(cleaned["fields"].get("attributes")),
    )
    customer.has_whatsapp = any(whatsapp for _, whatsapp in cleaned["phones"])
    address = cleaned["address"]
    if address:  # the main address is written with this save; otherwise it stays as it is
        district = address["district"]
        customer.department_id = district.pk[:2] if district is not None else None


def _sync_department(customer: Customer) -> None:
    """After an address change: the departamento of the (maybe new) default address."""
    district = customer.addresses.filter(is_default=True).values_list("district_id", flat=True).first()
    department = district[:2] if district else None
    if customer.department_id != department:
        customer.department_id = department
        Customer.objects.filter(pk=customer.pk).update(department_id=department)


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
    current.save()
    new_text = str(current)
    return [f"Dirección principal: {old_text or '—'} → {new_text or '—'}"] if old_text != new_text else []


# --- addresses ---------------------------------------------------------------------------


def save_address(*, actor, customer: Customer, data: dict, address: Address | None = None) -> Address:
    """Create (address=None) or update one of the customer's addresses."""
    if address is not None and address.customer_id != customer.pk:
        raise ValidationError("Esa dirección no pertenece a este cliente.")
    _refuse_control_characters(data)
    errors: dict = {}
    kind = data.get("kind") or Address.Kind.DELIVERY
    if kind not in Address.Kind.values:
        errors["kind"] = ["Elija fiscal, entrega u otra."]
    cleaned = _clean_address(data, errors, prefix="", is_foreign=customer.is_foreign, required=True)
    if errors:
        raise ValidationError(errors)
    make_default = _bool(data.get("is_default"))
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        previous_default = customer.addresses.filter(is_default=True).exclude(pk=getattr(address, "pk", None)).first()
        creating = address is None
        if creating:
            address = Address(customer=customer)
        old_state, old_text = (None, "") if creating else (instance_state(address), str(address))
        address.kind = kind
        address.district = cleaned["district"]
        address.street, address.unit, address.reference = cleaned["street"], cleaned["unit"], cleaned["reference"]
        address.country = customer.country
        if make_default or previous_default is None:
            if previous_default is not None:
                # Saved one by one (not queryset.update()) so the change is recorded.
                previous_default.is_default = False
                stamp(previous_default, actor=actor, reason="Otra dirección es la predeterminada")
                previous_default.save(update_fields=["is_default"])
            address.is_default = True
        new_state = instance_state(address)
        if creating or new_state != old_state:
            reason = "Dirección agregada" if creating else "Dirección editada"
            stamp(address, actor=actor, reason=reason)
            address.save()
            if creating:
                text = f"Dirección agregada: {address} ({address.get_kind_display()})."
            else:
                lines = describe_changes(Address, old_state, new_state)
                text = "\n".join([f"Dirección editada: {old_text}.", *lines])
            record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)
        if address.is_default:
            _sync_department(customer)
    return address


def make_default_address(*, actor, address: Address) -> Address:
    """The customer's default address becomes this one; the others stay as they are."""
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=address.customer_id).first()
        if address.is_default:
            return address
        previous = Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(pk=address.pk)
        for other in previous:  # at most one; saved one by one so the change is recorded
            other.is_default = False
            stamp(other, actor=actor, reason="Otra dirección es la predeterminada")
            other.save(update_fields=["is_default"])
        address.is_default = True
        stamp(address, actor=actor, reason="Dirección predeterminada")
        address.save(update_fields=["is_default"])
        text = f"Dirección predeterminada: {address}."
        record_note(customer=address.customer, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)
        _sync_department(address.customer)
    return address


def delete_address(*, actor, address: Address) -> None:
    customer = address.customer
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
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
                stamp(successor, actor=actor, reason="Dirección predeterminada")
                successor.save(update_fields=["is_default"])
                text += f"\nDirección predeterminada: {successor}."
            _sync_department(customer)
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.ADDRESS, text=text)


# --- contacts ----------------------------------------------------------------------------


def save_contact(*, actor, customer: Customer, data: dict, contact: Contact | None = None) -> Contact:
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError("Ese contacto no pertenece a este cliente.")
    _refuse_control_characters(data)
    errors: dict = {}
    name = _text({"name": data.get("name")}, "name", errors)
    role = clean_spaces(str(data.get("role") or ""))
    note = clean_spaces(str(data.get("note") or ""))
    if not name:
        errors["name"] = ["Ingrese el nombre del contacto."]
    elif len(name) > 150:
        errors["name"] = [f"Máximo 150 caracteres (tiene {len(name)})."]
    if len(role) > 100:
        errors["role"] = [f"Máximo 100 caracteres (tiene {len(role)})."]
    if len(note) > 250:
        errors["note"] = [f"Máximo 250 caracteres (tiene {len(note)})."]
    phones = _clean_list(data.get("phones"), validators.normalize_phone, "phones", errors)
    emails = _clean_list(data.get("emails"), validators.normalize_email, "emails", errors)
    if errors:
        raise ValidationError(errors)
    creating = contact is None
    contact = contact or Contact(customer=customer)
    old_state, old_name = (None, "") if creating else (instance_state(contact), contact.name)
    contact.name, contact.role, contact.note, contact.phones, contact.emails = name, role, note, phones, emails
    new_state = instance_state(contact)
    if not creating and new_state == old_state:
        return contact
    with transaction.atomic():
        stamp(contact, actor=actor, reason="Contacto agregado" if creating else "Contacto editado")
        contact.save()
        if creating:
            text = f"Contacto agregado: {contact.name}."
        else:
            text = "\n".join([f"Contacto editado: {old_name}.", *describe_changes(Contact, old_state, new_state)])
        record_note(customer=customer, actor=actor, kind=CustomerNote.Kind.CONTACT, text=text)
    return contact


def delete_contact(*, actor, contact: Contact) -> None:
    with transaction.atomic():
        stamp(contact, actor=actor, reason="Contacto eliminado")
        contact.delete()
        text = f"Contacto eliminado: {contact.name}."
        record_note(customer=contact.customer, actor=actor, kind=CustomerNote.Kind.CONTACT, text=text)


# --- categories and classes (Configuración) ----------------------------------------------


def save_choice(*, actor, model, name: str, instance=None):
    """Create or rename a Category or CustomerClass."""
    label = model._meta.verbose_name
    _refuse_control_characters({"name": name})
    name = clean_spaces(name)
    if not name:
        raise ValidationError({"name": [f"Ingrese el nombre de la {label}."]})
    if len(name) > 60:
        raise ValidationError({"name": [f"Máximo 60 caracteres (tiene {len(name)})."]})
    clash = model.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]})
    instance = instance or model(position=model.objects.count())
    instance.name = name
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ValidationError({"name": [f"Ya existe una {label} con ese nombre."]}) from None
    return instance


def delete_choice(*, actor, instance) -> None:
    field = "category" if isinstance(instance, Category) else "customer_class"
    in_use = Customer.objects.filter(Q(**{field: instance})).count()
    if in_use:
        raise ValidationError(
            f"No se puede eliminar «{instance.name}»: {in_use} cliente{'s' if in_use != 1 else ''} la usa"
            f"{'n' if in_use != 1 else ''}. Cámbielos primero."
        )
    instance.delete()


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


# --- lifecycle: Desactivar / Activar, Papelera -------------------------------------------
# Views check permissions before calling; these check again when given a user (actor=None is
# the system itself: commands, data fixes), because the API and imports call them too.


def deactivate_customer(*, actor, customer: Customer) -> Customer:
    """Desactivar (suspender): the customer stays on file and in the list's "Suspendidos",
    but the point of sale and invoicing can no longer pick it."""
    return _set_active(actor=actor, customer=customer, active=False)


def activate_customer(*, actor, customer: Customer) -> Customer:
    return _set_active(actor=actor, customer=customer, active=True)


def _set_active(*, actor, customer: Customer, active: bool) -> Customer:
    _require(actor, "customers.change_customer")
    with transaction.atomic():
        locked = _locked(customer)
        if locked.deleted_at is not None:
            raise ValidationError("Este cliente está en la Papelera: restáurelo antes de activarlo o desactivarlo.")
        if locked.is_active != active:
            locked.is_active = active
            stamp(locked, actor=actor, reason="Activado" if active else "Desactivado")
            locked.save(update_fields=["is_active", "updated_at"])
            if active:
                record_note(customer=locked, actor=actor, kind=CustomerNote.Kind.ACTIVATED, text="Cliente activado.")
            else:
                record_note(
                    customer=locked,
                    actor=actor,
                    kind=CustomerNote.Kind.DEACTIVATED,
                    text="Cliente desactivado: no aparece en el punto de venta ni en la facturación.",
                )
    customer.is_active, customer.updated_at = locked.is_active, locked.updated_at
    return locked


def unpaid_documents(*, customer: Customer) -> list:
    """Credit documents of the customer not fully paid yet (facturas, letras…).

    Hook for the credit issue, which brings the documents: until then there are none, so
    Eliminar is never refused for this reason."""
    return []


def referencing_documents(*, customer: Customer) -> list:
    """Any document (invoice, credit line, sale) that points at the customer. Hook for the
    credit issue, like unpaid_documents: none yet, so nothing blocks a permanent deletion."""
    return []


def trash_customer(*, actor, customer: Customer) -> Customer:
    """Eliminar: the customer moves to the Papelera with every row it has (addresses,
    contacts, phones, e-mails) and leaves the uniqueness rules of document and e-mail, so a
    new customer may take them. Refused while it has unpaid documents."""
    _require(actor, "customers.delete_customer")
    with transaction.atomic():
        locked = _locked(customer)
        if locked.deleted_at is not None:
            raise ValidationError("Este cliente ya está en la Papelera.")
        unpaid = unpaid_documents(customer=locked)
        if unpaid:
            raise ValidationError(
                f"No se puede eliminar «{locked.name}»: tiene {len(unpaid)} documento"
                f"{'s' if len(unpaid) != 1 else ''} por cobrar. Desactívelo en su lugar."
            )
        locked.deleted_at = timezone.now()
        locked.deleted_by = actor if getattr(actor, "pk", None) else None
        stamp(locked, actor=actor, reason="Enviado a la Papelera")
        locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        # in_trash is a copy of deleted_at for the unique index, not history of its own.
        CustomerEmail.objects.filter(customer=locked).update(in_trash=True)
        record_note(customer=locked, actor=actor, kind=CustomerNote.Kind.TRASHED, text="Cliente enviado a la Papelera.")
    customer.deleted_at, customer.deleted_by = locked.deleted_at, locked.deleted_by
    return locked


def restore_customer(*, actor, customer: Customer) -> Customer:
    """Restaurar from the Papelera, exactly as it was: soft delete kept every row. Refused
    when a customer outside the trash now holds the same document or one of its e-mails."""
    _require(actor, "customers.restore_customer")
    try:
        with transaction.atomic():
            locked = _locked(customer)
            if locked.deleted_at is None:
                raise ValidationError("Este cliente no está en la Papelera.")
            _check_restore_conflicts(locked)
            locked.deleted_at, locked.deleted_by = None, None
            stamp(locked, actor=actor, reason="Restaurado de la Papelera")
            locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
            CustomerEmail.objects.filter(customer=locked).update(in_trash=False)
            record_note(
                customer=locked, actor=actor, kind=CustomerNote.Kind.RESTORED, text="Cliente restaurado de la Papelera."
            )
    except IntegrityError:
        # Someone took the document or an e-mail between the check and the write.
        _check_restore_conflicts(_locked(customer))
        raise ValidationError(
            "No se pudo restaurar: otro usuario guardó datos en conflicto al mismo tiempo. Vuelva a intentarlo."
        ) from None
    customer.deleted_at, customer.deleted_by = None, None
    return locked


def _check_restore_conflicts(customer: Customer) -> None:
    active = Customer.objects.filter(deleted_at__isnull=True).exclude(pk=customer.pk)
    if customer.document_number:
        holder = active.filter(
            document_type_id=customer.document_type_id, document_number=customer.document_number
        ).first()
        if holder:
            label = DocumentType.objects.get(pk=customer.document_type_id).short_name
            raise ValidationError(
                f"No se puede restaurar «{customer.name}»: el cliente «{holder.name}» ya tiene el "
                f"{label} {customer.document_number}. Cambie o elimine ese cliente primero."
            )
    emails = list(customer.emails.values_list("email", flat=True))
    if emails:
        taken = (
            CustomerEmail.objects.filter(in_trash=False, email__in=[e.lower() for e in emails])
            .exclude(customer=customer)
            .select_related("customer")
            .first()
        )
        if taken:
            raise ValidationError(
                f"No se puede restaurar «{customer.name}»: el correo {taken.email} ahora es de "
                f"«{taken.customer.name}». Cambie ese correo primero."
            )


def purge_customer(*, actor, customer: Customer) -> None:
    """Eliminar definitivamente: only from the Papelera, and never while a document refers
    to the customer. Every row of the customer goes with it."""
    _require(actor, "customers.purge_customer")
    with transaction.atomic():
        locked = _locked(customer)
        if locked.deleted_at is None:
            raise ValidationError("Solo se elimina definitivamente desde la Papelera: elimine el cliente primero.")
        documents = referencing_documents(customer=locked)
        if documents:
            raise ValidationError(
                f"No se puede eliminar definitivamente «{locked.name}»: {len(documents)} documento"
                f"{'s' if len(documents) != 1 else ''} lo mencionan."
            )
        # The notes go with the customer; the historical records stay (history_type "-").
        stamp(locked, actor=actor, reason="Eliminado definitivamente")
        locked.delete()


def _locked(customer: Customer) -> Customer:
    """The customer's row, locked until the transaction ends, so two people acting on it at
    once take turns (the second sees the first one's result)."""
    try:
        return Customer.objects.select_for_update().get(pk=customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError("Ese cliente ya no existe.") from None


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


# --- bulk actions of the list -------------------------------------------------------------

BULK_ACTIONS = {
    # code: (service, permission, what the message says of one customer, of several)
    "desactivar": (deactivate_customer, "customers.change_customer", "desactivado", "desactivados"),
    "activar": (activate_customer, "customers.change_customer", "activado", "activados"),
    "eliminar": (trash_customer, "customers.delete_customer", "enviado a la Papelera", "enviados a la Papelera"),
}


def bulk_lifecycle(*, actor, action: str, customer_ids: list[int]) -> int:
    """Desactivar / Activar / Eliminar the chosen customers, each through its own service (so
    each leaves its history record and note), all in one transaction: all or nothing."""
    if action not in BULK_ACTIONS:
        raise ValidationError("Acción desconocida: elija desactivar, activar o eliminar.")
    service, permission, *_ = BULK_ACTIONS[action]
    _require(actor, permission)
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        raise ValidationError("Seleccione al menos un cliente.")
    with transaction.atomic():
        customers = list(Customer.objects.filter(pk__in=ids, deleted_at__isnull=True).order_by("pk"))
        if len(customers) != len(ids):
            raise ValidationError(
                "Algunos clientes seleccionados ya no existen o están en la Papelera. No se aplicó ningún cambio."
            )
        for customer in customers:
            try:
                service(actor=actor, customer=customer)
            except ValidationError as exc:
                raise ValidationError(
                    f"«{customer.name}»: {' '.join(exc.messages)} No se aplicó ningún cambio."
                ) from None
    return len(customers)
