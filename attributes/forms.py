"""Forms of the attributes app: the fields each active attribute adds to the customer form
(customers.forms.CustomerForm calls add_attribute_fields), and the definition's side panel.
They parse and show errors; the rules live in attributes.services and attributes.values."""

from django import forms

from attributes import services, values
from attributes.models import HELP_MAX, NAME_MAX, AttributeDefinition
from peru.concurrency import VersionedFormMixin

Kind = AttributeDefinition.Kind


class LooseMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the service checks (and explains in Spanish), not the form."""

    def valid_value(self, value):
        return True


def _input(**attrs):
    return forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", **attrs})


def build_field(definition: AttributeDefinition) -> forms.Field:
    """The customer-form field of one attribute: the input its type needs, not required here
    (the service decides, also for the import and the API)."""
    kind = definition.kind
    common = {"required": False, "label": definition.name, "help_text": definition.help_text}
    if kind == Kind.LONG_TEXT:
        widget = forms.Textarea(attrs={"class": "form-control", "rows": 3, "maxlength": values.LONG_TEXT_MAX})
        return forms.CharField(strip=False, widget=widget, **common)
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        # Text, not <input type="number">: the browser would send "" for «1500,50» (a number
        # input in English) — the value lost without a word — and the service reads what was
        # typed by the rule of money (attributes.values.parse_number).
        return forms.CharField(widget=_input(inputmode="numeric" if kind == Kind.INTEGER else "decimal"), **common)
    if kind == Kind.DATE:
        # Text, not <input type="date">: the browser's picker follows the browser's language
        # (mm/dd/yyyy in an English Chrome), while the product writes dates dd/mm/aaaa.
        return forms.CharField(widget=_input(**values.DATE_INPUT_ATTRS), **common)
    if kind == Kind.BOOLEAN:
        choices = [("", "Sin respuesta"), ("si", "Sí"), ("no", "No")]
        return forms.CharField(widget=forms.Select(choices=choices, attrs={"class": "form-select"}), **common)
    if kind == Kind.CHOICE:
        choices = [("", "Elija…")] + [(o, o) for o in definition.options]
        return forms.CharField(widget=forms.Select(choices=choices, attrs={"class": "form-select"}), **common)
    if kind == Kind.MULTIPLE:
        return LooseMultipleChoiceField(
            choices=[(o, o) for o in definition.options],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **common,
        )
    if kind == Kind.EMAIL:
        return forms.CharField(
            widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}), **common
        )
    if kind == Kind.PHONE:
        return forms.CharField(widget=_input(type="tel", placeholder="987 654 321"), **common)
    if kind == Kind.URL:
        return forms.CharField(widget=_input(inputmode="url", placeholder="www.empresa.pe"), **common)
    if kind == Kind.DNI:
        return forms.CharField(widget=_input(inputmode="numeric", maxlength=8, spellcheck="false"), **common)
    if kind == Kind.RUC:
        return forms.CharField(widget=_input(inputmode="numeric", maxlength=11, spellcheck="false"), **common)
    return forms.CharField(widget=_input(maxlength=values.TEXT_MAX), **common)


def add_attribute_fields(form: forms.Form, customer=None) -> None:
    """One field "attr_<id>" per active attribute, in their order, with the customer's value."""
    definitions = services.active_definitions()
    form.attribute_definitions = definitions
    stored = (customer.attributes or {}) if customer is not None else {}
    for definition in definitions:
        form.fields[definition.field_name] = build_field(definition)
        if not form.is_bound:
            form.initial[definition.field_name] = values.input_value(definition, stored.get(definition.key))
    form.missing_attributes = services.missing_required(customer, definitions) if customer is not None else []


def attribute_data(form: forms.Form) -> dict:
    """{definition id: raw value} for services.clean_attribute_values (data["attributes"])."""
    data = {}
    for definition in getattr(form, "attribute_definitions", []):
        data[definition.key] = form.cleaned_data.get(definition.field_name)
    return data


def attribute_fields(form: forms.Form) -> list:
    """(definition, bound field) pairs for the template."""
    return [(d, form[d.field_name]) for d in getattr(form, "attribute_definitions", [])]


class DefinitionForm(VersionedFormMixin, forms.Form):
    kind = forms.CharField(
        required=False,
        widget=forms.Select(
            choices=[("", "Elija…"), *Kind.choices], attrs={"class": "form-select", "data-attr-kind": ""}
        ),
    )
    name = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "maxlength": NAME_MAX, "autocomplete": "off"}),
    )
    help_text = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "maxlength": HELP_MAX, "autocomplete": "off"}),
    )
    required = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    options = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 5})
    )
    min_value = forms.CharField(required=False, widget=_input(inputmode="decimal"))
    max_value = forms.CharField(required=False, widget=_input(inputmode="decimal"))

    def __init__(self, *args, definition: AttributeDefinition | None = None, **kwargs):
        self.definition = definition
        if definition is not None and not (args and args[0] is not None) and kwargs.get("data") is None:
            kwargs["initial"] = {
                "kind": definition.kind,
                "name": definition.name,
                "help_text": definition.help_text,
                "required": definition.required,
                "options": "\n".join(definition.options),
                "min_value": values.decimal_text(definition.min_value) if definition.min_value is not None else "",
                "max_value": values.decimal_text(definition.max_value) if definition.max_value is not None else "",
            }
        super().__init__(*args, **kwargs)
        if definition is not None:
            self.record_version = definition.version
            self.init_version()

    @property
    def current_kind(self) -> str:
        return str((self.data.get("kind") if self.is_bound else self.initial.get("kind")) or "")

    @property
    def shows_options(self) -> bool:
        return self.current_kind in (Kind.CHOICE, Kind.MULTIPLE)

    @property
    def shows_range(self) -> bool:
        return self.current_kind in (Kind.INTEGER, Kind.DECIMAL)

    def service_data(self) -> dict:
        return {f: self.cleaned_data.get(f) for f in self.fields if f not in ("version", "shown")}

    def apply_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                messages = [m for e in errors for m in e.messages]
                self.add_error(key if key in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"
