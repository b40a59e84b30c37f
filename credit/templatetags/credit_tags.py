from django import template

from credit.money import format_money

register = template.Library()


@register.filter
def money(amount, currency="PEN"):
    """{{ amount|money }} → "S/ 1,234.50"; {{ amount|money:"USD" }} → "US$ 1,234.50"."""
    return format_money(amount, currency or "PEN")


@register.filter
def field_errors(errors, name):
    """The messages of one field in a views' errors dict (empty list when none)."""
    return (errors or {}).get(name, [])


@register.filter
def doc_status(document, today):
    return document.status_on(today)


@register.filter
def points_value(points, program):
    """What a balance of points is worth in soles."""
    from decimal import Decimal

    return (Decimal(points or 0) * program.point_value).quantize(Decimal("0.01"))
