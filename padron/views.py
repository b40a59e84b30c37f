"""Cargar padrón (Configuración, who may load it: Administrador) and the name search of the
customer form. Each view checks its permission, calls one query or service, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from customers.lookup import may_look_up
from padron import queries, services
from padron.forms import PadronUploadForm
from padron.models import PadronLoad


def _status_context(load: PadronLoad | None) -> dict:
    context = {"load": load, "current": queries.current_load(), "interrupted": False, "percent": 0, "estimate": 0}
    if load is not None:
        context["interrupted"] = queries.is_interrupted(load)
        if load.bytes_total:
            context["percent"] = min(100, int(100 * load.bytes_read / load.bytes_total))
        if load.bytes_read and load.lines_read and load.active:
            # Lines of the whole file, from the bytes read so far (a zip's lines are not counted up front).
            context["estimate"] = int(load.lines_read * load.bytes_total / load.bytes_read)
        context["polling"] = load.active and not context["interrupted"]
        context["reasons"] = sorted(load.rejected_by_reason.items(), key=lambda item: -item[1])
    return context


@permission_required(services.PERMISSION, raise_exception=True)
def padron_page(request):
    stored = services.stored_files()
    bound = request.method == "POST"
    form = PadronUploadForm(request.POST if bound else None, request.FILES if bound else None, stored_files=stored)
    if bound and form.is_valid():
        try:
            services.start_load(
                actor=request.user,
                upload=form.cleaned_data.get("file"),
                storage_name=form.cleaned_data.get("storage_name") or "",
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "Padrón en cola: se carga en segundo plano; esta página muestra el avance.")
            return redirect("padron:page")
    context = {"form": form, "history": queries.recent_loads(), **_status_context(queries.latest_load())}
    return render(request, "padron/page.html", context, status=400 if bound else 200)


@require_GET
@permission_required(services.PERMISSION, raise_exception=True)
def padron_status(request):
    """The progress of the latest load (htmx polls it every second while it runs)."""
    context = {**_status_context(queries.latest_load()), "oob": bool(request.htmx)}
    return render(request, "padron/_status.html", context)


@require_POST
@permission_required(services.PERMISSION, raise_exception=True)
def padron_retry(request, pk):
    load = get_object_or_404(PadronLoad, pk=pk)
    try:
        services.retry_load(actor=request.user, load=load)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Carga en cola otra vez.")
    return redirect("padron:page")


@require_GET
def padron_search(request):
    """Companies of the padrón whose razón social starts with ?q= (the customer form's
    «Buscar por razón social»): a list to pick one from."""
    if not may_look_up(request.user):  # the lupa's rule: whoever creates or edits customers
        raise PermissionDenied
    text = request.GET.get("q", "")[:100].replace("\x00", "")
    results = queries.search_taxpayers(text)
    context = {
        "results": results,
        "query": text.strip(),
        "short": len(queries.search_key(text)) < queries.MIN_SEARCH,
        "limit": queries.SEARCH_LIMIT,
    }
    return render(request, "padron/_search_results.html", context)
