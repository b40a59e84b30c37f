"""Suspender / Reactivar, the Papelera (Eliminar, Restaurar, Eliminar definitivamente), and the
list's bulk actions.

Every service checks the acting user's permission (actor=None is the system itself:
commands, data fixes), because the API and imports call them with no view in front.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import events
from customers.access import locked_customer, require_permission, writable_customer
from customers.guards import reasons_not_to_purge, reasons_not_to_trash
from customers.history import stamp
from customers.models import Customer, CustomerEmail, CustomerNote, DocumentType
from customers.notes import record_note


def suspend_customer(*, actor, customer: Customer) -> Customer:
    """Suspender: the customer stays on file and in the list's "Suspendidos", but the point
    of sale and invoicing can no longer pick it (Activo / Suspendido, the second source
    document's words)."""
    return _set_active(actor=actor, customer=customer, active=False)


def reactivate_customer(*, actor, customer: Customer) -> Customer:
    return _set_active(actor=actor, customer=customer, active=True)


def _set_active(*, actor, customer: Customer, active: bool) -> Customer:
    require_permission(actor, "customers.change_customer")
    with transaction.atomic():
        locked = writable_customer(customer, to="suspenderlo o reactivarlo")
        if locked.is_active != active:
            locked.is_active = active
            locked.version += 1
            stamp(locked, actor=actor, reason="Reactivado" if active else "Suspendido")
            locked.save(update_fields=["is_active", "version", "updated_at"])
            events.customer_event(events.ACTIVATED if active else events.DEACTIVATED, locked)
            if active:
                record_note(
                    customer=locked, actor=actor, kind=CustomerNote.Kind.REACTIVATED, text="Cliente reactivado."
                )
            else:
                record_note(
                    customer=locked,
                    actor=actor,
                    kind=CustomerNote.Kind.SUSPENDED,
                    text="Cliente suspendido: no aparece en el punto de venta ni en la facturación.",
                )
    customer.is_active, customer.updated_at, customer.version = locked.is_active, locked.updated_at, locked.version
    return locked


def check_trash(customer: Customer) -> None:
    """Why Eliminar is refused, as a ValidationError: code "state" when the customer is
    already in the Papelera, "guarded" when an app above says it may not go (its
    confirmation page shows that and offers Suspender). trash_customer asks it again under
    the row lock."""
    if customer.deleted_at is not None:
        raise ValidationError("Este cliente ya está en la Papelera.", code="state")
    reasons = reasons_not_to_trash(customer)
    if reasons:
        raise ValidationError(
            f"No se puede eliminar «{customer.name}»: {'; '.join(reasons)}. Suspéndalo en su lugar.", code="guarded"
        )


def trash_customer(*, actor, customer: Customer) -> Customer:
    """Eliminar: the customer moves to the Papelera with every row it has (addresses,
    contacts, phones, e-mails). Its document and e-mails stay reserved while it is there: a new
    customer with them is refused with the way back (Restaurar), so no duplicate is made;
    Eliminar definitivamente frees them. Refused while an app above says it may not go
    (customers.guards: unpaid credit documents, for example)."""
    require_permission(actor, "customers.delete_customer")
    with transaction.atomic():
        locked = locked_customer(customer)
        check_trash(locked)
        locked.deleted_at = timezone.now()
        locked.deleted_by = actor if getattr(actor, "pk", None) else None
        locked.version += 1
        stamp(locked, actor=actor, reason="Enviado a la Papelera")
        locked.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
        # in_trash is a copy of deleted_at for the unique index, not history of its own.
        CustomerEmail.objects.filter(customer=locked).update(in_trash=True)
        record_note(customer=locked, actor=actor, kind=CustomerNote.Kind.TRASHED, text="Cliente enviado a la Papelera.")
        events.customer_event(events.TRASHED, locked)
    customer.deleted_at, customer.deleted_by = locked.deleted_at, locked.deleted_by
    return locked


def restore_customer(*, actor, customer: Customer) -> Customer:
    """Restaurar from the Papelera, exactly as it was: soft delete kept every row. Refused
    when a customer outside the trash now holds the same document or one of its e-mails."""
    require_permission(actor, "customers.restore_customer")
    try:
        with transaction.atomic():
            locked = locked_customer(customer)
            if locked.deleted_at is None:
                raise ValidationError("Este cliente no está en la Papelera.")
            _check_restore_conflicts(locked)
            locked.deleted_at, locked.deleted_by = None, None
            locked.version += 1
            stamp(locked, actor=actor, reason="Restaurado de la Papelera")
            locked.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
            CustomerEmail.objects.filter(customer=locked).update(in_trash=False)
            record_note(
                customer=locked, actor=actor, kind=CustomerNote.Kind.RESTORED, text="Cliente restaurado de la Papelera."
            )
            events.customer_event(events.RESTORED, locked)
    except IntegrityError:
        # Someone took the document or an e-mail between the check and the write.
        _check_restore_conflicts(locked_customer(customer))
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


def check_purge(customer: Customer) -> None:
    """Why Eliminar definitivamente is refused (codes as check_trash): only from the Papelera,
    and never while an app above says a document refers to the customer."""
    if customer.deleted_at is None:
        raise ValidationError(
            "Solo se elimina definitivamente desde la Papelera: elimine el cliente primero.", code="state"
        )
    reasons = reasons_not_to_purge(customer)
    if reasons:
        raise ValidationError(
            f"No se puede eliminar definitivamente «{customer.name}»: {'; '.join(reasons)}.", code="guarded"
        )


def purge_customer(*, actor, customer: Customer) -> None:
    """Eliminar definitivamente: only from the Papelera, and never while a document refers
    to the customer (customers.guards). Every row of the customer goes with it."""
    require_permission(actor, "customers.purge_customer")
    with transaction.atomic():
        locked = locked_customer(customer)
        check_purge(locked)
        # The notes go with the customer; the historical records stay (history_type "-").
        events.customer_event(events.PURGED, locked)
        stamp(locked, actor=actor, reason="Eliminado definitivamente")
        locked.delete()


# --- bulk actions of the list -------------------------------------------------------------

BULK_ACTIONS = {
    # code: (service, permission, what the message says of one customer, of several)
    "suspender": (suspend_customer, "customers.change_customer", "suspendido", "suspendidos"),
    "reactivar": (reactivate_customer, "customers.change_customer", "reactivado", "reactivados"),
    "eliminar": (trash_customer, "customers.delete_customer", "enviado a la Papelera", "enviados a la Papelera"),
}


def bulk_lifecycle(*, actor, action: str, customer_ids: list) -> int:
    """Suspender / Reactivar / Eliminar the chosen customers, each through its own service (so
    each leaves its history record and note), all in one transaction: all or nothing."""
    if action not in BULK_ACTIONS:
        raise ValidationError("Elija una acción: suspender, reactivar o eliminar.")
    service, permission, *_ = BULK_ACTIONS[action]
    require_permission(actor, permission)
    try:
        ids = sorted({int(pk) for pk in customer_ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ValidationError("Seleccione al menos un cliente de la lista.")
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
