from django import template

from customers.notes import can_change_note

register = template.Library()


@register.filter
def changeable_by(note, user) -> bool:
    """Whether `user` may edit or delete `note` (its author or an Administrador; never a system note)."""
    return can_change_note(user, note)
