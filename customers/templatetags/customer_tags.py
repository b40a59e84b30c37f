"""Template helpers of the customer pages."""

from django import template
from django.utils.html import format_html

from customers.countries import country_name as _country_name
from customers.phones import national_format

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
