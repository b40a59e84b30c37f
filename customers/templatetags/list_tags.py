"""Template helpers of the customer list and the Papelera: links that keep the search and the
filters of the current URL, for column sorting and pages (plain links, refreshed by htmx)."""

from django import template
from django.utils.html import format_html

from customers.filters import DEFAULT_ORDER

register = template.Library()


def _url(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


@register.simple_tag(takes_context=True)
def page_url(context, number, after=None, before=None) -> str:
    """The link to page ``number``; in a list too long to count, Siguiente passes the id of
    the page's last row (``after``) and Anterior that of its first (``before``), so the next
    page starts there through the index (customers.queries.page_cursor)."""
    first = number == 1
    return _url(
        context["request"],
        page=None if first else str(number),
        tras=None if first or after is None else str(after),
        antes=None if first or before is None else str(before),
    )


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, locked: bool = False):
    """A column title that sorts by ``key`` (ascending, or descending when it already sorts
    ascending), back to page 1. ``locked``: the results cannot be sorted (too many)."""
    current = context.get("ordering") or DEFAULT_ORDER
    if locked:
        return format_html('<span title="Afine la búsqueda para ordenar por esta columna">{}</span>', label)
    ascending, descending = current == key, current == f"-{key}"
    target = f"-{key}" if ascending else key
    url = _url(context["request"], orden=target, page=None, tras=None, antes=None)
    arrow = " ▲" if ascending else " ▼" if descending else ""
    hint = "descendente" if ascending else "ascendente"
    return format_html(
        '<a class="sort-link" href="{url}" hx-get="{url}" hx-target="#results" hx-push-url="true" '
        'title="Ordenar {hint}">{label}<span aria-hidden="true">{arrow}</span></a>',
        url=url,
        hint=hint,
        label=label,
        arrow=arrow,
    )


@register.simple_tag(takes_context=True)
def aria_sort(context, key: str) -> str:
    current = context.get("ordering") or DEFAULT_ORDER
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.filter
def about(number) -> str:
    """An estimate rounded to two significant digits, with Peru's thousands comma: 962,450 ->
    '960,000'."""
    number = int(number or 0)
    if number >= 100:
        digits = len(str(number)) - 2
        number = round(number, -digits)
    return f"{number:,}"


@register.simple_tag
def export_query(request, file_format: str) -> str:
    """The list's query (search, filters, order) for the export link, without the page."""
    params = request.GET.copy()
    params.pop("page", None)
    params["formato"] = file_format
    return params.urlencode()
