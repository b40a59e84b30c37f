"""Reading what a caller sends (a form, an import row, an API body) into clean values, with
every error collected by field in Spanish. Shared by the customer, address and contact services."""

from django.core.exceptions import ValidationError

from customers.models import District
from peru.text import clean_spaces, control_character_errors

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
ADDRESS_LIMITS = {"street": 200, "unit": 60, "reference": 250}
CONTACT_LIMITS = {"name": 150, "role": 100, "note": 250}
# Phones, e-mails and each notification list of one customer or contact.
MAX_LIST_ITEMS = 10


def refuse_control_characters(data: dict, *, skip=()) -> None:
    """Before anything reads the database with what a caller sent (PostgreSQL refuses NUL in
    a query): a text holding a control character is refused, by field (peru.text's rule)."""
    errors = control_character_errors(data, skip=skip)
    if errors:
        raise ValidationError(errors)


def clean_text(data: dict, field: str, errors: dict) -> str:
    value = clean_spaces(str(data.get(field) or ""))
    limit = TEXT_LIMITS.get(field)
    if limit and len(value) > limit:
        errors[field] = [f"Máximo {limit} caracteres (tiene {len(value)})."]
    return value


def clean_long_text(data: dict, field: str, errors: dict) -> str:
    # Long texts keep their line breaks; only the ends are trimmed.
    value = str(data.get(field) or "").strip()
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        errors[field] = [f"Máximo {limit} caracteres (tiene {len(value)})."]
    return value


def as_list(value) -> list[str]:
    """A list of strings from a list or from text separated by commas, semicolons or lines."""
    if value is None:
        return []
    if isinstance(value, str):
        for separator in (";", "\n"):
            value = value.replace(separator, ",")
        value = value.split(",")
    return [clean_spaces(str(item)) for item in value if clean_spaces(str(item))]


def as_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "si", "sí", "yes", "x")
    return bool(value)


def lookup_row(model, value, field: str, label: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model.objects.get(pk=value)
    except (model.DoesNotExist, ValueError, TypeError):
        errors[field] = [f"{label} no existe; elija uno de la lista."]
        return None


def clean_list(value, normalize, field: str, errors: dict) -> list[str]:
    result, messages = [], []
    for item in as_list(value):
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


def clean_address(data: dict, errors: dict, *, prefix: str, is_foreign: bool, required: bool) -> dict | None:
    street = clean_spaces(str(data.get("street") or ""))
    unit = clean_spaces(str(data.get("unit") or ""))
    reference = clean_spaces(str(data.get("reference") or ""))
    for field, value in (("street", street), ("unit", unit), ("reference", reference)):
        limit = ADDRESS_LIMITS[field]
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
