"""Pages of the Notas timeline, the full history of a customer, and the list's bulk actions.
Each view checks its permission, calls one query or service (customers.notes,
customers.history, customers.services) and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from customers import history, notes, queries, services
from customers.models import Customer, CustomerNote
from customers.views import redirect_back

HISTORY_PAGE_SIZE = 50


def _notes_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "?tab=notas"


def _timeline(request, customer, **extra):
    context = {
        "customer": customer,
        "timeline": notes.timeline_page(customer=customer),
        "editable": customer.deleted_at is None,
        **extra,
    }
    return render(request, "customers/_notes.html", context)


@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def note_list(request, pk):
    """The next page of the timeline (?antes=cursor), for "Ver más" and the infinite scroll."""
    customer = get_object_or_404(Customer, pk=pk)
    page = notes.timeline_page(customer=customer, cursor=request.GET.get("antes", ""))
    return render(request, "customers/_note_rows.html", {"customer": customer, "timeline": page, "more": True})


@require_POST
@permission_required("customers.add_customernote", raise_exception=True)
def note_create(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    text = request.POST.get("text", "")
    try:
        notes.add_note(actor=request.user, customer=customer, text=text)
    except ValidationError as exc:
        if not request.htmx:
            messages.error(request, " ".join(exc.messages))
            return redirect(_notes_url(customer))
        return _timeline(request, customer, note_error=" ".join(exc.messages), note_text=text)
    if not request.htmx:
        messages.success(request, "Nota agregada.")
        return redirect(_notes_url(customer))
    return _timeline(request, customer, list_message="Nota agregada.")


def _note_for(request, pk, note_pk) -> CustomerNote:
    customer = get_object_or_404(Customer, pk=pk)
    note = get_object_or_404(CustomerNote.objects.select_related("author"), pk=note_pk, customer=customer)
    if not notes.can_change_note(request.user, note):
        raise PermissionDenied
    return note


@permission_required("customers.view_customer", raise_exception=True)
def note_update(request, pk, note_pk):
    """GET: the note's edit form (in place); POST: save it. Only the author or an Administrador."""
    note = _note_for(request, pk, note_pk)
    if request.method == "POST":
        try:
            note = notes.update_note(actor=request.user, note=note, text=request.POST.get("text", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
            if not request.htmx:
                messages.error(request, error)
                return redirect(_notes_url(note.customer))
            text = request.POST.get("text", "")
            context = {"note": note, "customer": note.customer, "note_error": error, "note_text": text}
            return render(request, "customers/_note_form.html", context)
        if not request.htmx:
            messages.success(request, "Nota actualizada.")
            return redirect(_notes_url(note.customer))
        return render(request, "customers/_note.html", {"note": note, "customer": note.customer})
    template = "customers/_note.html" if request.GET.get("ver") else "customers/_note_form.html"
    context = {"note": note, "customer": note.customer, "note_text": note.text}
    if request.htmx:
        return render(request, template, context)
    return render(
        request,
        "customers/panel_page.html",
        {**context, "panel_template": "customers/_note_form.html", "panel_title": "Editar nota"},
    )


@require_POST
@permission_required("customers.view_customer", raise_exception=True)
def note_delete(request, pk, note_pk):
    note = _note_for(request, pk, note_pk)
    customer = note.customer
    try:
        notes.delete_note(actor=request.user, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_notes_url(customer))
    if not request.htmx:
        messages.success(request, "Nota eliminada.")
        return redirect(_notes_url(customer))
    return HttpResponse("")  # htmx removes the note from the timeline


# --- full history ------------------------------------------------------------------------


@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def customer_history(request, pk):
    """Who changed what and when, field by field: the customer, its addresses and contacts."""
    customer = get_object_or_404(Customer, pk=pk)
    versions = history.customer_versions(customer=customer)
    page = Paginator(versions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "customer": customer,
        "page": page,
        "can_revert": request.user.has_perm("customers.revert_customer") and customer.deleted_at is None,
    }
    return render(request, "customers/history.html", context)


@require_POST
@permission_required("customers.revert_customer", raise_exception=True)
def customer_revert(request, pk, history_id):
    customer = queries.get_customer_for_update(pk=pk)
    try:
        services.revert_customer(actor=request.user, customer=customer, history_id=history_id)
    except ValidationError as exc:
        messages.error(request, "No se pudo revertir: " + " ".join(exc.messages))
        return redirect("customers:history", pk=customer.pk)
    messages.success(request, f"Cliente «{customer.name}» revertido a la versión elegida.")
    return redirect(_notes_url(customer))


# --- bulk actions of the list ------------------------------------------------------------


@require_POST
@permission_required("customers.view_customer", raise_exception=True)
def customer_bulk(request):
    """Desactivar / Activar / Eliminar the customers ticked in the list; all or nothing."""
    action = request.POST.get("accion", "")
    try:
        count = services.bulk_lifecycle(actor=request.user, action=action, customer_ids=request.POST.getlist("ids"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect_back(request, reverse("customers:list"))
    _, _, one, several = services.BULK_ACTIONS[action]
    messages.success(request, f"1 cliente {one}." if count == 1 else f"{count} clientes {several}.")
    return redirect_back(request, reverse("customers:list"))
