"""Business rules of the attributes the business defines (Atributos adicionales), and of
their values on customers. Every entry point (the pages, the customer form, and later the
import and the API) calls these, so a rule is written once.

Changing a definition never loses data: a rename or a new help keeps every value; a change of
type, options or range is refused when an existing value would not fit (saying how many
customers have one); archiving hides the field and keeps the values; deleting is possible only
while no customer has a value.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from attributes import tasks, values
from attributes.models import HELP_MAX, MAX_OPTIONS, NAME_MAX, OPTION_MAX, AttributeDefinition
from attributes.stores import value_stores
from peru.concurrency import StaleEdit, check_instance
from peru.text import clean_spaces, fold

MANAGE = "attributes.manage_attributedefinition"
Kind = AttributeDefinition.Kind


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


# --- definitions -------------------------------------------------------------------------


def create_definition(*, actor, data: dict) -> AttributeDefinition:
    _require(actor, MANAGE)
    definition = AttributeDefinition(created_by=actor if getattr(actor, "pk", None) else None)
    cleaned = _clean_definition(data, instance=None)
    with transaction.atomic():
        for field, value in cleaned.items():
            setattr(definition, field, value)
        definition.position = (
            AttributeDefinition.objects.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        _save(definition, actor, "Creado")
        if definition.has_value_index:
            _sync_index_later(definition.pk)
    return definition


def update_definition(
    *, actor, definition: AttributeDefinition, data: dict, version: int | None = None, changed=None
) -> AttributeDefinition:
    """Rename, new help, required or not, new type/options/range: refused when an existing
    value would not fit the new type, options or range. `version` / `changed`: the edit's
    version and fields; a stale edit is merged or refused field by field (peru.concurrency)."""
    _require(actor, MANAGE)
    cleaned = _clean_definition(data, instance=definition)
    with transaction.atomic():
        locked = AttributeDefinition.objects.select_for_update().filter(pk=definition.pk).first()
        if locked is None:
            raise StaleEdit(what="este atributo", gone=True)
        keys = check_instance(locked=locked, version=version, changed=changed, submitted=cleaned, what="este atributo")
        if keys is not None:  # stale, but no field of it changed on both sides
            cleaned = {field: value if field in keys else getattr(locked, field) for field, value in cleaned.items()}
        locked.version += 1
        old_kind = locked.kind
        changes_values = any(
            getattr(locked, field) != cleaned[field] for field in ("kind", "options", "min_value", "max_value")
        )
        if changes_values:
            proposed = AttributeDefinition(pk=locked.pk, **{**_fields_of(locked), **cleaned})
            _convert_values(actor=actor, old=locked, new=proposed)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        _save(locked, actor, "Modificado")
        if locked.kind != old_kind:
            _sync_index_later(locked.pk)
    return locked


def move_definition(*, actor, definition: AttributeDefinition, direction: str) -> None:
    """Subir / Bajar one place in the order the form and the summary show."""
    _require(actor, MANAGE)
    if direction not in ("up", "down"):
        raise ValidationError("Dirección no válida: use subir o bajar.")
    with transaction.atomic():
        ordered = list(AttributeDefinition.objects.select_for_update().order_by("position", "id"))
        index = next((i for i, d in enumerate(ordered) if d.pk == definition.pk), None)
        if index is None:
            raise ValidationError("Ese atributo ya no existe.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(ordered, actor)


def reorder_definitions(*, actor, ids: list) -> None:
    """The whole order at once (ids first to last); ids left out keep their relative order after."""
    _require(actor, MANAGE)
    try:
        wanted = [int(pk) for pk in ids]
    except (TypeError, ValueError):
        raise ValidationError("Orden no válido.") from None
    with transaction.atomic():
        ordered = list(AttributeDefinition.objects.select_for_update().order_by("position", "id"))
        rank = {pk: i for i, pk in enumerate(wanted)}
        ordered.sort(key=lambda d: (rank.get(d.pk, len(wanted)), d.position, d.pk))
        _renumber(ordered, actor)


def _renumber(ordered: list, actor) -> None:
    for position, definition in enumerate(ordered, start=1):
        if definition.position != position:
            definition.position = position
            _save(definition, actor, "Orden cambiado")


def archive_definition(*, actor, definition: AttributeDefinition) -> AttributeDefinition:
    """The field leaves forms, summary, filters and columns; every value stays stored."""
    _require(actor, MANAGE)
    with transaction.atomic():
        locked = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.archived_at is None:
            locked.archived_at = timezone.now()
            _save(locked, actor, "Archivado")
    return locked


def unarchive_definition(*, actor, definition: AttributeDefinition) -> AttributeDefinition:
    _require(actor, MANAGE)
    with transaction.atomic():
        locked = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
        if locked.archived_at is not None:
            locked.archived_at = None
            _save(locked, actor, "Restaurado")
    return locked


def delete_definition(*, actor, definition: AttributeDefinition) -> None:
    """Only while no customer (in the Papelera included) has a value; otherwise archive it."""
    _require(actor, MANAGE)
    with transaction.atomic():
        locked = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
        in_use = count_values(locked)
        if in_use:
            raise ValidationError(
                f"No se puede eliminar «{locked.name}»: {_plural(in_use, 'cliente tiene', 'clientes tienen')} "
                "un valor. Archívelo en su lugar: deja de mostrarse y los valores se conservan."
            )
        pk = locked.pk
        locked._history_user = actor if getattr(actor, "pk", None) else None
        locked._change_reason = "Eliminado"
        locked.delete()
        _sync_index_later(pk)


def count_values(definition: AttributeDefinition) -> int:
    """Rows (customers, the Papelera's included) that have a value of this attribute."""
    return sum(store.count(definition.key) for store in value_stores())


def _save(definition: AttributeDefinition, actor, reason: str) -> None:
    definition._history_user = actor if getattr(actor, "pk", None) else None
    definition._change_reason = reason
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:
        raise ValidationError({"name": ["Ya existe un atributo con ese nombre."]}) from None


def _sync_index_later(pk: int) -> None:
    transaction.on_commit(lambda: tasks.sync_attribute_index.enqueue(definition_id=pk))


def _fields_of(definition: AttributeDefinition) -> dict:
    return {
        f: getattr(definition, f)
        for f in ("name", "kind", "help_text", "required", "options", "min_value", "max_value")
    }


def _clean_definition(data: dict, *, instance: AttributeDefinition | None) -> dict:
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in Kind.values:
        errors["kind"] = ["Elija el tipo de atributo."]
    name = clean_spaces(str(data.get("name") or ""))
    if not name:
        errors["name"] = ["Ingrese el nombre del atributo."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Máximo {NAME_MAX} caracteres (tiene {len(name)})."]
    else:
        clash = AttributeDefinition.objects.filter(name__iexact=name)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["name"] = ["Ya existe un atributo con ese nombre (los archivados también cuentan)."]
    help_text = clean_spaces(str(data.get("help_text") or ""))
    if len(help_text) > HELP_MAX:
        errors["help_text"] = [f"Máximo {HELP_MAX} caracteres (tiene {len(help_text)})."]
    required = data.get("required")
    if isinstance(required, str):
        required = required.strip().lower() in ("1", "true", "on", "si", "sí")

    options: list[str] = []
    if kind in (Kind.CHOICE, Kind.MULTIPLE):
        options = _clean_options(data.get("options"), errors)
    min_value = max_value = None
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        min_value = _limit(data.get("min_value"), "min_value", errors)
        max_value = _limit(data.get("max_value"), "max_value", errors)
        if min_value is not None and max_value is not None and min_value > max_value:
            errors["max_value"] = ["El máximo debe ser mayor o igual al mínimo."]
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "name": name,
        "help_text": help_text,
        "required": bool(required),
        "options": options,
        "min_value": min_value,
        "max_value": max_value,
    }


def _clean_options(raw, errors: dict) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    options, seen, messages = [], set(), []
    for item in raw or []:
        option = clean_spaces(str(item))
        if not option:
            continue
        if len(option) > OPTION_MAX:
            messages.append(f"La opción «{option[:30]}…» tiene más de {OPTION_MAX} caracteres.")
        elif ";" in option:
            messages.append(f"La opción «{option}» no puede tener punto y coma (separa opciones al importar).")
        elif fold(option) in seen:
            messages.append(f"La opción «{option}» está repetida.")
        else:
            seen.add(fold(option))
            options.append(option)
    if not options and not messages:
        messages.append("Escriba las opciones de la lista, una por línea.")
    if len(options) > MAX_OPTIONS:
        messages.append(f"Máximo {MAX_OPTIONS} opciones.")
    if messages:
        errors["options"] = messages
    return options


def _limit(raw, field: str, errors: dict):
    if raw is None or str(raw).strip() == "":
        return None
    try:
        number = values.parse_number(raw)
    except ValidationError as exc:
        errors[field] = exc.messages
        return None
    if not number.is_finite() or abs(number) >= values.INTEGER_LIMIT:
        errors[field] = ["Número fuera de rango."]
        return None
    return number


def _convert_values(*, actor, old: AttributeDefinition, new: AttributeDefinition) -> None:
    """Every stored value re-read under the new type, options and range. Any that does not fit
    refuses the change (nothing is written); those that fit are rewritten in the new form
    (e.g. texto "12" → número 12) in this transaction."""
    key = old.key
    changed_by_store, failed, example = [], 0, None
    for store in value_stores():
        changed = []
        for pk, current in store.values(key):
            raw = values.format_value(old, current)  # as the export writes it, read as an import would
            try:
                converted = values.parse_value(new, raw)
            except ValidationError:
                failed += 1
                example = example or values.format_value(old, current)
                continue
            if converted is None:
                failed += 1
                continue
            if converted != current:
                changed.append((pk, converted))
        changed_by_store.append((store, changed))
    if failed:
        raise ValidationError(
            {
                "kind" if new.kind != old.kind else ("options" if new.has_options else "min_value"): [
                    f"No se puede cambiar: {_plural(failed, 'cliente tiene', 'clientes tienen')} un valor que no "
                    f"cabe en el nuevo tipo u opciones (por ejemplo «{(example or '')[:60]}»). Corrija esos valores "
                    "o cree un atributo nuevo."
                ]
            }
        )
    for store, changed in changed_by_store:
        if changed:
            # One history record and one note per row whose value changed form.
            store.rewrite(
                key=key,
                changed=changed,
                actor=actor,
                reason=f"Atributo «{new.name}» convertido",
                note_text=f"{new.name}: valor convertido al tipo {new.get_kind_display().lower()}.",
            )


# --- values on the rows that hold them (customers) -----------------------------------------------------------------


def active_definitions() -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.filter(archived_at__isnull=True).order_by("position", "id"))


def attribute_columns() -> list[AttributeDefinition]:
    """The active attributes in order: the future import/export names one column after each
    (definition.name) and reads/writes it with values.parse_value / values.format_value."""
    return active_definitions()


def clean_attribute_values(*, data: dict, current: dict, definitions: list | None = None) -> tuple[dict, dict, tuple]:
    """The attribute values to store from ``data["attributes"]`` over the ``current`` ones (the
    values the row holds now, {} for a new one) — a dict of
    {definition id or name: raw value} — the errors, keyed "attr_<id>" (or "attributes" for
    keys that are no attribute), and the version of the definitions they were checked against
    (for lock_attribute_rules). Without data["attributes"] the stored values stay.
    Values of archived attributes are always kept as they are and may not be sent.
    ``definitions``: every definition (archived too), read once by a caller that cleans many
    rows (the import); read here otherwise."""
    definitions = list(AttributeDefinition.objects.all()) if definitions is None else definitions
    version = _rules_version((d.pk, d.updated_at) for d in definitions)
    by_key = {d.key: d for d in definitions}
    by_name = {fold(d.name): d for d in definitions}
    current = current if isinstance(current, dict) else {}
    errors: dict[str, list[str]] = {}
    result = {k: v for k, v in current.items() if k in by_key and by_key[k].archived}
    posted = data.get("attributes")
    if posted is None:
        result.update({k: v for k, v in current.items() if k in by_key and not by_key[k].archived})
        posted = {}
    elif not isinstance(posted, dict):
        errors["attributes"] = ["Los atributos adicionales deben enviarse como nombre: valor."]
        posted = {}
    for raw_key, raw in posted.items():
        definition = by_key.get(str(raw_key).strip()) or by_name.get(fold(clean_spaces(str(raw_key))))
        if definition is None:
            errors.setdefault("attributes", []).append(f"El atributo «{str(raw_key)[:60]}» no existe.")
            continue
        if definition.archived:
            if not values.is_empty(raw):
                errors.setdefault("attributes", []).append(
                    f"El atributo «{definition.name}» está archivado: su valor no se puede cambiar."
                )
            continue
        try:
            value = values.parse_value(definition, raw)
        except ValidationError as exc:
            errors[definition.field_name] = exc.messages
            continue
        if value is None:
            result.pop(definition.key, None)
        else:
            result[definition.key] = value
    for definition in definitions:
        if definition.required and not definition.archived and definition.key not in result:
            errors.setdefault(definition.field_name, [f"Ingrese «{definition.name}» (obligatorio)."])
    return result, errors, version


def lock_attribute_rules(*, version: tuple) -> None:
    """Inside the transaction that writes a customer: hold the definitions until it ends and
    refuse the save if they changed since its values were checked (clean_attribute_values runs
    before the transaction). FOR SHARE: customer saves don't wait for each other, but a change
    of definition (FOR UPDATE) waits for them, and they for it — so a retype can't convert the
    stored values while a value in the old form is being written."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, updated_at FROM {AttributeDefinition._meta.db_table} FOR SHARE"  # noqa: S608 (model's table)
        )
        current = _rules_version(cursor.fetchall())
    if current != version:
        raise ValidationError(
            "Los atributos adicionales cambiaron mientras se guardaba el cliente (otro usuario los editó). "
            "Revise los datos y vuelva a guardar."
        )


def _rules_version(rows) -> tuple:
    return tuple(sorted(rows))


def missing_required(holder, definitions: list | None = None) -> list[AttributeDefinition]:
    """Required attributes the holder (a row with an ``attributes`` dict: a customer) has no
    value for (created before they were required): its summary shows them, and its next edit
    must fill them."""
    definitions = active_definitions() if definitions is None else definitions
    stored = holder.attributes or {}
    return [d for d in definitions if d.required and not d.archived and d.key not in stored]


def search_parts(values_by_key: dict, definitions: list | None = None) -> list[str]:
    """Folded searchable values for Customer.search_text (customers.services.set_list_copies);
    ``definitions`` as in clean_attribute_values."""
    if not values_by_key:
        return []
    if definitions is None:
        definitions = AttributeDefinition.objects.filter(pk__in=[int(k) for k in values_by_key if k.isdigit()])
    else:
        definitions = [d for d in definitions if d.key in values_by_key]
    return values.search_parts(definitions, values_by_key)
