"""The Atributos adicionales screen: the list of attributes, the side panel to create or
edit one, and the row actions (subir/bajar, archivar, restaurar, eliminar). Only for who may
manage them (Administrador); the rules live in attributes.services."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from attributes import queries, services
from attributes.forms import DefinitionForm

MANAGE = services.MANAGE


@permission_required(MANAGE, raise_exception=True)
def definition_list(request):
    return render(request, "attributes/list.html", _list_context(request))


def _list_context(request, **extra) -> dict:
    return {"definitions": list(queries.list_definitions()), **extra}


def _refresh(request, *, message: str = "", error: str = ""):
    """After a change: the refreshed list in place (htmx) and the panel closed; without htmx,
    back to the list with the message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        return redirect("attributes:list")
    context = _list_context(request, list_message=message, list_error=error, list_refresh=True)
    response = render(request, "attributes/_list.html", context)
    response = reswap(retarget(response, "#attribute-list"), "outerHTML")
    if not error:
        response = trigger_client_event(response, "closePanel", {})
    return response


@permission_required(MANAGE, raise_exception=True)
def definition_create(request):
    return _definition_form(request, definition=None)


@permission_required(MANAGE, raise_exception=True)
def definition_update(request, pk):
    return _definition_form(request, definition=queries.get_definition(pk=pk))


def _definition_form(request, *, definition):
    bound = request.method == "POST"
    form = DefinitionForm(request.POST if bound else None, definition=definition)
    if bound and form.is_valid():
        try:
            if definition is None:
                saved = services.create_definition(actor=request.user, data=form.service_data())
            else:
                saved = services.update_definition(actor=request.user, definition=definition, data=form.service_data())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            verb = "creado: ya aparece en el formulario de todos los clientes" if definition is None else "actualizado"
            return _refresh(request, message=f"Atributo «{saved.name}» {verb}.")
    context = {
        "form": form,
        "definition": definition,
        "panel_title": "Nuevo atributo" if definition is None else "Editar atributo",
    }
    template = "attributes/_definition_form.html"
    if request.htmx:
        return render(request, template, context)
    return render(request, "attributes/panel_page.html", {**context, "panel_template": template})


def _action(request, pk, action, success: str, **kwargs):
    definition = queries.get_definition(pk=pk)
    try:
        action(actor=request.user, definition=definition, **kwargs)
    except ValidationError as exc:
        return _refresh(request, error=" ".join(exc.messages))
    return _refresh(request, message=success.format(name=definition.name))


@require_POST
@permission_required(MANAGE, raise_exception=True)
def definition_move(request, pk):
    direction = request.POST.get("direction", "")
    return _action(request, pk, services.move_definition, "", direction=direction)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def definition_archive(request, pk):
    return _action(
        request,
        pk,
        services.archive_definition,
        "Atributo «{name}» archivado: ya no se muestra; sus valores se conservan.",
    )


@require_POST
@permission_required(MANAGE, raise_exception=True)
def definition_unarchive(request, pk):
    return _action(request, pk, services.unarchive_definition, "Atributo «{name}» restaurado.")


@require_POST
@permission_required(MANAGE, raise_exception=True)
def definition_delete(request, pk):
    return _action(request, pk, services.delete_definition, "Atributo «{name}» eliminado.")
