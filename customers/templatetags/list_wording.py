"""What the customer list and the Papelera say above and in place of their results: a count
that names what it counts (the list opens on the active customers only, so "288 clientes"
would hide the suspended ones), and empty states that name only what the user chose."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from customers import exporting
from customers.filters import DEFAULT_STATUS
from customers.templatetags.list_tags import about

register = template.Library()

# estado -> (singular, plural) of what the list holds.
_NOUNS = {
    "activos": ("cliente activo", "clientes activos"),
    "suspendidos": ("cliente suspendido", "clientes suspendidos"),
    "todos": ("cliente", "clientes"),
}


def _nouns(filterset) -> tuple[str, str]:
    return _NOUNS.get(filterset.status, _NOUNS[DEFAULT_STATUS])


@register.simple_tag
def result_count(page, filterset) -> str:
    """The count line of the list: exact, estimated or capped, always naming the estado."""
    singular, plural = _nouns(filterset)
    if page.timed_out:
        return "Búsqueda detenida"
    if page.count_exact:
        return f"{intcomma(page.count)} {singular if page.count == 1 else plural}"
    if page.estimate and page.estimate > page.count:
        return format_html(
            'Unos {} {} <span class="fw-normal text-body-secondary small">(cifra estimada)</span>',
            about(page.estimate),
            plural,
        )
    return f"Más de {intcomma(page.count)} {plural}"


def _other_filters(filterset) -> int:
    """Chosen filters besides the estado (which the count line already names)."""
    return filterset.active_filters - (filterset.status != DEFAULT_STATUS)


@register.simple_tag
def nothing_to_export(filterset) -> str:
    return exporting.nothing_to_export(filterset)


@register.inclusion_tag("customers/_list_empty.html", takes_context=True)
def list_empty_state(context, page, filterset):
    """What an empty list says: only the search and the filters the user chose, each with a
    way out."""
    term = filterset.search_term
    status = filterset.status
    singular, _ = _nouns(filterset)
    list_url = reverse("customers:list")
    state = {
        "perms": context.get("perms"),
        "first_customer": context.get("first_customer"),
        "timed_out": page.timed_out,
        "term": term,
        "noun": singular,
        "filters": _other_filters(filterset) > 0,
        "status": status,
        "list_url": list_url,
    }
    # The ways out keep the estado chosen (a link to the bare list would go back to activos).
    kept = {"estado": status} if status != DEFAULT_STATUS else {}
    state["unfiltered_url"] = _url(list_url, {"q": term, **kept} if term else kept)
    if term and status != "todos":
        # The same search over every customer: it may be among the others.
        state["everywhere_url"] = _url(list_url, {"q": term, "estado": "todos"})
    return state


def _url(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path


@register.simple_tag
def trash_count(page, filterset) -> str:
    """The Papelera's count line: what the search found in it, or how many it holds."""
    count = page.paginator.count
    term = filterset.form.cleaned_data.get("q") if filterset.is_valid() else ""
    if term:
        if count == 0:
            return format_html("Ningún cliente de la Papelera coincide con «{}»", term)
        verb = "coincide" if count == 1 else "coinciden"
        noun = "cliente" if count == 1 else "clientes"
        return format_html("{} {} de la Papelera {} con «{}»", intcomma(count), noun, verb, term)
    if count == 0:
        return "La Papelera está vacía"
    return f"{intcomma(count)} {'cliente' if count == 1 else 'clientes'} en la Papelera"
