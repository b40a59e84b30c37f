"""The Notas timeline of a customer: notes the system writes for each action, and notes people write.

System notes are written by the services in the transaction of the action they describe
(`record_note`), so an action and its note are saved together or not at all. The credit app
and the import call `record_note` the same way. People's notes can be edited or deleted only
by their author or an Administrador; CustomerNote's own history records each edit and
deletion, and system notes can't be edited or deleted at all.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers.access import require_permission, writable_customer
from customers.history import stamp
from customers.models import Customer, CustomerNote
from customers.roles import is_administrador
from peru.text import CONTROL_MESSAGE, has_control_characters

MAX_NOTE_LENGTH = 2000
# A cursor (?antes=) outside these dates is not one this page wrote: the first page is shown.
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
PAGE_SIZE = 30


def record_note(*, customer: Customer, actor, kind: str, text: str) -> CustomerNote:
    """A system note on the customer's timeline (actor None: the system itself). Call it
    inside the transaction of the action it describes."""
    if kind not in CustomerNote.Kind.values or kind == CustomerNote.Kind.MANUAL:
        raise ValueError(f"Tipo de nota del sistema desconocido: {kind!r}")
    note = CustomerNote(customer=customer, kind=kind, text=text.strip(), author=_user(actor))
    stamp(note, actor=actor, reason=CustomerNote.Kind(kind).label)
    note.save()
    return note


def add_note(*, actor, customer: Customer, text: str) -> CustomerNote:
    """A note written by a person."""
    require_permission(actor, "customers.add_customernote")
    text = _clean_text(text)
    with transaction.atomic():
        locked = writable_customer(customer, to="agregar notas")
        note = CustomerNote(customer=locked, kind=CustomerNote.Kind.MANUAL, text=text, author=_user(actor))
        stamp(note, actor=actor, reason="Nota agregada")
        note.save()
    return note


def update_note(*, actor, note: CustomerNote, text: str) -> CustomerNote:
    text = _clean_text(text)
    _require_owner(actor, note)  # author and kind never change: the caller's copy tells
    with transaction.atomic():
        note = _locked(note)
        if note.text != text:
            note.text, note.edited_at = text, timezone.now()
            stamp(note, actor=actor, reason="Nota editada")
            note.save(update_fields=["text", "edited_at"])
    return note


def delete_note(*, actor, note: CustomerNote) -> None:
    _require_owner(actor, note)
    with transaction.atomic():
        note = _locked(note)
        stamp(note, actor=actor, reason="Nota eliminada")
        note.delete()


def can_change_note(user, note: CustomerNote) -> bool:
    """Only people's notes, and only by their author or an Administrador."""
    if not note.is_manual or user is None or not user.is_authenticated:
        return False
    return is_administrador(user) or (note.author_id is not None and note.author_id == user.pk)


def _require_owner(actor, note: CustomerNote) -> None:
    if not note.is_manual:
        raise ValidationError("Las notas del sistema no se pueden modificar ni eliminar.")
    if actor is not None and not can_change_note(actor, note):
        raise PermissionDenied


def _locked(note: CustomerNote) -> CustomerNote:
    """The note as stored now, locked, after its customer's row (the order every write of a
    customer takes its locks in); refused while the customer is in the Papelera."""
    writable_customer(Customer(pk=note.customer_id), to="cambiar sus notas")
    try:
        return CustomerNote.objects.select_for_update().get(pk=note.pk)
    except CustomerNote.DoesNotExist:
        raise ValidationError("Esa nota ya no existe.") from None


def _clean_text(text) -> str:
    text = str(text or "").strip()
    if has_control_characters(text):
        raise ValidationError({"text": [f"La nota {CONTROL_MESSAGE[0].lower()}{CONTROL_MESSAGE[1:]}"]})
    if not text:
        raise ValidationError({"text": ["Escriba el texto de la nota."]})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"text": [f"Máximo {MAX_NOTE_LENGTH} caracteres (tiene {len(text)})."]})
    return text


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- reading the timeline -----------------------------------------------------------------


@dataclass
class TimelinePage:
    notes: list
    next_cursor: str  # "" when this is the last page


def timeline_page(*, customer: Customer, cursor: str = "", per_page: int = PAGE_SIZE) -> TimelinePage:
    """One page of the timeline, newest first. Keyset pagination (created_at, id): each page
    costs the same through the timeline index, however many thousands of notes come before."""
    notes = CustomerNote.objects.filter(customer=customer).select_related("author").order_by("-created_at", "-id")
    position = _parse_cursor(cursor)
    if position is not None:
        created_at, pk = position
        notes = notes.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
    rows = list(notes[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = f"{rows[-1].created_at.isoformat()}~{rows[-1].pk}" if more else ""
    return TimelinePage(rows, next_cursor)


def _parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    created, _, pk = (cursor or "").partition("~")
    try:
        when = parse_datetime(created)
        usable = when is not None and timezone.is_aware(when) and EARLIEST <= when <= LATEST
        return (when, int(pk)) if usable else None
    except ValueError:
        return None
