from django import template

from padron import queries

register = template.Library()


@register.inclusion_tag("padron/_name_search.html", takes_context=True)
def padron_name_search(context):
    """The customer form's «Buscar por razón social en el padrón», when a padrón is loaded."""
    load = queries.current_load()
    return {"load": load}
