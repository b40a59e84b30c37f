"""Customer pages. Each view checks its permission, parses input with a form, calls one
query or service, and renders; the rules live in customers.services."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url, reswap, retarget, trigger_client_event

from customers import extensions, lookup, notes, queries, services
from customers.filters import DEFAULT_ORDER, DEFAULT_STATUS, MAX_SEARCH_LENGTH, CustomerFilterSet, TrashFilterSet
from customers.forms import AddressForm, ChoiceForm, ContactForm, CustomerForm, CustomerSettingsForm
from customers.models import Category, Customer, CustomerClass
from customers.services import DuplicateCustomerError
from peru import phones
from peru.concurrency import StaleEdit, parse_version

logger = logging.getLogger(__name__)

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
    """The module's home: search, filters, sortable columns, pages. An htmx request (typing
    in the search box, a filter, a column or page link) gets only the results."""
    filterset = CustomerFilterSet(request.GET, queryset=queries.list_page_customers())
    page = queries.paginate_customers(
        filterset.qs,
        page=request.GET.get("page"),
        searching=filterset.searching,
        common_word=filterset.common_word,
        cursor=queries.page_cursor(request.GET),
    )
    # Columns of the apps above (credit's "Crédito disponible") and what their row menu entries
    # read: one query for the page's rows.
    columns = extensions.list_columns(request.user)
    entries = extensions.list_row_menu_entries(request.user)
    extensions.load_columns(columns, page.rows, entries)
    extensions.row_states(entries, page.rows)
    _row_texts(page.rows)
    context = {
        "filterset": filterset,
        "page": page,
        "notices": _list_notices(filterset, page),
        "extra_columns": columns,
        "row_menu_entries": entries,
    }
    if not page.rows and not page.timed_out and not filterset.search_term and not filterset.active_filters:
        # An empty list with nothing typed or chosen: a new business, or only suspended ones.
        context["first_customer"] = not queries.list_customers().exists()
    return _list_response(request, "customers/list.html", "customers/_table.html", context)


def _row_texts(rows) -> None:
    """What customers/_row.html writes of each row more than once or through a tag: its id
    (without the thousands comma), summary and edit addresses (one reverse() each for the
    page, not a {% url %} per row), document and phone as shown. A page renders 25 rows: each
    tag, filter and repeated lookup is paid 25 times."""
    links = {name: reverse(f"customers:{name}", args=[_ROW_PK]).split(str(_ROW_PK)) for name in ("detail", "update")}
    for row in rows:
        row.pk_text = str(row.pk)
        row.detail_url = row.pk_text.join(links["detail"])
        row.update_url = row.pk_text.join(links["update"])
        row.document_text = f"{row.document_type.short_name} {row.document_number or '—'}"
        row.phone_text = row.phone_display
        # Not {{ customer.category.name }}: without a category that lookup fails, in exceptions.
        row.category_text = row.category.name if row.category is not None else ""


_ROW_PK = 987654321  # a stand-in id, replaced by each row's


def _list_response(request, template: str, partial: str, context: dict):
    # The back button may ask htmx for a page it has no copy of: that needs the whole page.
    htmx = request.htmx
    only_results = bool(htmx and not htmx.boosted and not htmx.history_restore_request)
    response = render(request, partial if only_results else template, {**context, "partial": only_results})
    # One URL answers with the whole page or with the results: caches must keep both apart.
    patch_vary_headers(response, ["HX-Request"])
    if only_results:
        # The address bar shows what was asked for, without the form's empty fields and
        # defaults: short links to share, and the same link for the same list.
        response = push_url(response, _clean_url(request))
    return response


def _clean_url(request) -> str:
    defaults = {"estado": DEFAULT_STATUS, "orden": DEFAULT_ORDER, "page": "1"}
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [value for value in values if value.strip() and defaults.get(key) != value]
        if kept:
            params.setlist(key, kept)
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


def _list_notices(filterset, page) -> list[str]:
    """What the page says about the search itself, above the results."""
    notices = []
    if filterset.search_truncated:
        notices.append(f"La búsqueda es muy larga: se usaron solo los primeros {MAX_SEARCH_LENGTH} caracteres.")
    for label in filterset.invalid_filters():
        notices.append(f"Se ignoró el filtro «{label}»: su valor no es una de las opciones.")
    if filterset.short_search:
        notices.append(
            "Con menos de 3 letras o números seguidos se buscan los nombres que empiezan así. "
            "Escriba 3 o más para buscar en cualquier parte del nombre, documento, correo o teléfono."
        )
    if page.clamped:
        notices.append(f"Esa página no existe: se muestra la página {page.number}.")
    elif page.beyond_walk:
        notices.append(
            f"Con tantas coincidencias, la página {page.beyond_walk:,} no se puede abrir directamente: "
            f"se muestra la página {page.number:,}, la más lejana a la que se llega de inmediato. "
            "Avance con «Siguiente», o afine la búsqueda o agregue un filtro para llegar a los clientes más antiguos."
        )
    if page.timed_out:
        notices.append("La búsqueda tardó demasiado y se detuvo. Escriba más letras o agregue un filtro.")
    return notices


@permission_required("customers.view_customer", raise_exception=True)
def customer_trash(request):
    """The Papelera: deleted customers, who deleted them and when, with search."""
    filterset = TrashFilterSet(request.GET, queryset=queries.list_trash())
    number, usable = queries.page_number(request.GET.get("page"))
    paginator = Paginator(filterset.qs, queries.PAGE_SIZE)
    page = paginator.get_page(number)
    notices = []
    if filterset.search_truncated:
        notices.append(f"La búsqueda es muy larga: se usaron solo los primeros {MAX_SEARCH_LENGTH} caracteres.")
    if not usable or page.number != number:
        notices.append(f"Esa página no existe: se muestra la página {page.number}.")
    context = {"filterset": filterset, "page": page, "notices": notices}
    return _list_response(request, "customers/trash.html", "customers/_trash_table.html", context)


# --- the customer form -------------------------------------------------------------------


@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request):
    return _customer_form(request, customer=None)


@permission_required("customers.change_customer", raise_exception=True)
def customer_update(request, pk):
    customer = queries.get_customer_for_update(pk=pk)
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
                saved = services.update_customer(
                    actor=request.user,
                    customer=customer,
                    data=form.service_data(),
                    version=form.edit_version,
                    changed=form.changed,
                )
        except StaleEdit as exc:
            form.show_stale(exc)
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
    customer = queries.get_customer(pk=pk)
    # What the apps above show of this customer (the row menu reads the list column's data).
    extensions.load_columns(extensions.list_columns(request.user), [customer])
    # Tabs of the apps above (credit's Condiciones de venta, Comprobantes, Puntos) load from them.
    tabs, extension_tabs = extensions.summary_tabs(TABS, request.user)
    tab = request.GET.get("tab")
    if tab not in dict(tabs):
        tab = "datos"
    context = {
        "customer": customer,
        "tabs": tabs,
        "extension_tabs": extension_tabs,
        "row_menu_entries": extensions.row_menu_entries(request.user),
        "tab": tab,
        "addresses": list(customer.addresses.all()),
        "contacts": list(customer.contacts.all()),
        "editable": customer.deleted_at is None,
        "timeline": notes.timeline_page(customer=customer),  # the first page; "Ver más" loads the next
    }
    return render(request, "customers/detail.html", context)


# --- Suspender / Reactivar, Eliminar, Papelera ------------------------------------------------
# Each action is a POST (a link could be followed by a prefetch or a crawler), checks its
# permission here and again in the service, and goes back where it came from with a message.


def redirect_back(request, default: str):
    """Where the form came from (?next= or the form's "next"), if it is one of our pages."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


def _run(request, action, customer, success: str) -> bool:
    try:
        action(actor=request.user, customer=customer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


# The lifecycle buttons act on what the page showed, which may be stale: someone else may
# have deleted, restored or purged the customer meanwhile. The service refuses what no longer
# applies (under a lock) and the user goes back with its message, never to an error page.
GONE = "Ese cliente ya no existe: puede que se haya eliminado definitivamente."


def _action_target(request, pk) -> Customer | None:
    customer = queries.find_customer(pk=pk)
    if customer is None:
        messages.error(request, GONE)
    return customer


def _gone(request, pk, default: str):
    """Where a button goes when its customer no longer exists: back where it was, unless that
    was one of the customer's own pages (now a 404); then ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(reverse("customers:detail", args=[pk])):
        return redirect(default)
    return redirect_back(request, default)


def _after(request, pk, response, *, gone: str):
    """``response``, unless the customer vanished while the action ran (purged between the page
    and the service's lock: the service said so): then _gone."""
    if queries.find_customer(pk=pk) is None:
        return _gone(request, pk, gone)
    return response


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def customer_suspend(request, pk):
    customer = _action_target(request, pk)
    if customer is None:
        return _gone(request, pk, reverse("customers:list"))
    done = _run(
        request,
        services.suspend_customer,
        customer,
        f"Cliente «{customer.name}» suspendido: ya no aparece en el punto de venta ni en la facturación.",
    )
    back = redirect_back(request, reverse("customers:detail", args=[pk]))
    return back if done else _after(request, pk, back, gone=reverse("customers:list"))


@require_POST
@permission_required("customers.change_customer", raise_exception=True)
def customer_reactivate(request, pk):
    customer = _action_target(request, pk)
    if customer is None:
        return _gone(request, pk, reverse("customers:list"))
    done = _run(request, services.reactivate_customer, customer, f"Cliente «{customer.name}» reactivado.")
    back = redirect_back(request, reverse("customers:detail", args=[pk]))
    return back if done else _after(request, pk, back, gone=reverse("customers:list"))


@permission_required("customers.delete_customer", raise_exception=True)
def customer_delete(request, pk):
    """Eliminar: a confirmation page (GET), then the move to the Papelera (POST)."""
    customer = _action_target(request, pk)
    if customer is None:
        return _gone(request, pk, reverse("customers:list"))
    if request.method == "POST":
        if _run(
            request,
            services.trash_customer,
            customer,
            f"Cliente «{customer.name}» enviado a la Papelera. Puede restaurarlo desde allí.",
        ):
            return redirect_back(request, reverse("customers:list"))
        return _after(request, pk, redirect("customers:detail", pk=pk), gone=reverse("customers:list"))
    refusal = ""
    try:
        services.check_trash(customer)
    except ValidationError as exc:
        if exc.code == "state":  # already in the Papelera: nothing to confirm
            messages.error(request, " ".join(exc.messages))
            return redirect("customers:detail", pk=pk)
        refusal = " ".join(exc.messages)  # the page says why and offers Desactivar
    context = {"customer": customer, "next": _safe_next(request), "refusal": refusal}
    return render(request, "customers/confirm_delete.html", context)


@require_POST
@permission_required("customers.restore_customer", raise_exception=True)
def customer_restore(request, pk):
    customer = _action_target(request, pk)
    if customer is None:
        return _gone(request, pk, reverse("customers:trash"))
    if _run(request, services.restore_customer, customer, f"Cliente «{customer.name}» restaurado."):
        return redirect("customers:detail", pk=pk)
    return _after(request, pk, redirect_back(request, reverse("customers:trash")), gone=reverse("customers:trash"))


@permission_required("customers.purge_customer", raise_exception=True)
def customer_purge(request, pk):
    """Eliminar definitivamente (Administrador, from the Papelera only): confirm, then delete."""
    customer = _action_target(request, pk)
    if customer is None:
        return redirect("customers:trash")
    if request.method == "POST":
        name = customer.name
        if _run(request, services.purge_customer, customer, f"Cliente «{name}» eliminado definitivamente."):
            return redirect("customers:trash")
        return _after(request, pk, redirect("customers:detail", pk=pk), gone=reverse("customers:trash"))
    try:
        services.check_purge(customer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:detail", pk=pk)
    return render(request, "customers/confirm_purge.html", {"customer": customer, "next": _safe_next(request)})


def _safe_next(request) -> str:
    target = request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()) else ""


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
        # The change left a note: the Notas tab reloads its first page (templates/customers/_notes.html).
        response = trigger_client_event(response, "notesChanged", {})
    return response


# --- addresses ---------------------------------------------------------------------------


@permission_required("customers.add_address", raise_exception=True)
def address_create(request, pk):
    customer = queries.get_customer_for_update(pk=pk)
    return _address_form(request, customer, address=None)


@permission_required("customers.change_address", raise_exception=True)
def address_update(request, pk, address_pk):
    customer = queries.get_customer_for_update(pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    return _address_form(request, customer, address=address)


def _address_form(request, customer, *, address):
    bound = request.method == "POST"
    form = AddressForm(request.POST if bound else None, customer=customer, address=address)
    if bound and form.is_valid():
        try:
            services.save_address(
                actor=request.user,
                customer=customer,
                data=form.service_data(),
                address=address,
                version=form.edit_version,
                changed=form.changed,
            )
        except StaleEdit as exc:
            form.show_stale(exc)
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
    customer = queries.get_customer_for_update(pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    try:
        services.make_default_address(actor=request.user, address=address)
    except ValidationError as exc:
        return _refresh_list(request, customer, kind="addresses", error=" ".join(exc.messages))
    return _refresh_list(request, customer, kind="addresses", message="Dirección predeterminada cambiada.")


@require_POST
@permission_required("customers.delete_address", raise_exception=True)
def address_delete(request, pk, address_pk):
    customer = queries.get_customer_for_update(pk=pk)
    address = queries.get_address(customer=customer, pk=address_pk)
    try:
        services.delete_address(actor=request.user, address=address)
    except ValidationError as exc:
        return _refresh_list(request, customer, kind="addresses", error=" ".join(exc.messages))
    return _refresh_list(request, customer, kind="addresses", message="Dirección eliminada.")


# --- contacts ----------------------------------------------------------------------------


@permission_required("customers.add_contact", raise_exception=True)
def contact_create(request, pk):
    customer = queries.get_customer_for_update(pk=pk)
    return _contact_form(request, customer, contact=None)


@permission_required("customers.change_contact", raise_exception=True)
def contact_update(request, pk, contact_pk):
    customer = queries.get_customer_for_update(pk=pk)
    contact = queries.get_contact(customer=customer, pk=contact_pk)
    return _contact_form(request, customer, contact=contact)


def _contact_form(request, customer, *, contact):
    bound = request.method == "POST"
    form = ContactForm(request.POST if bound else None, contact=contact)
    if bound and form.is_valid():
        try:
            services.save_contact(
                actor=request.user,
                customer=customer,
                data=form.service_data(),
                contact=contact,
                version=form.edit_version,
                changed=form.changed,
            )
        except StaleEdit as exc:
            form.show_stale(exc)
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
    customer = queries.get_customer_for_update(pk=pk)
    contact = queries.get_contact(customer=customer, pk=contact_pk)
    try:
        services.delete_contact(actor=request.user, contact=contact)
    except ValidationError as exc:
        return _refresh_list(request, customer, kind="contacts", error=" ".join(exc.messages))
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
    links = extensions.settings_links(request.user)  # sections of Configuración in other apps
    return render(request, "customers/settings.html", {"form": form, "lists": lists, "links": links})


def _choice_context(slug: str, **extra) -> dict:
    model, title, singular = CHOICE_LISTS[slug]
    row_errors = extra.pop("row_errors", {})
    row_typed = extra.pop("row_typed", {})
    items = queries.list_choices_with_usage(model)
    for item in items:
        item.errors = row_errors.get(item.pk, [])
        item.typed_name, item.typed_version = row_typed.get(item.pk, ("", ""))
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
    typed = form.cleaned_data.get("name", "")
    try:
        item = services.save_choice(
            actor=request.user,
            model=model,
            name=typed,
            instance=item,
            version=parse_version(request.POST.get("version")),
        )
    except StaleEdit as exc:
        # The row keeps the name typed, now against the current version: Renombrar again
        # renames on purpose.
        return _choice_response(
            request, slug, row_errors={item.pk: exc.messages}, row_typed={item.pk: (typed, exc.current_version)}
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


# --- RUC/DNI lookup (the lupa of the customer form) ----------------------------------------


@require_GET
def document_lookup(request):
    """JSON for static/js/customers.js: the registry's data of ?tipo=ruc|dni&numero=…, keyed
    by the form's field names, or a Spanish message saying why there is none. Every outcome
    of the lookup is a 200 with "ok"; only a wrong number (400) and the rate limit (429) differ.
    Never a 500: whatever breaks, the user types the data by hand."""
    kind = request.GET.get("tipo", "").strip().lower()
    number = request.GET.get("numero", "").strip()
    try:
        record = lookup.lookup_document(actor=request.user, kind=kind, number=number)
    except PermissionDenied:
        raise  # a 403, before anything is asked (lookup.may_look_up)
    except ValidationError as exc:
        return _lookup_failure("invalid", " ".join(exc.messages), status=400)
    except lookup.LookupRateLimited as exc:
        return _lookup_failure(exc.code, exc.message, status=429)
    except lookup.LookupFailed as exc:
        return _lookup_failure(exc.code, exc.message)
    except Exception:
        logger.exception("Consulta RUC/DNI: error inesperado")
        return _lookup_failure("unavailable", lookup.failure_message(kind, number))
    if not record.found:
        return _lookup_failure(
            "not_found",
            f"No se encontró el {record.label} {record.number} en el {record.source or 'padrón'}; "
            "verifique el número o ingrese los datos manualmente.",
        )
    return JsonResponse(_lookup_answer(record))


def _lookup_failure(error: str, message: str, *, status: int = 200) -> JsonResponse:
    return JsonResponse({"ok": False, "error": error, "message": message}, status=status)


def _lookup_answer(record) -> dict:
    fields = {}
    if record.first_names or record.last_names:
        fields.update(first_names=record.first_names, last_names=record.last_names)
    if record.kind == lookup.RUC:
        fields["business_name"] = record.name
        if record.street:
            fields["address_street"] = record.street
        district = lookup.resolve_district(record)
        if district is not None:
            fields["address_department"] = district.province.department_id
            fields["address_province"] = district.province_id
            fields["address_district"] = district.code
        fields.update(registry_status=record.status, registry_condition=record.condition)
        registry = " · ".join(v for v in (record.status, record.condition) if v)
        message = f"RUC {record.number}: {record.name}" + (f" — {registry}" if registry else "") + "."
        if record.street and district is None:
            message += " Elija departamento, provincia y distrito."
    else:
        fields.update(registry_status="", registry_condition="")
        message = f"DNI {record.number}: {record.name}."
        if not (record.first_names or record.last_names):
            message += " El padrón no separa nombres y apellidos: ingréselos."
    source = record.source or "consulta en línea"
    return {
        "ok": True,
        "tipo": record.kind,
        "numero": record.number,
        "fields": fields,
        "source": source,
        "message": f"{message} Fuente: {source}. Revise los datos y guarde.",
        "alert": record.alert,
        "cached": record.cached,
    }


# --- a phone as the form will save it ----------------------------------------------------------


@require_GET
def phone_check(request):
    """JSON for the phone rows of the customer form (static/js/customers.js): how the number
    typed will be saved ("4701234" -> "(01) 470 1234", a Lima landline), whether it is a
    landline (its WhatsApp flag is then asked about), or the Spanish message saying what is
    wrong. The same parsing as the services (peru.phones.parse_phone)."""
    user = request.user
    if not (user.has_perm("customers.add_customer") or user.has_perm("customers.change_customer")):
        raise PermissionDenied
    raw = request.GET.get("numero", "")[:60]
    department = request.GET.get("departamento", "").strip()[:2]
    try:
        phone = phones.parse_phone(raw, department=department)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "message": " ".join(exc.messages)})
    display = phones.national_format(phone.stored)
    note = f"Fijo de Lima: se guardará como {display}." if phone.assumed_lima else ""
    return JsonResponse({"ok": True, "display": display, "landline": phones.is_landline(phone.stored), "note": note})
