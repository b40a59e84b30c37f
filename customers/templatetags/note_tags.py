from django import template

from customers.models import CustomerMerge, CustomerNote
from customers.notes import can_change_note

register = template.Library()


@register.filter
def changeable_by(note, user) -> bool:
    """Whether `user` may edit or delete `note` (its author or an Administrador; never a system note)."""
    return can_change_note(user, note)


@register.filter
def undoable_merge(note):
    """The merge a "Fusionado" note of the survivor stands for, while it is not undone (its
    Deshacer button); None for any other note. One query, only for merge notes."""
    if note.kind != CustomerNote.Kind.MERGED:
        return None
    return CustomerMerge.objects.filter(note_id=note.pk, undone_at__isnull=True).first()
