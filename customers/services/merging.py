"""Fusionar: two records of one customer become one, and the merge can be undone.

The person picks the customer that stays (the survivor) and, field by field, whose value it
keeps (merge_choices proposes: the non-empty one, else the most recently changed). In one
transaction, with both rows locked in id order (two merges of the same pair take turns, the
second sees the first one's result):

1. the other customer (merged) goes to the Papelera, with a note "Fusionado en …";
2. its addresses, contacts and notes move to the survivor, and every registered mover
   (customers.merge_movers: the credit app's comprobantes and their pagos, puntos,
   solicitudes, proyectos) moves its rows;
3. the survivor is saved through the customer services' own save (validation, duplicates,
   history record, note listing each change), with the chosen values, the phones and e-mails
   of both and the attribute values of both;
4. a CustomerMerge row keeps what undo_merge needs to put everything back exactly.

undo_merge is refused (Spanish message, nothing changed) once something new refers to what
moved: the survivor or the merged customer changed since, a moved row was edited or deleted,
a moved comprobante got a payment… The integration API answers a merged customer's id with
301 to the survivor (merged_into).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers import events
from customers.access import locked_customer, require_permission
from customers.history import (
    customer_state,
    describe_changes,
    display_value,
    move_history,
    record_bulk_history,
    set_contact_points,
    stamp,
    tracked_fields,
)
from customers.merge_movers import Mover, movers
from customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerMerge,
    CustomerNote,
    CustomerPhone,
    DuplicateDismissal,
    ImportJob,
)
from customers.notes import record_note
from customers.services.cleaning import MAX_LIST_ITEMS
from customers.services.records import _save_customer

PERMISSION = "customers.merge_customer"
SURVIVOR, MERGED = "survivor", "merged"

# The data of the customer form that is not chosen: the row's own bookkeeping.
_NOT_DATA = {"id", "name", "created_at", "created_by", "is_active", "deleted_at", "deleted_by", "version"}
# Fields chosen together: a name without its type, or a document without its type, means nothing.
_GROUPS = [
    ("nombre", "Tipo y nombre", ("kind", "business_name", "first_names", "last_names")),
    (
        "documento",
        "Documento",
        (
            "document_type",
            "document_number",
            "is_foreign",
            "country",
            "registry_status",
            "registry_condition",
            "registry_checked_at",
        ),
    ),
]
_SIGNIFICANT = {"nombre": ("business_name", "first_names", "last_names"), "documento": ("document_number",)}
# Lists both customers hold: the survivor's first, then the other's not already there.
_UNION = ("phones", "emails", "attributes", "notification_emails", "notification_whatsapp")


def _groups() -> list[tuple[str, str, tuple]]:
    """Every choice of the merge page: the groups above, then each other field of the form."""
    grouped = {name for _, _, names in _GROUPS for name in names}
    groups = list(_GROUPS)
    for f in tracked_fields(Customer):
        if f.name in _NOT_DATA or f.name in grouped or f.name in _UNION:
            continue
        label = str(f.verbose_name)
        groups.append((f.name, label[:1].upper() + label[1:], (f.name,)))
    return groups


def customer_data(customer: Customer) -> dict:
    """What the customer form would send for this customer as it is stored (JSON-safe: a merge
    record keeps it for the undo)."""
    data = {}
    for f in tracked_fields(Customer):
        if f.name in _NOT_DATA:
            continue
        value = getattr(customer, f.attname)
        data[f.name] = value.isoformat() if hasattr(value, "isoformat") else value
    data["phones"] = [
        {"number": n, "whatsapp": w, "whatsapp_landline": w}
        for n, w in customer.phones.order_by("position", "id").values_list("number", "whatsapp")
    ]
    data["emails"] = list(customer.emails.order_by("position", "id").values_list("email", flat=True))
    data["attributes"] = dict(customer.attributes or {})
    return data


def _from_json(data: dict) -> dict:
    data = dict(data)
    if data.get("registry_checked_at"):
        data["registry_checked_at"] = parse_datetime(data["registry_checked_at"])
    return data


def _empty(value) -> bool:
    return value in (None, "", [], {}, False)


@dataclass
class Choice:
    key: str
    label: str
    survivor: str  # as the page shows it
    merged: str
    default: str  # SURVIVOR or MERGED
    same: bool


def merge_choices(survivor: Customer, merged: Customer) -> list[Choice]:
    """The merge page's rows: each field (or group) of both customers and the proposed side —
    the non-empty value, and when both have one, the most recently changed customer's."""
    fields = {f.name: f for f in tracked_fields(Customer)}
    choices = []
    for key, label, names in _groups():
        mine = [getattr(survivor, fields[n].attname) for n in names]
        theirs = [getattr(merged, fields[n].attname) for n in names]
        # A group is empty when what it is about is: a document type without a number is none.
        significant = _SIGNIFICANT.get(key, names)
        mine_empty = all(_empty(getattr(survivor, fields[n].attname)) for n in significant)
        theirs_empty = all(_empty(getattr(merged, fields[n].attname)) for n in significant)
        default = SURVIVOR
        if mine != theirs and not theirs_empty and (mine_empty or merged.updated_at > survivor.updated_at):
            default = MERGED
        choices.append(
            Choice(
                key=key,
                label=label,
                survivor=_show(fields, names, mine),
                merged=_show(fields, names, theirs),
                default=default,
                same=mine == theirs,
            )
        )
    return choices


def _show(fields: dict, names: tuple, values: list) -> str:
    shown = [display_value(fields[n], v) for n, v in zip(names, values, strict=True)]
    if names[0] == "kind":  # "Empresa · Comercial Núñez S.A.C."
        return " · ".join(v for v in shown if v != "—")
    if names[0] == "document_type":
        return f"{shown[0]} {shown[1]}" if values[1] else "—"
    return shown[0]


def merged_data(survivor: Customer, merged: Customer, choices: dict) -> dict:
    """The survivor's form data after the merge: each chosen value, the lists of both."""
    mine, theirs = customer_data(survivor), customer_data(merged)
    data = dict(mine)
    proposed = {choice.key: choice.default for choice in merge_choices(survivor, merged)}
    for key, _, names in _groups():
        side = choices.get(key) or proposed[key]
        if side not in (SURVIVOR, MERGED):
            raise ValidationError(f"Elija de qué cliente se toma «{key}».")
        if side == MERGED:
            for name in names:
                data[name] = theirs[name]
    numbers = {p["number"] for p in mine["phones"]}
    data["phones"] = (mine["phones"] + [p for p in theirs["phones"] if p["number"] not in numbers])[:MAX_LIST_ITEMS]
    emails = {e.lower() for e in mine["emails"]}
    data["emails"] = (mine["emails"] + [e for e in theirs["emails"] if e.lower() not in emails])[:MAX_LIST_ITEMS]
    for name in ("notification_emails", "notification_whatsapp"):
        data[name] = (mine[name] + [v for v in theirs[name] if v not in mine[name]])[:MAX_LIST_ITEMS]
    data["attributes"] = {**{k: v for k, v in theirs["attributes"].items() if not _empty(v)}}
    data["attributes"].update({k: v for k, v in mine["attributes"].items() if not _empty(v)})
    return _from_json(data)


# --- what moves: the customers app's own rows; the apps above register theirs -------------------


def _move_rows(model, label: str):
    """A mover for rows with a `customer` and a `version` (addresses, contacts): they move with
    their past history records; undo needs them untouched since."""

    def count(customer_id):
        return {label: model.objects.filter(customer_id=customer_id).count()}

    def move(survivor, merged, actor):
        rows = list(model.objects.filter(customer_id=merged.pk).values_list("id", "version"))
        ids = [pk for pk, _ in rows]
        record = {"rows": rows}
        if model is Address:
            defaults = list(Address.objects.filter(customer_id=merged.pk, is_default=True).values_list("id", flat=True))
            record["default"] = defaults
            if Address.objects.filter(customer_id=survivor.pk, is_default=True).exists():
                Address.objects.filter(pk__in=defaults).update(is_default=False)
            record["department"] = survivor.department_id
        model.objects.filter(pk__in=ids).update(customer_id=survivor.pk)
        move_history(model, ids, to_customer_id=survivor.pk)
        record_bulk_history(model, ids, history_type="~", actor=actor, reason=f"Fusionado desde «{merged.name}»")
        if model is Address:
            default = (
                Address.objects.filter(customer_id=survivor.pk, is_default=True).select_related("district").first()
            )
            if default is not None and default.district_id:
                Customer.objects.filter(pk=survivor.pk).update(department_id=default.district_id[:2])
        return record

    def undo(survivor, merged, record, actor):
        rows = {pk: version for pk, version in record.get("rows", [])}
        now = dict(model.objects.filter(pk__in=list(rows), customer_id=survivor.pk).values_list("id", "version"))
        if now != rows:
            what = "una dirección" if model is Address else "un contacto"
            raise ValidationError(
                f"No se puede deshacer: {what} que vino de «{merged.name}» se modificó o eliminó después de la fusión."
            )
        ids = list(rows)
        model.objects.filter(pk__in=ids).update(customer_id=merged.pk)
        if model is Address:
            Address.objects.filter(pk__in=record.get("default", [])).update(is_default=True)
            Customer.objects.filter(pk=survivor.pk).update(department_id=record.get("department"))
        move_history(model, ids, to_customer_id=merged.pk)
        record_bulk_history(model, ids, history_type="~", actor=actor, reason=f"Fusión con «{survivor.name}» deshecha")

    return Mover(key=label, count=count, move=move, undo=undo)


def _notes_mover() -> Mover:
    def count(customer_id):
        return {"notas": CustomerNote.objects.filter(customer_id=customer_id).count()}

    def move(survivor, merged, actor):
        ids = list(CustomerNote.objects.filter(customer_id=merged.pk).values_list("id", flat=True))
        CustomerNote.objects.filter(pk__in=ids).update(customer_id=survivor.pk)
        return {"ids": ids}

    def undo(survivor, merged, record, actor):
        ids = record.get("ids", [])
        if CustomerNote.objects.filter(pk__in=ids, customer_id=survivor.pk).count() != len(ids):
            raise ValidationError(
                f"No se puede deshacer: una nota que vino de «{merged.name}» se eliminó después de la fusión."
            )
        CustomerNote.objects.filter(pk__in=ids).update(customer_id=merged.pk)

    return Mover(key="notas", count=count, move=move, undo=undo)


def all_movers() -> list[Mover]:
    return [_move_rows(Address, "direcciones"), _move_rows(Contact, "contactos"), _notes_mover(), *movers()]


def related_counts(customer: Customer) -> dict[str, int]:
    """What hangs from the customer, by what each mover calls it (the merge page, the tests)."""
    counts = {}
    for mover in all_movers():
        counts.update(mover.count(customer.pk))
    return counts


# --- the merge and its undo ---------------------------------------------------------------


def _lock_pair(first_pk: int, second_pk: int) -> dict[int, Customer]:
    """Both rows locked in id order: two merges of the same two customers, in either direction,
    take turns instead of deadlocking."""
    return {pk: locked_customer(Customer(pk=pk)) for pk in sorted((first_pk, second_pk))}


def _refuse_running_import() -> None:
    """An import job that is queued or importing writes the customers it matched at its
    preview (by document or e-mail) and does not say which: while one runs, no merge or undo,
    so neither half of a pair changes under the other."""
    job = ImportJob.objects.filter(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.IMPORTING]).first()
    if job is not None:
        raise ValidationError(
            f"Hay una importación pendiente («{job.file_name}», {job.get_status_display().lower()}): "
            "espere a que termine para fusionar o deshacer una fusión."
        )


def merge_customers(
    *, actor, survivor: Customer, merged: Customer, choices: dict | None = None, versions: tuple | None = None
) -> CustomerMerge:
    """Fusionar `merged` into `survivor`. `choices`: {choice key: "survivor" | "merged"} (missing
    keys take merge_choices' proposal); `versions`: (survivor, merged) versions the person saw —
    a change since then is refused so nobody merges data they did not see."""
    require_permission(actor, PERMISSION)
    if survivor.pk == merged.pk:
        raise ValidationError("No se puede fusionar un cliente consigo mismo: elija dos clientes distintos.")
    try:
        with transaction.atomic():
            locked = _lock_pair(survivor.pk, merged.pk)
            keeper, other = locked[survivor.pk], locked[merged.pk]
            for customer in (keeper, other):
                if customer.deleted_at is not None:
                    raise ValidationError(
                        f"«{customer.name}» está en la Papelera: restáurelo primero si quiere fusionarlo."
                    )
            if versions is not None and (keeper.version, other.version) != tuple(int(v) for v in versions):
                raise ValidationError(
                    "Uno de los dos clientes cambió mientras elegía los datos: revise la comparación otra vez."
                )
            _refuse_running_import()
            every = all_movers()
            reasons = [reason for mover in every for reason in mover.refuse(keeper, other)]
            if reasons:
                raise ValidationError(f"No se puede fusionar: {'; '.join(reasons)}.")
            data = merged_data(keeper, other, choices or {})
            record = {"survivor_row": _row(keeper), "moved": {}}

            # The other one to the Papelera first: its document and e-mails are then free for
            # the survivor (the database allows one customer per document outside the trash).
            other.deleted_at = timezone.now()
            other.deleted_by = actor if getattr(actor, "pk", None) else None
            other.version += 1
            stamp(other, actor=actor, reason=f"Fusionado en «{keeper.name}»")
            other.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
            CustomerEmail.objects.filter(customer=other).update(in_trash=True)

            for mover in every:
                record["moved"][mover.key] = mover.move(keeper, other, actor)

            _save_customer(
                actor=actor,
                customer=keeper,
                data=data,
                creating=False,
                reason=f"Fusionado con «{other.name}» (cliente N.º {other.pk})",
                note_kind=CustomerNote.Kind.MERGED,
                merging=other.pk,
            )
            record_note(
                customer=other,
                actor=actor,
                kind=CustomerNote.Kind.MERGED,
                text=f"Fusionado en «{keeper.name}» (cliente N.º {keeper.pk}): sus direcciones, contactos, notas, "
                "comprobantes y puntos pasaron a ese cliente.",
            )
            events.customer_event(events.TRASHED, other, {"merged_into": keeper.pk})
            record["survivor_version"] = keeper.version
            record["merged_version"] = other.version
            note = CustomerNote.objects.filter(customer=keeper, kind=CustomerNote.Kind.MERGED).order_by("-id").first()
            merge = CustomerMerge.objects.create(
                survivor=keeper,
                merged=other,
                record=record,
                note=note,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise ValidationError(
            "No se pudo fusionar: otro usuario guardó datos en conflicto al mismo tiempo. Vuelva a intentarlo."
        ) from None
    return merge


def undo_merge(*, actor, merge: CustomerMerge) -> CustomerMerge:
    """Everything back where it was before `merge`, or a Spanish refusal and nothing changed."""
    require_permission(actor, PERMISSION)
    with transaction.atomic():
        locked = _lock_pair(merge.survivor_id, merge.merged_id)
        merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
        keeper, other = locked[merge.survivor_id], locked[merge.merged_id]
        record = merge.record
        if merge.undone_at is not None:
            raise ValidationError("Esta fusión ya se deshizo.")
        if other.deleted_at is None or other.version != record["merged_version"]:
            raise ValidationError(
                f"No se puede deshacer: «{other.name}» cambió después de la fusión (fue restaurado o modificado)."
            )
        if keeper.deleted_at is not None:
            raise ValidationError(f"No se puede deshacer: «{keeper.name}» está en la Papelera; restáurelo primero.")
        if keeper.version != record["survivor_version"]:
            raise ValidationError(
                f"No se puede deshacer: «{keeper.name}» se modificó después de la fusión (sus datos ya no son los "
                "que dejó la fusión)."
            )
        _refuse_running_import()
        for mover in reversed(all_movers()):
            if mover.key in record["moved"]:
                mover.undo(keeper, other, record["moved"][mover.key], actor)
        _restore_row(keeper, record["survivor_row"], actor=actor, reason=f"Fusión con «{other.name}» deshecha")
        other.deleted_at, other.deleted_by = None, None
        other.version += 1
        stamp(other, actor=actor, reason=f"Fusión con «{keeper.name}» deshecha")
        other.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
        CustomerEmail.objects.filter(customer=other).update(in_trash=False)
        record_note(
            customer=other,
            actor=actor,
            kind=CustomerNote.Kind.MERGE_UNDONE,
            text=f"Fusión con «{keeper.name}» deshecha: vuelve a ser un cliente aparte, con lo que tenía.",
        )
        events.customer_event(events.RESTORED, other)
        merge.undone_at = timezone.now()
        merge.undone_by = actor if getattr(actor, "pk", None) else None
        merge.save(update_fields=["undone_at", "undone_by"])
    return merge


# The survivor's row as it was, written back as it was by the undo (not through the form's
# validation: a rule added since, or a required field, must not stop putting back what was).
_ROW_KEPT = ("name", "sort_key", "search_text", "has_whatsapp", "department_id", "email", "phone")
_ROW_SKIPPED = {"id", "created_at", "created_by", "version", "is_active", "deleted_at", "deleted_by"}


def _row(customer: Customer) -> dict:
    fields = {f.attname: getattr(customer, f.attname) for f in tracked_fields(Customer) if f.name not in _ROW_SKIPPED}
    fields.update({attname: getattr(customer, attname) for attname in _ROW_KEPT})
    if fields.get("registry_checked_at"):
        fields["registry_checked_at"] = fields["registry_checked_at"].isoformat()
    return {
        "fields": fields,
        "phones": list(customer.phones.order_by("position", "id").values_list("number", "whatsapp")),
        "emails": list(customer.emails.order_by("position", "id").values_list("email", flat=True)),
    }


def _restore_row(customer: Customer, row: dict, *, actor, reason: str) -> None:
    before = customer_state(customer)
    fields = dict(row["fields"])
    if fields.get("registry_checked_at"):
        fields["registry_checked_at"] = parse_datetime(fields["registry_checked_at"])
    for attname, value in fields.items():
        setattr(customer, attname, value)
    phones = [(number, bool(whatsapp)) for number, whatsapp in row["phones"]]
    customer.version += 1
    set_contact_points(customer, phones=phones, emails=row["emails"])
    stamp(customer, actor=actor, reason=reason)
    customer.save(update_fields=[*fields, "version", "updated_at"])
    customer.phones.all().delete()
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=customer, number=n, whatsapp=w, position=i) for i, (n, w) in enumerate(phones)
    )
    customer.emails.all().delete()
    CustomerEmail.objects.bulk_create(
        CustomerEmail(customer=customer, email=e, position=i) for i, e in enumerate(row["emails"])
    )
    lines = describe_changes(Customer, before, customer_state(customer))
    record_note(
        customer=customer, actor=actor, kind=CustomerNote.Kind.MERGE_UNDONE, text="\n".join([f"{reason}.", *lines])
    )
    events.customer_event(events.UPDATED, customer, {"changes": lines})


def merged_into(customer_id: int) -> int | None:
    """The survivor's id of a merged customer (the last merge not undone), None otherwise."""
    return (
        CustomerMerge.objects.filter(merged_id=customer_id, undone_at__isnull=True, merged__deleted_at__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("survivor_id", flat=True)
        .first()
    )


def dismiss_duplicates(*, actor, ids) -> DuplicateDismissal:
    """«No son duplicados»: this group of customers (by its sorted ids) is not shown again by
    the finder (customers.duplicates), under any rule."""
    require_permission(actor, PERMISSION)
    try:
        ids = sorted({int(pk) for pk in ids})
    except (TypeError, ValueError):
        ids = []
    if len(ids) < 2:
        raise ValidationError("Elija un grupo de al menos dos clientes.")
    if Customer.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError("Algunos de esos clientes ya no existen.")
    key = "-".join(str(pk) for pk in ids)
    dismissal, _ = DuplicateDismissal.objects.get_or_create(
        signature=key, defaults={"created_by": actor if getattr(actor, "pk", None) else None}
    )
    return dismissal
