"""The customer list's search, filters and ordering: one FilterSet for the page, its htmx
refresh and (later) the export, so they never disagree.

Unknown values never fail: a filter the form rejects is left out (the page says so, next to
the filter), and the rest still apply.
"""

import re

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.functions import StrIndex
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from attributes import filters as attribute_filters
from customers import extensions
from customers.models import NOT_ACTIVE, NOT_FOUND, REGISTRY_ALERT, Category, Customer, CustomerClass, Department
from peru.text import dotless_initials, search_words, sort_key

# Longer search terms are cut here (the page says so): no name, document, e-mail or phone is
# this long, and every extra word is one more pattern for the database to match.
MAX_SEARCH_LENGTH = 100
# pg_trgm finds LIKE '%word%' through its index only when the word holds 3 letters or digits
# in a row (a trigram); for "ab" or "%%%" it would read the whole index and every row.
_TRIGRAM = re.compile(r"[^\W_]{3}")


def indexable(word: str) -> bool:
    return bool(_TRIGRAM.search(word))


def index_word(word: str) -> str | None:
    """What the trigram index can look for to find ``word``: the word itself, or for dotted
    initials ("s.a.c", "a.b.c.pe": no three letters in a row) the dotless copy the search column
    holds (peru.text.search_variants); None when neither has a trigram."""
    if indexable(word):
        return word
    return next((bare for bare in dotless_initials(word) if indexable(bare)), None)


STATUS_CHOICES = [("activos", "Activos"), ("suspendidos", "Suspendidos"), ("todos", "Todos")]
DEFAULT_STATUS = "activos"
# Estado/condición del contribuyente saved on the customer (the lupa, or the padrón's refresh).
PADRON_CHOICES = [
    ("alerta", "No activo o no habido"),
    ("no_activo", "No activo"),
    ("no_habido", "No habido o no hallado"),
]
KIND_CHOICES = [("empresa", "Empresa"), ("persona", "Persona natural"), ("extranjero", "Extranjero")]
# Orderings the list offers: each must have an index that returns rows in that order (see
# Customer.Meta.indexes), or a page of a million customers would sort the whole table.
ORDERINGS = {
    "nombre": ("sort_key", "id"),
    "-nombre": ("-sort_key", "-id"),
    # Customers without a document last in both directions: ascending walks
    # customer_document_asc_idx (no_document first in the key), descending walks
    # customer_document_sort_idx backwards, where "" is the smallest value anyway.
    "documento": ("no_document", "document_number", "id"),
    "-documento": ("-document_number", "-id"),
}
# The expression customer_document_asc_idx holds (the list sorts on it under this name).
NO_DOCUMENT = ExpressionWrapper(Q(document_number=""), output_field=BooleanField())
ORDER_CHOICES = [
    ("nombre", "Nombre (A-Z)"),
    ("-nombre", "Nombre (Z-A)"),
    ("documento", "Documento (ascendente)"),
    ("-documento", "Documento (descendente)"),
]
DEFAULT_ORDER = "nombre"


SEARCH_ATTRS = {
    "type": "search",
    "class": "form-control",
    "placeholder": "Nombre, documento, correo o teléfono",
    "autocomplete": "off",
    "spellcheck": "false",
    "aria-label": "Buscar clientes",
}


class SearchField(forms.CharField):
    """Any text; a term longer than MAX_SEARCH_LENGTH is cut, and the form says so."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.truncated = False

    def clean(self, value):
        value = super().clean(value)
        self.truncated = len(value) > MAX_SEARCH_LENGTH
        # NUL cannot reach PostgreSQL; nobody types it on purpose.
        return value[:MAX_SEARCH_LENGTH].replace("\x00", "")


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class FilterSelect(forms.Select):
    """A select of the filter bar, written straight to HTML: the same markup as Django's
    template-rendered Select (django/forms/widgets/select.html, option.html, attrs.html), which
    renders a template per option, 4 ms of every whole list page (bench/README.md)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(format_html('\n  <option value="{}"', str(option["value"])))
                parts.append(_attrs(option["attrs"]))
                parts.append(format_html(">{}</option>\n", option["label"]))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every part escaped by format_html)


class _PlainInput:
    """An input of the filter bar written straight to HTML, as FilterSelect: the markup of
    Django's django/forms/widgets/input.html and attrs.html, without their templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<input type="{}" name="{}"', widget["type"], widget["name"])]
        if widget["value"] is not None:
            parts.append(format_html(' value="{}"', str(widget["value"])))
        parts.extend((_attrs(widget["attrs"]), ">"))
        return mark_safe("".join(parts))  # noqa: S308  (every part escaped by format_html)


class FilterTextInput(_PlainInput, forms.TextInput):
    pass


class FilterCheckbox(_PlainInput, forms.CheckboxInput):
    pass


def _attrs(attrs: dict) -> str:
    # As attrs.html: False leaves the attribute out, True writes its name alone.
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class _ListedChoices(django_filters.fields.ModelChoiceIterator):
    """The options of a short table (categorías, clases) read by one plain query: Django's
    iterator reads them through a server-side cursor — DECLARE, FETCH, FETCH and CLOSE, four
    round trips for a dozen rows on every whole list page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class _ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _ListedChoices


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ListedModelChoiceField


class CustomerFilterSet(django_filters.FilterSet):
    q = SearchFilter(
        label="Buscar",
        method="filter_search",
        widget=FilterTextInput(attrs=SEARCH_ATTRS),
    )
    estado = django_filters.ChoiceFilter(
        label="Estado",
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label=None,
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    tipo = django_filters.ChoiceFilter(
        label="Tipo",
        choices=KIND_CHOICES,
        method="filter_kind",
        empty_label="Todos",
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    categoria = ListedModelChoiceFilter(
        label="Categoría",
        field_name="category",
        queryset=Category.objects.order_by("position", "name"),
        empty_label="Todas",
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    clase = ListedModelChoiceFilter(
        label="Clase",
        field_name="customer_class",
        queryset=CustomerClass.objects.order_by("position", "name"),
        empty_label="Todas",
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    departamento = django_filters.ChoiceFilter(
        label="Departamento",
        field_name="department_id",
        choices=lambda: sorted(Department.objects.values_list("code", "name"), key=lambda row: sort_key(row[1])),
        empty_label="Todos",
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    whatsapp = django_filters.BooleanFilter(
        label="Con WhatsApp",
        method="filter_whatsapp",
        widget=FilterCheckbox(attrs={"class": "form-check-input"}),
    )
    padron = django_filters.ChoiceFilter(
        label="Padrón SUNAT",
        choices=PADRON_CHOICES,
        method="filter_padron",
        empty_label="Todos",
        widget=FilterSelect(attrs={"class": "form-select"}),
    )
    detraccion = django_filters.BooleanFilter(
        label="Solicita detracción",
        method="filter_detraction",
        widget=FilterCheckbox(attrs={"class": "form-check-input"}),
    )
    orden = django_filters.ChoiceFilter(
        label="Orden",
        choices=ORDER_CHOICES,
        method="filter_order",
        empty_label=None,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        # The list opens on the active customers in alphabetical order: a missing (or
        # empty) estado or orden means those, also in a link that carries only a search.
        data = data.copy() if data is not None else {}
        for name, default in (("estado", DEFAULT_STATUS), ("orden", DEFAULT_ORDER)):
            if not data.get(name):
                data[name] = default
        super().__init__(data, *args, **kwargs)
        attribute_filters.add_attribute_filters(self)  # attr_<id>… (Atributos adicionales)
        # Filters of the apps above (the credit app's "Crédito"): customers.extensions.
        self.extension_filters = []
        for entry in extensions.list_filters():
            filter_ = entry.make_filter()
            filter_.model, filter_.parent = self._meta.model, self
            self.filters[entry.name] = filter_
            self.extension_filters.append(entry)

    # --- what the view and the page strategy need to know -------------------------------

    @property
    def search_term(self) -> str:
        return self.form.cleaned_data.get("q") or "" if self.is_valid_field("q") else ""

    @property
    def searching(self) -> bool:
        """A word is searched through the trigram index (customers.queries plans for it)."""
        return any(index_word(word) for word in search_words(self.search_term)) or attribute_filters.searching(self)

    @property
    def common_word(self):
        """(word, the list without the search) when the search is one word the trigram index
        looks for and nothing but the estado narrows the list; None otherwise. The list's
        count strategy (customers.queries.paginate_customers) checks that word's statistics."""
        words = search_words(self.search_term)
        if len(words) != 1 or index_word(words[0]) != words[0]:
            return None
        if self.active_filters != (self.status != DEFAULT_STATUS):
            return None  # another filter: the word's share of the whole list says nothing of it
        return words[0], self.filter_status(self.queryset, "estado", self.status)

    @property
    def short_search(self) -> bool:
        """No word with 3 letters or digits in a row: names that start so (the page says so)."""
        return bool(self.search_term) and not self.searching

    @property
    def search_truncated(self) -> bool:
        self.errors  # noqa: B018  (validates the form, which sets the flag)
        return self.form.fields["q"].truncated

    @property
    def ordering(self) -> str:
        return self.form.cleaned_data.get("orden") or DEFAULT_ORDER if self.is_valid_field("orden") else DEFAULT_ORDER

    @property
    def status(self) -> str:
        if self.is_valid_field("estado"):
            return self.form.cleaned_data.get("estado") or DEFAULT_STATUS
        return DEFAULT_STATUS

    @property
    def active_filters(self) -> int:
        """How many filters narrow the list beyond the search and the defaults (the phone
        layout shows it on the Filtros button, whose panel starts folded)."""
        self.errors  # noqa: B018  (validates the form: cleaned_data holds the valid filters)
        data = self.form.cleaned_data
        narrowing = ("tipo", "categoria", "clase", "departamento", "padron", "whatsapp", "detraccion")
        return (
            sum(bool(data.get(name)) for name in narrowing)
            + (data.get("estado", DEFAULT_STATUS) != DEFAULT_STATUS)
            + attribute_filters.active_count(self)
            + sum(bool(data.get(entry.name)) for entry in self.extension_filters)
        )

    @property
    def extension_fields(self) -> list:
        """(entry, bound form field) of each filter another app added (customers.extensions)."""
        return [(entry, self.form[entry.name]) for entry in self.extension_filters]

    def is_valid_field(self, name: str) -> bool:
        return name not in self.errors

    def invalid_filters(self) -> list[str]:
        """Labels of the filters left out because their value is not one of the choices."""
        # A bad orden falls back to the name order without a word: no visible filter holds it.
        return [self.form.fields[name].label for name in self.errors if name in self.form.fields and name != "orden"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A tampered estado or orden is left out by the form: fall back to the defaults.
        if not self.is_valid_field("estado"):
            queryset = self.filter_status(queryset, "estado", DEFAULT_STATUS)
        if not self.is_valid_field("orden"):
            queryset = self.filter_order(queryset, "orden", DEFAULT_ORDER)
        return queryset

    # --- filters ------------------------------------------------------------------------

    def filter_search(self, queryset, name, value):
        return search(queryset, value)

    def filter_status(self, queryset, name, value):
        if value == "activos":
            return queryset.filter(is_active=True)
        if value == "suspendidos":
            return queryset.filter(is_active=False)
        return queryset

    def filter_kind(self, queryset, name, value):
        if value == "extranjero":
            return queryset.filter(is_foreign=True)
        return queryset.filter(kind=value, is_foreign=False)

    def filter_whatsapp(self, queryset, name, value):
        # Unticked means "no condition", not "without WhatsApp". has_whatsapp copies the
        # phones' flags: an EXISTS over the phones costs a probe per candidate row.
        return queryset.filter(has_whatsapp=True) if value else queryset

    def filter_detraction(self, queryset, name, value):
        return queryset.filter(requests_detraction=True) if value else queryset

    def filter_padron(self, queryset, name, value):
        # Each is, or implies, the condition of the partial index customer_registry_alert_idx.
        return queryset.filter({"no_activo": NOT_ACTIVE, "no_habido": NOT_FOUND, "alerta": REGISTRY_ALERT}[value])

    def filter_order(self, queryset, name, value):
        order = ORDERINGS.get(value, ORDERINGS[DEFAULT_ORDER])
        if "no_document" in order:
            queryset = queryset.alias(no_document=NO_DOCUMENT)
        return queryset.order_by(*order)


_database_collation: list[str] = []  # read once per process


def _byte_order_collation() -> bool:
    """Whether the database orders text by code point (C, C.UTF-8, POSIX: the embedded
    PostgreSQL), where a key starts with ``p`` exactly when p <= key < p + U+10FFFF."""
    if not _database_collation:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            _database_collation.append(cursor.fetchone()[0])
    collation = _database_collation[0]
    return collation in ("C", "POSIX") or collation.startswith("C.")


def search(queryset, term: str):
    """Customers whose name, document, e-mail or phone contains every word of ``term``,
    ignoring case and accents (Customer.search_text is folded the same way)."""
    words = search_words(term)
    if words and not any(index_word(word) for word in words):
        # Too short for the trigram index, and in every row: names that start so,
        # through the sort key's btree (a range, which any collation orders).
        prefix = sort_key(term)
        queryset = queryset.filter(sort_key__gte=prefix, sort_key__lt=prefix + "\U0010ffff")
        if _byte_order_collation():
            # There the range holds exactly the keys that start so. LIKE 'ca%' as well would
            # be estimated apart from the range, as if independent: 10 rows for 15,000 at 1M,
            # and the planner then sorted every match to show 25 (190 ms; 1 ms in the index).
            return queryset
        return queryset.filter(sort_key__startswith=prefix)  # a linguistic collation may not
    for position, word in enumerate(words):
        key = index_word(word)
        if key:
            queryset = queryset.filter(search_text__contains=key)  # LIKE '%word%': the trigram index
        if key != word:
            # A short word next to a long one only narrows what the long one found; as
            # strpos() the planner cannot try the trigram index with it (a 2-letter word has
            # no trigram: the index would be read whole). Dotted initials found as "sac"
            # keep only the customers that hold "s.a.c" itself (not "Sacsayhuamán").
            alias = f"_short_word_{position}"
            queryset = queryset.alias(**{alias: StrIndex("search_text", Value(word))}).filter(**{f"{alias}__gt": 0})
    return queryset


class TrashFilterSet(django_filters.FilterSet):
    """The Papelera's search box (the same search as the list)."""

    q = SearchFilter(label="Buscar", method="filter_search", widget=forms.TextInput(attrs=SEARCH_ATTRS))

    class Meta:
        model = Customer
        fields: list[str] = []

    @property
    def search_truncated(self) -> bool:
        self.errors  # noqa: B018  (validates the form, which sets the flag)
        return self.form.fields["q"].truncated

    def filter_search(self, queryset, name, value):
        return search(queryset, value)
