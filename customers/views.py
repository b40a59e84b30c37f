"""Customer pages. Each view checks its permission, parses input with a form, calls one
query or service, and renders; the rules live in customers.services."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from customers import queries, services
from customers.forms import AddressForm, ChoiceForm, ContactForm, CustomerForm, CustomerSettingsForm
from customers.models import Category, CustomerClass
from customers.services import DuplicateCustomerError

TABS = [
    ("datos", "Datos"),
    ("direcciones", "Direcciones"),
    ("contactos", "Contactos"),
    ("condiciones", "Condiciones de venta"),
    ("atributos", "Atributos"),
    ("notas", "Notas"),
]


@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request):
    page = Paginator(queries.list_customers(actor=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"page": page})


# --- the customer form -------------------------------------------------------------------


@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request):
    return _customer_form(request, customer=None)


@permission_required("customers.change_customer", raise_exception=True)
def customer_update(request, pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    return _customer_form(request, customer=customer)


def _customer_form(request, *, customer):
    settings = services.get_customer_settings()
    bound = request.method == "POST"
    form = CustomerForm(request.POST if bound else None, settings=settings, customer=customer)
    duplicate = None
    if bound and form.is_valid():
        try:
            if customer is None:
                saved = services.create_customer(actor=request.user, data=form.service_data())
            else:
                saved = services.update_customer(actor=request.user, customer=customer, data=form.service_data())
        except DuplicateCustomerError as exc:
            duplicate = exc.duplicate
            form.apply_errors(exc)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            verb = "creado" if customer is None else "actualizado"
            messages.success(request, f"Cliente «{saved.name}» {verb}.")
            return redirect("customers:detail", pk=saved.pk)
    context = {"form": form, "customer": customer, "duplicate": duplicate, "settings": settings}
    return render(request, "customers/form.html", context)


# --- the summary -------------------------------------------------------------------------


@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request, pk):
    customer = queries.get_customer(actor=request.user, pk=pk)
    tab = request.GET.get("tab")
    if tab not in dict(TABS):
        tab = "datos"
    context = {
        "customer": customer,
        "tabs": TABS,
        "tab": tab,
        "addresses": list(customer.addresses.all()),
        "contacts": list(customer.contacts.all()),
        "editable": customer.deleted_at is None,
    }
    return render(request, "customers/detail.html", context)


def _panel(request, template: str, context: dict, title: str):
    """A side-panel form: the fragment for htmx, a plain page otherwise (a link opened in a
    new tab, or no JavaScript)."""
    context = {**context, "panel_title": title}
    if request.htmx:
        return render(request, template, context)
    return render(request, "customers/panel_page.html", {**context, "panel_template": template})


def _detail_url(customer, tab: str) -> str:
    return reverse("customers:detail", args=[customer.pk]) + f"?tab={tab}"


def _refresh_list(request, customer, *, kind: str, message: str = "", error: str = ""):
    """After a panel saved or a row changed: the refreshed list ("addresses" or "contacts"),
    swapped in place, and the panel closed (not on an error, which shows above the list).
    Without htmx, back to the customer's tab with the message."""
    tab = {"addresses": "direcciones", "contacts": "contactos"}[kind]
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        return redirect(_detail_url(customer, tab))
    rows = (
        queries.list_addresses(customer=customer) if kind == "addresses" else queries.list_contacts(customer=customer)
    )
    context = {
        "customer": customer,
        kind: rows,
        "editable": True,
        "list_refresh": True,
        "list_message": message,
        "list_error": error,
    }
    response = render(request, f"customers/_{kind}.html", context)
    response = reswap(retarget(response, f"#{kind}"), "outerHTML")
    if not error:
        response = trigger_client_event(response, "closePanel", {})
    return response


# --- addresses ---------------------------------------------------------------------------


@permission_required("customers.add_address", raise_exception=True)
def address_create(request, pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    return _address_form(request, customer, address=None)


@permission_required("customers.change_address", raise_exception=True)
def address_update(request, pk, address_pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    return _address_form(request, customer, address=address)


def _address_form(request, customer, *, address):
    bound = request.method == "POST"
    form = AddressForm(request.POST if bound else None, customer=customer, address=address)
    if bound and form.is_valid():
        try:
            services.save_address(actor=request.user, customer=customer, data=form.service_data(), address=address)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            message = "Dirección agregada." if address is None else "Dirección actualizada."
            return _refresh_list(request, customer, kind="addresses", message=message)
    title = "Nueva dirección" if address is None else "Editar dirección"
    return _panel(
        request, "customers/_address_form.html", {"form": form, "customer": customer, "address": address}, title
    )


@require_POST
@permission_required("customers.change_address", raise_exception=True)
def address_make_default(request, pk, address_pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    data = {
        "kind": address.kind,
        "district": address.district_id or "",
        "street": address.street,
        "unit": address.unit,
        "reference": address.reference,
        "is_default": True,
    }
    try:
        services.save_address(actor=request.user, customer=customer, data=data, address=address)
    except ValidationError as exc:
        error = "No se pudo hacer predeterminada: " + " ".join(exc.messages) + " Edítela primero."
        return _refresh_list(request, customer, kind="addresses", error=error)
    return _refresh_list(request, customer, kind="addresses", message="Dirección predeterminada cambiada.")


@require_POST
@permission_required("customers.delete_address", raise_exception=True)
def address_delete(request, pk, address_pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    try:
        services.delete_address(actor=request.user, address=address)
    except ValidationError as exc:
        return _refresh_list(request, customer, kind="addresses", error=" ".join(exc.messages))
    return _refresh_list(request, customer, kind="addresses", message="Dirección eliminada.")


# --- contacts ----------------------------------------------------------------------------


@permission_required("customers.add_contact", raise_exception=True)
def contact_create(request, pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    return _contact_form(request, customer, contact=None)


@permission_required("customers.change_contact", raise_exception=True)
def contact_update(request, pk, contact_pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    contact = queries.get_contact(customer=customer, pk=contact_pk)
    return _contact_form(request, customer, contact=contact)


def _contact_form(request, customer, *, contact):
    bound = request.method == "POST"
    form = ContactForm(request.POST if bound else None, contact=contact)
    if bound and form.is_valid():
        try:
            services.save_contact(actor=request.user, customer=customer, data=form.service_data(), contact=contact)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            message = "Contacto agregado." if contact is None else "Contacto actualizado."
            return _refresh_list(request, customer, kind="contacts", message=message)
    title = "Nuevo contacto" if contact is None else "Editar contacto"
    return _panel(
        request, "customers/_contact_form.html", {"form": form, "customer": customer, "contact": contact}, title
    )


@require_POST
@permission_required("customers.delete_contact", raise_exception=True)
def contact_delete(request, pk, contact_pk):
    customer = queries.get_customer_for_update(actor=request.user, pk=pk)
    contact = queries.get_contact(customer=customer, pk=contact_pk)
    services.delete_contact(actor=request.user, contact=contact)
    return _refresh_list(request, customer, kind="contacts", message="Contacto eliminado.")


# --- ubigeo (cascading selects) ----------------------------------------------------------


def _code(request, *names: str) -> str:
    return next((request.GET[n].strip() for n in names if request.GET.get(n)), "")


@permission_required("customers.view_customer", raise_exception=True)
def ubigeo_provinces(request):
    department = _code(request, "department", "address_department")
    options = queries.province_choices(department)
    placeholder = "Elija…" if options else "Elija el departamento"
    return render(request, "customers/_options.html", {"options": options, "placeholder": placeholder})


@permission_required("customers.view_customer", raise_exception=True)
def ubigeo_districts(request):
    province = _code(request, "province", "address_province")
    options = queries.district_choices(province)
    placeholder = "Elija…" if options else "Elija la provincia"
    return render(request, "customers/_options.html", {"options": options, "placeholder": placeholder})


# --- Configuración -----------------------------------------------------------------------

CHOICE_LISTS = {
    # URL slug: (model, title, singular)
    "categorias": (Category, "Categorías", "categoría"),
    "clases": (CustomerClass, "Clases de cliente", "clase"),
}


@permission_required("customers.change_customersettings", raise_exception=True)
def customer_settings(request):
    current = services.get_customer_settings()
    bound = request.method == "POST"
    form = CustomerSettingsForm(
        request.POST if bound else None,
        initial={f: getattr(current, f) for f in ("require_email", "require_phone", "require_address")},
    )
    if bound and form.is_valid():
        services.update_customer_settings(actor=request.user, data=form.cleaned_data)
        messages.success(request, "Configuración guardada.")
        return redirect("settings")
    lists = [_choice_context(slug) for slug in CHOICE_LISTS]
    return render(request, "customers/settings.html", {"form": form, "lists": lists})


def _choice_context(slug: str, **extra) -> dict:
    model, title, singular = CHOICE_LISTS[slug]
    row_errors = extra.pop("row_errors", {})
    items = queries.list_choices_with_usage(model)
    for item in items:
        item.errors = row_errors.get(item.pk, [])
    context = {
        "slug": slug,
        "title": title,
        "singular": singular,
        "items": items,
        "add_form": ChoiceForm(),
        "list_message": "",
        "list_error": "",
        **extra,
    }
    return {"list": context}


def _choice_model(slug: str):
    if slug not in CHOICE_LISTS:
        raise Http404("Lista desconocida")
    return CHOICE_LISTS[slug][0]


def _choice_response(request, slug: str, **extra):
    if not request.htmx:
        if extra.get("list_error"):
            messages.error(request, extra["list_error"])
        elif extra.get("list_message"):
            messages.success(request, extra["list_message"])
        for errors in extra.get("row_errors", {}).values():
            messages.error(request, " ".join(errors))
        add_form = extra.get("add_form")
        if add_form is not None and add_form.errors:
            messages.error(request, " ".join(e for errs in add_form.errors.values() for e in errs))
        return redirect("settings")
    return render(request, "customers/_choices.html", _choice_context(slug, **extra))


@require_POST
@permission_required("customers.change_customersettings", raise_exception=True)
def choice_create(request, slug):
    model = _choice_model(slug)
    form = ChoiceForm(request.POST)
    form.is_valid()
    try:
        item = services.save_choice(actor=request.user, model=model, name=form.cleaned_data.get("name", ""))
    except ValidationError as exc:
        form.apply_errors(exc)
        return _choice_response(request, slug, add_form=form)
    return _choice_response(request, slug, list_message=f"«{item.name}» agregada.")


@require_POST
@permission_required("customers.change_customersettings", raise_exception=True)
def choice_update(request, slug, item_pk):
    model = _choice_model(slug)
    item = get_object_or_404(model, pk=item_pk)
    form = ChoiceForm(request.POST)
    form.is_valid()
    old_name = item.name
    try:
        item = services.save_choice(
            actor=request.user, model=model, name=form.cleaned_data.get("name", ""), instance=item
        )
    except ValidationError as exc:
        form.apply_errors(exc)
        return _choice_response(request, slug, row_errors={item.pk: form.errors.get("name", [])})
    message = f"«{old_name}» ahora se llama «{item.name}»." if old_name != item.name else f"«{item.name}» sin cambios."
    return _choice_response(request, slug, list_message=message)


@require_POST
@permission_required("customers.change_customersettings", raise_exception=True)
def choice_delete(request, slug, item_pk):
    model = _choice_model(slug)
    item = get_object_or_404(model, pk=item_pk)
    name = item.name
    try:
        services.delete_choice(actor=request.user, instance=item)
    except ValidationError as exc:
        return _choice_response(request, slug, list_error=" ".join(exc.messages))
    return _choice_response(request, slug, list_message=f"«{name}» eliminada.")
