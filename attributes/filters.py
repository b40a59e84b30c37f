"""Per-attribute filters of the customer list, added to customers.filters.CustomerFilterSet
(one FilterSet for the page, its htmx refresh and the future export). URL parameters:

- attr_<id>=…        texto, e-mail, URL, teléfono: contains (ignoring case and accents);
                     DNI/RUC: equal when complete, contains otherwise; "between quotes": equal;
                     lista / selección múltiple: the option; sí/no: si or no.
- attr_<id>_min / attr_<id>_max   número entero, decimal, fecha: a range (either end optional).

Equalities and ranges go through the attribute's own btree index (attributes.indexes), whose
statistics give the planner good estimates; selección múltiple through the GIN index
(attributes @> {"<id>": ["option"]}); contains through the trigram index of search_text, which holds
the folded text values (a cheap first cut), rechecked on the attribute's own value.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Lower, StrIndex

from attributes import values
from attributes.models import AttributeDefinition
from attributes.queries import attribute_value
from attributes.services import active_definitions
from peru.text import clean_spaces, fold, search_words

Kind = AttributeDefinition.Kind
YES_NO = [("si", "Sí"), ("no", "No")]
MAX_TERM = 100


class AttributeValueField(forms.CharField):
    """A bound (mín./máx.) typed as the attribute's own inputs are: the value to compare."""

    def __init__(self, *, definition, **kwargs):
        self.definition = AttributeDefinition(kind=definition.kind)  # without its range: any bound is fine
        kwargs["required"] = False
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return values.parse_value(self.definition, value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class AttributeValueFilter(django_filters.Filter):
    field_class = AttributeValueField


def _unaccent_lower(expression):
    return Func(Lower(expression), function="unaccent")


def _text_of(definition_id: int):
    """``attributes ->> '<id>'``: the value as text (see attributes.queries.attribute_value)."""
    return Func(F("attributes"), template=f"(%(expressions)s ->> '{int(definition_id)}')", output_field=TextField())


_TRIGRAM = re.compile(r"[^\W_]{3}")


def add_attribute_filters(filterset) -> None:
    """Add one filter (or a mín./máx. pair) per active attribute to ``filterset``'s filters.
    Call in the FilterSet's __init__, before its form is built."""
    definitions = active_definitions()
    filterset.attribute_definitions = definitions
    filterset.attribute_filter_names = []
    for definition in definitions:
        for name, filter_ in _filters_for(definition):
            filter_.model = filterset._meta.model
            filter_.parent = filterset
            filterset.filters[name] = filter_
            filterset.attribute_filter_names.append(name)


def _filters_for(definition: AttributeDefinition):
    key, name, label = definition.key, definition.field_name, definition.name
    if definition.is_ranged:
        is_date = definition.kind == Kind.DATE
        for suffix, op, bound in (("_min", "gte", "desde"), ("_max", "lte", "hasta")):
            attrs = {"class": "form-control form-control-sm", "aria-label": f"{label} {bound}"}
            if is_date:
                widget = forms.DateInput(attrs={**attrs, "type": "date"})
            else:
                widget = forms.TextInput(attrs={**attrs, "inputmode": "decimal", "autocomplete": "off"})
            yield (
                name + suffix,
                AttributeValueFilter(
                    label=f"{label} ({bound})",
                    definition=definition,
                    method=_range(key, op),
                    widget=widget,
                ),
            )
        return
    if definition.kind == Kind.BOOLEAN:
        yield (
            name,
            django_filters.ChoiceFilter(
                label=label,
                choices=YES_NO,
                empty_label="Todos",
                method=lambda qs, _n, v: _equal(qs, key, v == "si"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            ),
        )
        return
    if definition.has_options:
        multiple = definition.kind == Kind.MULTIPLE
        yield (
            name,
            django_filters.ChoiceFilter(
                label=label,
                choices=[(o, o) for o in definition.options],
                empty_label="Todas",
                method=lambda qs, _n, v: qs.filter(attributes__contains={key: [v]}) if multiple else _equal(qs, key, v),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            ),
        )
        return
    yield (
        name,
        django_filters.CharFilter(
            label=label,
            method=_contains(definition),
            max_length=MAX_TERM,
            widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "autocomplete": "off"}),
        ),
    )


def _equal(queryset, key: str, value):
    """``attributes -> '<id>' = value``: the attribute's own index, whose statistics tell the
    planner how common the value is (attributes.indexes)."""
    alias = f"_attr_{key}"
    field = queryset.model._meta.get_field("attributes")
    return queryset.alias(**{alias: attribute_value(int(key))}).filter(**{alias: Value(value, output_field=field)})


def _range(key: str, op: str):
    def method(queryset, name, value):
        if value is None:
            return queryset
        alias = f"_attr_{key}"
        return queryset.alias(**{alias: attribute_value(int(key))}).filter(
            **{f"{alias}__{op}": Value(value, output_field=queryset.model._meta.get_field("attributes"))}
        )

    return method


def _contains(definition: AttributeDefinition):
    key = definition.key

    def method(queryset, name, value):
        term = clean_spaces(value)
        if not term:
            return queryset
        exact = _exact(definition, term)
        if exact is not None:
            return _equal(queryset, key, exact) if exact else queryset
        words = search_words(term)
        for word in words:
            if _TRIGRAM.search(word):
                # A cheap first cut through the trigram index of search_text (which holds the
                # folded searchable values), then the exact test on this attribute's value.
                queryset = queryset.filter(search_text__contains=word)
        folded = fold(term) if definition.kind != Kind.PHONE else "".join(ch for ch in term if ch.isdigit())
        if not folded:
            return queryset
        alias = f"_attr_text_{key}"
        return queryset.alias(**{alias: StrIndex(_unaccent_lower(_text_of(int(key))), Value(folded))}).filter(
            Q(**{f"{alias}__gt": 0})
        )

    return method


def _exact(definition: AttributeDefinition, term: str):
    """The value to look for by equality ("between quotes", or a whole DNI/RUC), None for
    a "contiene" term; "" for empty quotes."""
    if len(term) > 1 and term[0] == term[-1] == '"':
        exact = term[1:-1].strip()
        return _normalized(definition, exact) if exact else ""
    if definition.kind in (Kind.DNI, Kind.RUC):
        digits = "".join(ch for ch in term if ch.isdigit())
        if len(digits) == (8 if definition.kind == Kind.DNI else 11):
            return digits
    return None


def _normalized(definition: AttributeDefinition, text: str):
    try:
        return values.parse_value(definition, text)
    except ValidationError:
        return text


def searching(filterset) -> bool:
    """Whether a "contiene" filter of an attribute is applied with a word of 3+ letters: then
    the list is planned as a search (trigram index; customers.queries.paginate_customers)."""
    filterset.errors  # noqa: B018  (validates the form: cleaned_data holds the valid filters)
    data = getattr(filterset.form, "cleaned_data", {}) or {}
    for definition in getattr(filterset, "attribute_definitions", []):
        if definition.is_ranged or definition.has_options or definition.kind == Kind.BOOLEAN:
            continue
        term = clean_spaces(data.get(definition.field_name) or "")
        if _exact(definition, term) is not None:
            continue  # an equality: the GIN index, planned as any filter
        if any(_TRIGRAM.search(word) for word in search_words(term)):
            return True
    return False


def active_count(filterset) -> int:
    data = getattr(filterset.form, "cleaned_data", {}) or {}
    return sum(1 for name in getattr(filterset, "attribute_filter_names", []) if data.get(name) not in (None, ""))
