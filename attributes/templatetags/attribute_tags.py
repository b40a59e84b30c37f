"""Template helpers of the Atributos adicionales: the customer form's fields, the summary's
values and the list's filters, each rendered by its own partial in templates/attributes/."""

from django import template

from attributes import services, values
from attributes.forms import attribute_fields

register = template.Library()


@register.inclusion_tag("attributes/_form_fields.html")
def attribute_form_fields(form):
    return {"form": form, "fields": attribute_fields(form), "missing": getattr(form, "missing_attributes", [])}


@register.inclusion_tag("attributes/_tab.html", takes_context=True)
def attribute_values(context, customer):
    definitions = services.active_definitions()
    stored = customer.attributes or {}
    rows = [
        {
            "definition": d,
            "text": values.format_value(d, stored.get(d.key)),
            "missing": d.required and d.key not in stored,
        }
        for d in definitions
    ]
    return {
        "rows": rows,
        "customer": customer,
        "missing": [row["definition"] for row in rows if row["missing"]],
        "perms": context.get("perms"),
        "editable": context.get("editable"),
    }


@register.inclusion_tag("attributes/_filters.html")
def attribute_filters(filterset):
    form = filterset.form
    groups = []
    for definition in getattr(filterset, "attribute_definitions", []):
        if definition.is_ranged:
            names = [definition.field_name + "_min", definition.field_name + "_max"]
        else:
            names = [definition.field_name]
        groups.append({"definition": definition, "fields": [form[name] for name in names if name in form.fields]})
    return {"groups": groups, "active": any(f.value() for g in groups for f in g["fields"])}
