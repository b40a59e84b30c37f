"""Forms of the customer pages. They parse what the browser sent into the `data` dict the
services take and show the services' errors next to each field; they decide nothing
(every rule lives in customers.services)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from attributes.forms import add_attribute_fields, attribute_data
from customers import lookup, queries
from customers.countries import country_choices
from customers.models import Address, Customer
from customers.reference import DNI, RUC
from customers.services import (
    ADDRESS_LIMITS,
    CHOICE_NAME_MAX,
    CONTACT_LIMITS,
    MAX_LIST_ITEMS,
    SOCIAL_FIELDS,
    TEXT_LIMITS,
)
from peru.phones import national_format

# Which parts of the customer form each type shows. A spec is a list of alternatives separated
# by spaces, each alternative tokens joined by "+"; it matches when every token of one
# alternative is in the form's state (see CustomerForm.state). static/js/customers.js applies
# the same specs in the browser when the type changes.
SHOW_ADDRESS = "empresa extranjero reqaddr"  # the address section (templates/customers/form.html)

_PHONE_KEY = re.compile(r"^phone_number_(\d{1,3})$")
_EMAIL_KEY = re.compile(r"^email_(\d{1,3})$")


def matches(spec: str, state: set[str]) -> bool:
    spec = spec.strip()
    if not spec:
        return True
    return any(all(token in state for token in alternative.split("+")) for alternative in spec.split())


def _text(max_length=None, **attrs):
    widget_attrs = {"class": "form-control", **attrs}
    if max_length:
        widget_attrs["maxlength"] = max_length
    return forms.CharField(required=False, strip=False, widget=forms.TextInput(attrs=widget_attrs))


def _textarea(max_length=None, rows=3):
    attrs = {"class": "form-control", "rows": rows}
    if max_length:
        attrs["maxlength"] = max_length
    return forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs=attrs))


def _select(choices=(), **attrs):
    return forms.CharField(
        required=False, widget=forms.Select(choices=choices, attrs={"class": "form-select", **attrs})
    )


def cascade_ubigeo(form: forms.Form, department: str, province: str, district: str) -> None:
    """Departamento → provincia → distrito: choosing one loads the options of the next through
    htmx (customers:ubigeo_provinces / ubigeo_districts); the script empties the distrito
    when the departamento changes."""
    fields = form.fields
    fields[department].widget.attrs.update(
        {
            "hx-get": reverse("customers:ubigeo_provinces"),
            "hx-target": "#" + form[province].auto_id,
            "hx-trigger": "change",
            "hx-sync": "this:replace",
            "data-ubigeo": "department",
        }
    )
    fields[province].widget.attrs.update(
        {
            "hx-get": reverse("customers:ubigeo_districts"),
            "hx-target": "#" + form[district].auto_id,
            "hx-trigger": "change",
            "hx-sync": "this:replace",
            "data-ubigeo": "province",
        }
    )
    fields[district].widget.attrs["data-ubigeo"] = "district"
    values = [form._value(department), form._value(province)]
    fields[department].widget.choices = [("", "Elija…")] + queries.department_choices()
    fields[province].widget.choices = [("", "Elija…" if values[0] else "Elija el departamento")] + (
        queries.province_choices(values[0])
    )
    fields[district].widget.choices = [("", "Elija…" if values[1] else "Elija la provincia")] + (
        queries.district_choices(values[1])
    )


def _check():
    return forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class DocumentTypeSelect(forms.Select):
    """The SUNAT catálogo 06 select; each option says whether it is for foreigners so the
    browser can offer only the types that fit the customer."""

    def __init__(self, *args, foreign_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.foreign_codes = set(foreign_codes)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if value:
            option["attrs"]["data-foreign"] = "1" if value in self.foreign_codes else "0"
        return option


def _bound(args, kwargs) -> bool:
    return (args[0] if args else kwargs.get("data")) is not None


def _errors_to_form(form: forms.Form, error: ValidationError, aliases: dict | None = None) -> None:
    """Put a service's ValidationError on the form: dict keys on their fields (or on the
    pseudo-fields the template shows by name), anything else at the top."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = aliases.get(key, key)
            messages = [m for e in errors for m in e.messages]
            if field in form.fields:
                form.add_error(field, messages)
            elif field in form.extra_errors:
                form.extra_errors[field].extend(messages)
            else:
                form.add_error(None, messages)
    else:
        form.add_error(None, error.messages)


class ServiceForm(forms.Form):
    """A form whose rules live in a service: `apply_errors` shows what the service refused."""

    extra_error_names: tuple[str, ...] = ()
    error_aliases: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_errors = {name: [] for name in self.extra_error_names}

    def apply_errors(self, error: ValidationError) -> None:
        _errors_to_form(self, error, self.error_aliases)
        self.mark_invalid()

    def mark_invalid(self) -> None:
        """Bootstrap's invalid style and the error's id for screen readers on each field
        that has an error."""
        for name in self.errors:
            if name == "__all__" or name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    @property
    def has_any_error(self) -> bool:
        return bool(self.errors) or any(self.extra_errors.values())


class CustomerForm(ServiceForm):
    kind = forms.CharField(
        required=False,
        widget=forms.RadioSelect(choices=Customer.Kind.choices, attrs={"class": "form-check-input"}),
    )
    is_foreign = _check()
    document_type = forms.CharField(required=False)
    document_number = _text(20, autocomplete="off", inputmode="text", spellcheck="false")
    business_name = _text(TEXT_LIMITS["business_name"], autocomplete="organization")
    first_names = _text(TEXT_LIMITS["first_names"], autocomplete="given-name")
    last_names = _text(TEXT_LIMITS["last_names"], autocomplete="family-name")
    business_line = _text(TEXT_LIMITS["business_line"])
    country = _select()
    address_department = _select()
    address_province = _select()
    address_district = _select()
    address_street = _text(ADDRESS_LIMITS["street"], autocomplete="street-address")
    address_unit = _text(ADDRESS_LIMITS["unit"])
    address_reference = _text(ADDRESS_LIMITS["reference"])
    contact_name = _text(TEXT_LIMITS["contact_name"], autocomplete="off")
    note = _textarea(TEXT_LIMITS["note"], rows=2)
    category = _select()
    customer_class = _select()
    requests_detraction = _check()
    loyalty_enrolled = _check()
    additional_info = _textarea(TEXT_LIMITS["additional_info"])
    description = _textarea(TEXT_LIMITS["description"], rows=2)
    notification_emails = _text(None, placeholder="ventas@empresa.pe, pagos@empresa.pe", autocomplete="off")
    notification_whatsapp = _text(None, placeholder="987 654 321, 912 345 678", autocomplete="off")
    facebook = _text(300, placeholder="@usuario o https://www.facebook.com/…")
    instagram = _text(300, placeholder="@usuario o https://www.instagram.com/…")
    tiktok = _text(300, placeholder="@usuario o https://www.tiktok.com/@…")
    x = _text(300, placeholder="@usuario o https://x.com/…")
    linkedin = _text(300, placeholder="usuario o https://www.linkedin.com/…")
    youtube = _text(300, placeholder="@canal o https://www.youtube.com/@…")
    website = _text(300, placeholder="www.empresa.pe")
    # Estado and condición del contribuyente: filled by the RUC lookup (static/js/customers.js),
    # emptied when the number changes; the services keep them only for a RUC, and take them
    # and the time of the lookup from the server's own record of it (lookup.registry_answer).
    registry_status = forms.CharField(required=False, widget=forms.HiddenInput)
    registry_condition = forms.CharField(required=False, widget=forms.HiddenInput)

    extra_error_names = ("phones", "emails")
    # Hidden fields show no errors of their own: the registry's go under the number.
    error_aliases = {"registry_status": "document_number", "registry_condition": "document_number"}

    SOCIAL_FIELDS = [*SOCIAL_FIELDS, "website"]
    MORE_FIELDS = [
        "category",
        "customer_class",
        "requests_detraction",
        "loyalty_enrolled",
        "additional_info",
        "description",
        "notification_emails",
        "notification_whatsapp",
    ]

    def __init__(self, *args, settings, customer: Customer | None = None, **kwargs):
        self.settings = settings
        self.customer = customer
        if customer is not None and not _bound(args, kwargs):
            kwargs.setdefault("initial", self.initial_from(customer))
        super().__init__(*args, **kwargs)
        doc_types = queries.document_types()
        self.fields["document_type"].widget = DocumentTypeSelect(
            choices=[(t.code, t.name if t.for_foreigners else t.short_name) for t in doc_types],
            foreign_codes=[t.code for t in doc_types if t.for_foreigners],
            attrs={"class": "form-select", "data-doc-type": ""},
        )
        self.fields["country"].widget.choices = [("", "Elija el país…")] + [
            (code, name) for code, name in country_choices() if code != "PE"
        ]
        self.fields["category"].widget.choices = [("", "Sin categoría")] + queries.category_choices()
        self.fields["customer_class"].widget.choices = [("", "Sin clase")] + queries.class_choices()
        cascade_ubigeo(self, "address_department", "address_province", "address_district")
        if customer is None:
            self.initial.setdefault("kind", Customer.Kind.COMPANY)
            self.initial.setdefault("document_type", RUC)
        add_attribute_fields(self, customer)  # attr_<id>: Atributos adicionales

    # --- reading the browser's input ---------------------------------------------------

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(name) or "").strip()
        return str(self.initial.get(name) or "")

    @property
    def current_kind(self) -> str:
        value = self._value("kind")
        return value if value in Customer.Kind.values else Customer.Kind.COMPANY

    @property
    def foreign(self) -> bool:
        if self.is_bound:
            return self.fields["is_foreign"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("is_foreign")
            )
        return bool(self.initial.get("is_foreign"))

    @property
    def state(self) -> set[str]:
        """Tokens the SHOW_… specs test: the kind, peru/extranjero, reqaddr."""
        state = {self.current_kind, "extranjero" if self.foreign else "peru"}
        if self.settings.require_address:
            state.add("reqaddr")
        return state

    def shows(self, spec: str) -> bool:
        return matches(spec, self.state)

    def phone_rows(self) -> list[dict]:
        if self.is_bound:
            indexes = sorted(int(m.group(1)) for key in self.data if (m := _PHONE_KEY.match(key)))
            rows = [
                {
                    "number": str(self.data.get(f"phone_number_{i}") or ""),
                    "whatsapp": bool(self.data.get(f"phone_whatsapp_{i}")),
                }
                for i in indexes[: MAX_LIST_ITEMS * 2]
            ]
        else:
            rows = list(self.initial.get("phones") or [])
        rows = rows or [{"number": "", "whatsapp": False}]
        return [{**row, "index": i} for i, row in enumerate(rows)]

    def email_rows(self) -> list[dict]:
        if self.is_bound:
            indexes = sorted(int(m.group(1)) for key in self.data if (m := _EMAIL_KEY.match(key)))
            rows = [{"email": str(self.data.get(f"email_{i}") or "")} for i in indexes[: MAX_LIST_ITEMS * 2]]
        else:
            rows = [{"email": e} for e in self.initial.get("emails") or []]
        rows = rows or [{"email": ""}]
        return [{**row, "index": i} for i, row in enumerate(rows)]

    @property
    def lookup_configured(self) -> bool:
        return lookup.is_configured()

    @property
    def lookup_available(self) -> bool:
        """The lupa applies to a Peruvian RUC or DNI (the script follows later changes)."""
        return not self.foreign and self._value("document_type") in (RUC, DNI)

    @property
    def registry_alert(self) -> str:
        return lookup.registry_alert(self._value("registry_status"), self._value("registry_condition"))

    @property
    def more_open(self) -> bool:
        """Open the "Más datos" section when it holds something or an error."""
        values = self.data if self.is_bound else self.initial
        return any(values.get(f) for f in self.MORE_FIELDS) or any(f in self.errors for f in self.MORE_FIELDS)

    @property
    def social_open(self) -> bool:
        values = self.data if self.is_bound else self.initial
        return any(values.get(f) for f in self.SOCIAL_FIELDS) or any(f in self.errors for f in self.SOCIAL_FIELDS)

    # --- to and from the services ------------------------------------------------------

    def service_data(self) -> dict:
        """The dict create_customer/update_customer take: what the browser sent. Which fields
        a type keeps (a value typed under another type and then hidden) is the services' rule."""
        c = self.cleaned_data
        is_foreign = bool(c.get("is_foreign"))
        data = {
            "kind": self._value("kind"),
            "is_foreign": is_foreign,
            "document_type": c.get("document_type") or "",
            "document_number": c.get("document_number") or "",
            "business_name": c.get("business_name", ""),
            "first_names": c.get("first_names", ""),
            "last_names": c.get("last_names", ""),
            "business_line": c.get("business_line", ""),
            "contact_name": c.get("contact_name", ""),
            "country": c.get("country", ""),
            "note": c.get("note", ""),
            "phones": [
                {"number": row["number"], "whatsapp": row["whatsapp"]} for row in self.phone_rows() if row["number"]
            ],
            "emails": [row["email"] for row in self.email_rows() if row["email"].strip()],
            "registry_status": c.get("registry_status", ""),
            "registry_condition": c.get("registry_condition", ""),
        }
        for field in self.MORE_FIELDS + self.SOCIAL_FIELDS:
            data[field] = c.get(field)
        data["attributes"] = attribute_data(self)
        if self.shows(SHOW_ADDRESS):
            if is_foreign:
                data["address"] = {"street": c.get("address_street", ""), "reference": c.get("address_reference", "")}
            else:
                data["address"] = {
                    "department": c.get("address_department", ""),
                    "province": c.get("address_province", ""),
                    "district": c.get("address_district", ""),
                    "street": c.get("address_street", ""),
                    "unit": c.get("address_unit", ""),
                    "reference": c.get("address_reference", ""),
                }
        return data

    @staticmethod
    def initial_from(customer: Customer) -> dict:
        initial = {
            field: getattr(customer, field)
            for field in (
                "kind",
                "is_foreign",
                "document_number",
                "business_name",
                "first_names",
                "last_names",
                "business_line",
                "contact_name",
                "note",
                "requests_detraction",
                "loyalty_enrolled",
                "additional_info",
                "description",
                *SOCIAL_FIELDS,
                "website",
                "registry_status",
                "registry_condition",
            )
        }
        initial["document_type"] = customer.document_type_id
        initial["country"] = customer.country if customer.is_foreign else ""
        initial["category"] = str(customer.category_id or "")
        initial["customer_class"] = str(customer.customer_class_id or "")
        initial["notification_emails"] = ", ".join(customer.notification_emails)
        initial["notification_whatsapp"] = ", ".join(national_format(n) for n in customer.notification_whatsapp)
        initial["phones"] = [{"number": p.display, "whatsapp": p.whatsapp} for p in customer.phones.all()]
        initial["emails"] = [e.email for e in customer.emails.all()]
        address = customer.addresses.filter(is_default=True).select_related("district__province").first()
        if address is not None:
            initial["address_street"] = address.street
            initial["address_unit"] = address.unit
            initial["address_reference"] = address.reference
            if address.district_id:
                initial["address_district"] = address.district_id
                initial["address_province"] = address.district.province_id
                initial["address_department"] = address.district.province.department_id
        return initial

    def apply_errors(self, error: ValidationError) -> None:
        super().apply_errors(error)
        # The ubigeo error is about the three selects; show it under the district.
        for name in ("address_department", "address_province"):
            if name in self.errors and "address_district" not in self.errors:
                self.add_error("address_district", self.errors.pop(name))
        self.mark_invalid()

    # The blank row the "Agregar teléfono/correo" buttons copy (static/js/customers.js).
    template_row = {"index": "__i__", "number": "", "whatsapp": False, "email": ""}


class AddressForm(ServiceForm):
    kind = forms.CharField(
        required=False,
        initial=Address.Kind.DELIVERY,
        widget=forms.Select(choices=Address.Kind.choices, attrs={"class": "form-select"}),
    )
    department = _select()
    province = _select()
    district = _select()
    street = _text(ADDRESS_LIMITS["street"], autocomplete="street-address")
    unit = _text(ADDRESS_LIMITS["unit"])
    reference = _text(ADDRESS_LIMITS["reference"])
    is_default = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, customer: Customer, address: Address | None = None, **kwargs):
        self.customer = customer
        self.address = address
        if address is not None and not _bound(args, kwargs):
            initial = {
                "kind": address.kind,
                "street": address.street,
                "unit": address.unit,
                "reference": address.reference,
                "is_default": address.is_default,
            }
            if address.district_id:
                initial["district"] = address.district_id
                initial["province"] = address.district.province_id
                initial["department"] = address.district.province.department_id
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        cascade_ubigeo(self, "department", "province", "district")

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name)) or "").strip()
        return str(self.initial.get(name) or "")

    def service_data(self) -> dict:
        c = self.cleaned_data
        data = {f: c.get(f, "") for f in ("kind", "street", "unit", "reference")}
        data["is_default"] = bool(c.get("is_default"))
        if not self.customer.is_foreign:
            data.update({f: c.get(f, "") for f in ("department", "province", "district")})
        return data

    def apply_errors(self, error: ValidationError) -> None:
        super().apply_errors(error)
        for name in ("department", "province"):
            if name in self.errors and "district" not in self.errors:
                self.add_error("district", self.errors.pop(name))
        self.mark_invalid()


class ContactForm(ServiceForm):
    name = _text(CONTACT_LIMITS["name"], autocomplete="off")
    role = _text(CONTACT_LIMITS["role"], autocomplete="off")
    phones = _text(None, placeholder="987 654 321, 01 234 5678", autocomplete="off")
    emails = _text(None, placeholder="nombre@empresa.pe", autocomplete="off")
    note = _text(CONTACT_LIMITS["note"], autocomplete="off")

    def __init__(self, *args, contact=None, **kwargs):
        if contact is not None and not _bound(args, kwargs):
            kwargs["initial"] = {
                "name": contact.name,
                "role": contact.role,
                "phones": ", ".join(national_format(p) for p in contact.phones),
                "emails": ", ".join(contact.emails),
                "note": contact.note,
            }
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict:
        return {f: self.cleaned_data.get(f, "") for f in ("name", "role", "phones", "emails", "note")}


class CustomerSettingsForm(forms.Form):
    require_email = forms.BooleanField(
        label="Correo electrónico obligatorio",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    require_phone = forms.BooleanField(
        label="Teléfono obligatorio", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    require_address = forms.BooleanField(
        label="Dirección obligatoria (también para personas naturales y extranjeros)",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class ChoiceForm(ServiceForm):
    """Name of a categoría or clase (Configuración)."""

    name = _text(CHOICE_NAME_MAX, autocomplete="off")
