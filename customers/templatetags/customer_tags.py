"""Template helpers of the customer pages."""

from django import template
from django.utils.html import format_html

from customers import lookup
from customers.countries import country_name as _country_name
from peru.phones import national_format

register = template.Library()


@register.simple_tag
def show(form, spec):
    """`data-show` for static/js/customers.js, plus `hidden` when the form's current type
    does not show the element, so the page is right before any script runs."""
    if form.shows(spec):
        return format_html(' data-show="{}"', spec)
    return format_html(' data-show="{}" hidden', spec)


@register.filter
def country_name(code):
    return _country_name(code)


@register.filter
def phone(value):
    """E.164 → Peru's national format (international for foreign numbers)."""
    return national_format(value)


@register.filter
def wa_link(value):
    return "https://wa.me/" + str(value).lstrip("+")


@register.filter
def registry_alert(customer) -> str:
    """The customer's RUC warning as a sentence ("Contribuyente NO HABIDO"), or ""."""
    return lookup.registry_alert(customer.registry_status, customer.registry_condition)


@register.simple_tag
def registry_badge(customer):
    """A warning badge for a RUC in estado other than ACTIVO or condición NO HABIDO / NO
    HALLADO (customers.lookup.registry_flags); nothing otherwise. Reads only the customer's
    own columns, so a list of customers costs no extra query."""
    flags = lookup.registry_flags(customer.registry_status, customer.registry_condition)
    if not flags:
        return ""
    return format_html(
        '<span class="badge text-bg-warning registry-alert" title="{}">'
        '<span aria-hidden="true">⚠</span> <span class="visually-hidden">Padrón SUNAT:</span> {}</span>',
        lookup.registry_alert(customer.registry_status, customer.registry_condition),
        " · ".join(flags),
    )
