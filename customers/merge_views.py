"""Posibles duplicados, Fusionar and Deshacer la fusión (issue 18). Administrador only
(customers.merge_customer); each view parses, calls one query or service, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from customers import duplicates, services
from customers.models import Customer, CustomerMerge
from customers.services.merging import MERGED, SURVIVOR

PERMISSION = "customers.merge_customer"


@permission_required(PERMISSION, raise_exception=True)
def duplicate_list(request):
    rule = request.GET.get("regla", "")
    if rule not in duplicates.RULES:
        rule = next(iter(duplicates.RULES))
    after = request.GET.get("despues", "")[:300]
    page = duplicates.find_duplicates(rule=rule, after=after)
    context = {"rules": duplicates.RULES, "rule": rule, "page": page, "after": after}
    return render(request, "customers/duplicates.html", context)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def duplicate_dismiss(request):
    try:
        services.dismiss_duplicates(actor=request.user, ids=request.POST.getlist("ids"))
        messages.success(request, "Grupo descartado: no se volverá a mostrar como posible duplicado.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    rule = request.POST.get("regla", "")
    return redirect(reverse("customers:duplicates") + (f"?regla={rule}" if rule in duplicates.RULES else ""))


def _pk(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@permission_required(PERMISSION, raise_exception=True)
def customer_merge(request):
    """?a=&b=: the two customers side by side; `queda` says which one stays (a by default).
    POST merges with the chosen value of each field."""
    data = request.POST if request.method == "POST" else request.GET
    a, b = _pk(data.get("a")), _pk(data.get("b"))
    if a is None or b is None:
        messages.error(request, "Elija dos clientes para fusionar (desde Posibles duplicados).")
        return redirect("customers:duplicates")
    first = get_object_or_404(Customer, pk=a)
    second = get_object_or_404(Customer, pk=b)
    keep = _pk(data.get("queda"))
    survivor, merged = (second, first) if keep == second.pk else (first, second)
    if request.method == "POST":
        choices = {key[len("campo_") :]: value for key, value in data.items() if key.startswith("campo_")}
        versions = (data.get("version_queda"), data.get("version_sale"))
        try:
            versions = tuple(int(v) for v in versions)
        except (TypeError, ValueError):
            versions = None
        try:
            services.merge_customers(
                actor=request.user, survivor=survivor, merged=merged, choices=choices, versions=versions
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"«{merged.name}» se fusionó en este cliente y quedó en la Papelera. "
                "Puede deshacerlo desde la nota «Fusionado» de Notas.",
            )
            return redirect(reverse("customers:detail", args=[survivor.pk]) + "?tab=notas")
    theirs = services.related_counts(merged)
    context = {
        "survivor": survivor,
        "merged": merged,
        # What differs first: that is what the person decides.
        "choices": sorted(services.merge_choices(survivor, merged), key=lambda choice: choice.same),
        "counts": [(label, count, theirs.get(label, 0)) for label, count in services.related_counts(survivor).items()],
        "SURVIVOR": SURVIVOR,
        "MERGED": MERGED,
    }
    return render(request, "customers/merge.html", context)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def merge_undo(request, pk):
    merge = get_object_or_404(CustomerMerge, pk=pk)
    try:
        services.undo_merge(actor=request.user, merge=merge)
        messages.success(request, f"Fusión deshecha: «{merge.merged.name}» vuelve a ser un cliente aparte.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    url = reverse("customers:detail", args=[merge.survivor_id]) + "?tab=notas"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
