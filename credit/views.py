"""Credit pages: each view checks its permission, reads the POST into a dict, calls one
service (which validates every field, in Spanish) and renders. The customer summary loads
the tabs (Condiciones de venta, Comprobantes, Puntos) from here through htmx; Ver crédito,
Bloquear crédito and the forms open in its side panel."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from credit import queries, services
from credit.authorizations import hold_duration, override_authorization
from credit.models import CreditAuthorization, CreditRequest, Document, PaymentTerm, PointsMovement, PriceList
from customers.models import Customer


def _customer(pk, *, writable: bool = False) -> Customer:
    customer = get_object_or_404(Customer, pk=pk)
    if writable and customer.deleted_at is not None:
        raise Http404("Cliente en la Papelera")
    return customer


def _errors(exc: ValidationError) -> dict:
    """Field → messages; messages not tied to a field go under "__all__"."""
    if hasattr(exc, "error_dict"):
        return {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"__all__": exc.messages}


def _panel(request, template: str, context: dict, title: str):
    """A side-panel fragment for htmx, a plain page otherwise (customers' panel page)."""
    context = {**context, "panel_title": title}
    if request.htmx:
        return render(request, template, context)
    return render(request, "customers/panel_page.html", {**context, "panel_template": template})


def _done(request, customer, *, tab: str, message: str):
    """After a panel saved: close it and reload the summary's tab (htmx), or go back to it."""
    if request.htmx:
        response = render(request, "credit/_saved.html", {"message": message})
        return _changed(response, message)
    messages.success(request, message)
    return redirect(reverse("customers:detail", args=[customer.pk]) + f"?tab={tab}")


def _changed(response, message: str):
    """customers.extensions' event: the summary's tabs and the list reload; the panel closes."""
    response = trigger_client_event(response, "customerChanged", {"message": message})
    return trigger_client_event(response, "closePanel", {})


# --- Condiciones de venta --------------------------------------------------------------------


@permission_required("credit.view_creditaccount", raise_exception=True)
def conditions_tab(request, pk):
    customer = _customer(pk)
    return render(
        request,
        "credit/_conditions_tab.html",
        {
            "customer": customer,
            "summary": queries.credit_summary(customer),
            "requests": queries.customer_requests(customer, limit=5),
            "editable": customer.deleted_at is None,
        },
    )


@permission_required("credit.change_creditaccount", raise_exception=True)
def conditions_edit(request, pk):
    customer = _customer(pk, writable=True)
    account = queries.get_account(customer)
    errors, values = (
        {},
        {
            "price_list": account.price_list_id or "",
            "payment_term": account.payment_term_id or "",
            "credit_limit": "" if account.credit_limit is None else f"{account.credit_limit:.2f}",
        },
    )
    if request.method == "POST":
        values = {field: request.POST.get(field, "") for field in values}
        try:
            services.update_sales_conditions(actor=request.user, customer=customer, data=values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="condiciones", message="Condiciones de venta guardadas.")
    context = {
        "customer": customer,
        "values": values,
        "errors": errors,
        "price_lists": PriceList.objects.filter(is_active=True)
        | PriceList.objects.filter(pk=account.price_list_id or 0),
        "payment_terms": PaymentTerm.objects.filter(is_active=True)
        | PaymentTerm.objects.filter(pk=account.payment_term_id or 0),
    }
    return _panel(request, "credit/_conditions_form.html", context, "Condiciones de venta")


@permission_required("credit.block_credit", raise_exception=True)
def block_toggle(request, pk):
    """Bloquear crédito / Desbloquear, with the reason: a panel form, then the POST."""
    customer = _customer(pk, writable=True)
    account = queries.get_account(customer)
    block = not account.is_blocked
    errors, reason = {}, ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        service = services.block_credit if request.POST.get("operation") == "bloquear" else services.unblock_credit
        try:
            service(actor=request.user, customer=customer, reason=reason)
        except ValidationError as exc:
            errors = _errors(exc)
            block = request.POST.get("operation") == "bloquear"
        else:
            blocked = service is services.block_credit
            message = f"Crédito de «{customer.name}» {'bloqueado' if blocked else 'desbloqueado'}."
            if request.POST.get("next") == "list":
                if request.htmx:
                    return _changed(render(request, "credit/_saved.html", {"message": message}), message)
                messages.success(request, message)
                return redirect("customers:list")
            return _done(request, customer, tab="condiciones", message=message)
    context = {
        "customer": customer,
        "account": account,
        "block": block,
        "reason": reason,
        "errors": errors,
        "next": request.GET.get("next") or request.POST.get("next", ""),
    }
    return _panel(request, "credit/_block_form.html", context, "Bloquear crédito" if block else "Desbloquear crédito")


@permission_required("credit.view_creditaccount", raise_exception=True)
def credit_panel(request, pk):
    """Ver crédito: the summary in the side panel (from the list's row menu), or a page."""
    customer = _customer(pk)
    context = {
        "customer": customer,
        "summary": queries.credit_summary(customer),
        "aging": queries.aging(customer),
    }
    return _panel(request, "credit/_credit_panel.html", context, f"Crédito de {customer.name}")


# --- Comprobantes ----------------------------------------------------------------------------


@permission_required("credit.view_document", raise_exception=True)
def documents_tab(request, pk):
    customer = _customer(pk)
    status = request.GET.get("estado", "")
    project = request.GET.get("proyecto", "")
    context = {
        "customer": customer,
        "page": queries.document_page(customer, status=status, project=project, page=request.GET.get("pagina", 1)),
        "status": status,
        "project": project,
        "statuses": queries.STATUS_FILTERS,
        "projects": queries.list_projects(customer),
        "aging": queries.aging(customer),
        "totals": queries.document_totals(customer),
        "summary": queries.credit_summary(customer),
        "editable": customer.deleted_at is None,
        "today": services._today(),
    }
    return render(request, "credit/_documents_tab.html", context)


@permission_required("credit.add_document", raise_exception=True)
def document_create(request, pk):
    customer = _customer(pk, writable=True)
    errors = {}
    fields = (
        "doc_type",
        "series",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "exchange_rate",
        "total",
        "project",
        "related",
    )
    today = services._today().strftime("%d/%m/%Y")
    values = {"doc_type": "01", "series": "F001", "currency": "PEN", "issue_date": today, "due_date": today}
    if request.method == "POST":
        values = {field: request.POST.get(field, "").strip() for field in fields}
        try:
            document = services.register_document(actor=request.user, customer=customer, data=values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="comprobantes", message=f"{document} registrado.")
    context = {
        "customer": customer,
        "values": values,
        "errors": errors,
        "types": Document.Type.choices,
        "currencies": Document.Currency.choices,
        "projects": queries.list_projects(customer, active_only=True),
        "invoices": Document.objects.filter(customer=customer, doc_type__in=["01", "03"], is_voided=False).order_by(
            "-issue_date", "-id"
        )[:200],
    }
    return _panel(request, "credit/_document_form.html", context, "Registrar comprobante")


@permission_required("credit.add_payment", raise_exception=True)
def payment_create(request, pk, document_pk):
    customer = _customer(pk, writable=True)
    document = queries.get_document(customer, document_pk)
    errors = {}
    values = {"date": services._today().strftime("%d/%m/%Y"), "amount": f"{document.outstanding:.2f}"}
    if request.method == "POST":
        values = {f: request.POST.get(f, "").strip() for f in ("date", "amount", "method", "reference")}
        try:
            services.register_payment(actor=request.user, document=document, data=values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="comprobantes", message=f"Pago registrado en {document.serie_number}.")
    context = {
        "customer": customer,
        "document": document,
        "values": values,
        "errors": errors,
        "methods": PaymentTerm.objects.filter(is_active=True),
        "payments": document.payments.select_related("method"),
    }
    return _panel(request, "credit/_payment_form.html", context, f"Pago de {document.serie_number}")


@permission_required("credit.change_document", raise_exception=True)
def document_void(request, pk, document_pk):
    customer = _customer(pk, writable=True)
    document = queries.get_document(customer, document_pk)
    errors, reason = {}, ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.void_document(actor=request.user, document=document, reason=reason)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="comprobantes", message=f"{document} anulado.")
    context = {"customer": customer, "document": document, "reason": reason, "errors": errors}
    return _panel(request, "credit/_void_form.html", context, f"Anular {document.serie_number}")


@permission_required("credit.add_project", raise_exception=True)
def project_create(request, pk):
    customer = _customer(pk, writable=True)
    errors, values = {}, {"code": "", "name": ""}
    if request.method == "POST":
        values = {"code": request.POST.get("code", ""), "name": request.POST.get("name", "")}
        try:
            project = services.save_project(actor=request.user, customer=customer, data=values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="comprobantes", message=f"Proyecto {project.code} creado.")
    return _panel(
        request,
        "credit/_project_form.html",
        {"customer": customer, "values": values, "errors": errors},
        "Nuevo proyecto",
    )


# --- Puntos ----------------------------------------------------------------------------------


@permission_required("credit.view_pointsmovement", raise_exception=True)
def points_tab(request, pk):
    customer = _customer(pk)
    # Lots past their date get their expiry movement now, so the ledger shown adds up to the balance.
    services.catch_up_expired_points(customer)
    context = {
        "customer": customer,
        "balance": services.points_balance(customer),
        "movements": queries.points_movements(customer),
        "program": services.get_points_program(),
        "editable": customer.deleted_at is None,
    }
    return render(request, "credit/_points_tab.html", context)


@permission_required("credit.add_pointsmovement", raise_exception=True)
def points_adjust(request, pk):
    customer = _customer(pk, writable=True)
    errors, values = {}, {"points": "", "reason": ""}
    if request.method == "POST":
        values = {"points": request.POST.get("points", ""), "reason": request.POST.get("reason", "")}
        try:
            services.adjust_points(actor=request.user, customer=customer, **values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="puntos", message="Puntos ajustados.")
    context = {"customer": customer, "values": values, "errors": errors, "balance": services.points_balance(customer)}
    return _panel(request, "credit/_points_form.html", context, "Ajustar puntos")


# --- Solicitudes de crédito ------------------------------------------------------------------


@permission_required("credit.add_creditrequest", raise_exception=True)
def request_create(request, pk):
    customer = _customer(pk, writable=True)
    errors, values = {}, {"amount": "", "reason": ""}
    if request.method == "POST":
        values = {"amount": request.POST.get("amount", ""), "reason": request.POST.get("reason", "")}
        try:
            services.request_credit_increase(actor=request.user, customer=customer, **values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _done(request, customer, tab="condiciones", message="Solicitud enviada a Créditos.")
    context = {"customer": customer, "values": values, "errors": errors, "summary": queries.credit_summary(customer)}
    return _panel(request, "credit/_request_form.html", context, "Solicitar aumento de cupo")


@permission_required("credit.view_creditrequest", raise_exception=True)
def request_queue(request):
    context = {
        "pending": queries.pending_requests(),
        "can_decide": request.user.has_perm("credit.decide_creditrequest"),
        "errors": {},
    }
    return render(request, "credit/requests.html", context)


@require_POST
@permission_required("credit.decide_creditrequest", raise_exception=True)
def request_decide(request, request_pk):
    credit_request = get_object_or_404(CreditRequest, pk=request_pk)
    approve = request.POST.get("decision") == "aprobar"
    try:
        services.decide_credit_request(
            actor=request.user,
            credit_request=credit_request,
            approve=approve,
            reason=request.POST.get("reason", ""),
            amount=request.POST.get("amount", ""),
        )
    except ValidationError as exc:
        messages.error(request, f"Solicitud de «{credit_request.customer.name}»: " + " ".join(exc.messages))
    else:
        messages.success(
            request, f"Solicitud de «{credit_request.customer.name}» {'aprobada' if approve else 'rechazada'}."
        )
    return redirect("credit:requests")


@permission_required("credit.add_creditrequest", raise_exception=True)
def my_requests(request):
    return render(request, "credit/my_requests.html", {"requests": queries.requests_of(request.user)})


# --- Autorizaciones rechazadas (the integration API's credit authorizations) -----------------


@permission_required("credit.view_creditauthorization", raise_exception=True)
def refused_authorizations(request):
    """Refusals of the last CREDIT_AUTHORIZATION_HOURS (older sales are gone), newest first."""
    since = timezone.now() - hold_duration()
    context = {
        "refused": queries.refused_authorizations(since=since),
        "overrides": queries.recent_overrides(),
        "can_override": request.user.has_perm("credit.override_authorization"),
        "hours": int(hold_duration().total_seconds() // 3600),
    }
    return render(request, "credit/authorizations.html", context)


@require_POST
@permission_required("credit.override_authorization", raise_exception=True)
def authorization_override(request, authorization_pk):
    authorization = get_object_or_404(CreditAuthorization.objects.select_related("customer"), pk=authorization_pk)
    try:
        override_authorization(actor=request.user, authorization=authorization, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(
            request, f"Autorización {authorization.pk} de «{authorization.customer.name}»: " + " ".join(exc.messages)
        )
    else:
        messages.success(
            request, f"Autorización {authorization.pk} de «{authorization.customer.name}» aprobada por excepción."
        )
    return redirect("credit:authorizations")


# --- Configuración ---------------------------------------------------------------------------

LISTS = {
    "listas-de-precios": (PriceList, "Listas de precios", services.save_price_list, "price_list"),
    "formas-de-pago": (PaymentTerm, "Formas de pago", services.save_payment_term, "payment_term"),
}


@permission_required("credit.change_pricelist", raise_exception=True)
def credit_settings(request, errors=None, program_errors=None):
    program = services.get_points_program()
    context = {
        "lists": [
            {"slug": slug, "title": title, "items": model.objects.all(), "errors": (errors or {}).get(slug, {})}
            for slug, (model, title, _save, _kw) in LISTS.items()
        ],
        "program": program,
        "program_errors": program_errors or {},
        "kinds": PaymentTerm.Kind.choices,
    }
    return render(request, "credit/settings.html", context)


def _list_data(post) -> dict:
    return {
        "name": post.get("name", ""),
        "position": post.get("position", "0"),
        "is_active": post.get("is_active") == "on",
        "kind": post.get("kind", ""),
        "term_days": post.get("term_days", "0"),
    }


@require_POST
@permission_required("credit.change_pricelist", raise_exception=True)
def list_item_save(request, slug, item_pk=None):
    if slug not in LISTS:
        raise Http404("Lista desconocida")
    model, _title, save, keyword = LISTS[slug]
    item = get_object_or_404(model, pk=item_pk) if item_pk else None
    try:
        if request.POST.get("delete"):
            services.delete_list_item(actor=request.user, item=item)
            messages.success(request, f"«{item.name}» eliminada.")
        else:
            saved = save(actor=request.user, data=_list_data(request.POST), **({keyword: item} if item else {}))
            messages.success(request, f"«{saved.name}» guardada.")
    except ValidationError as exc:
        what = f"«{item.name}»: " if item else "Nueva: "
        messages.error(request, what + " ".join(exc.messages))
    return redirect("credit:settings")


@require_POST
@permission_required("credit.change_pointsprogram", raise_exception=True)
def points_program_save(request):
    data = {
        "enabled": request.POST.get("enabled") == "on",
        **{f: request.POST.get(f, "") for f in ("points_per_sol", "point_value", "expiry_months")},
    }
    try:
        services.update_points_program(actor=request.user, data=data)
    except ValidationError as exc:
        return credit_settings(request, program_errors=_errors(exc))
    messages.success(request, "Programa de puntos guardado.")
    return redirect("credit:settings")


MOVEMENT_KINDS = dict(PointsMovement.Kind.choices)
