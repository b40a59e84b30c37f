"""Django admin for the credit app.

Comprobantes, pagos and proyectos are registered and corrected here through the same
services as the app's panels (credit.services, credit.corrections): each add or change form
calls its service from clean(), inside a savepoint, so a refusal shows as a Spanish error at
its field and nothing is written; delete calls the service too, and a refusal comes back as
a message on the object's page. Balance rows, points and requests are read-only here. The
Configuración lists go through the same services as the app's Configuración page.

The admin is open to staff users and the Administrador role (config.auth.can_use_admin); what
each may do is its role's permissions: Créditos and Administrador write, Ventas and Consulta
only read.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse

from credit import corrections, services
from credit.models import (
    CreditAccount,
    CreditRequest,
    Document,
    Payment,
    PaymentTerm,
    PointsMovement,
    PriceList,
    Project,
)


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceForm(forms.ModelForm):
    """A ModelForm whose saving is a service call made while validating: the service's
    ValidationError becomes errors at the form's fields (or above the form), inside a
    savepoint rolled back on refusal. `run(data)` returns the saved object; the admin's own
    model validation (_post_clean) is left to the service."""

    request = None  # set by ServiceAdmin.get_form
    # A service's field name → the form's, where they differ.
    field_names: dict[str, str] = {}

    def run(self, data: dict):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.instance = self.run(data)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            for field, field_messages in errors.items():
                field = self.field_names.get(field, field)
                self.add_error(field if field in self.fields else None, field_messages)
        return data

    def _post_clean(self):
        pass


class ServiceAdmin(admin.ModelAdmin):
    """Add and change through `add_form` / `change_form` (ServiceForm), delete through
    `delete_service(actor=…, <model_name>=obj)`; no bulk delete (it would skip the rules)."""

    add_form = change_form = None
    add_fields: list[str] = []
    change_fields: list[str] = []
    delete_service = None
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        if not self.has_change_permission(request, obj):
            # Read-only page: the model's fields only (not the form's extra ones, such as Anular).
            return [f for f in self.change_fields if f not in self.change_form.declared_fields]
        return self.change_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        editable = set(self.change_form.base_fields) | set(self.change_form.declared_fields)
        return [f for f in self.change_fields if f not in editable]

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = self.change_form if obj else self.add_form
        kwargs["form"] = type(base.__name__, (base,), {"request": request})
        kwargs["fields"] = [f for f in self.get_fields(request, obj) if f not in self.get_readonly_fields(request, obj)]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # the form's service saved it while validating

    def save_related(self, request, form, formsets, change):
        pass

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        self.delete_service(actor=request.user, **{self.opts.model_name: obj})

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_delete_permission(request, obj) or request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        # Confirmed: the service decides (Django's own page would list PROTECT references in its terms).
        label = str(obj)
        try:
            with transaction.atomic():
                self.log_deletions(request, [obj])
                self.delete_model(request, obj)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]))
        self.message_user(request, f"{self.opts.verbose_name.capitalize()} «{label}» eliminado.", messages.SUCCESS)
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))


def amount_field(label, **kwargs):
    # Text: the service reads "1,250.00" as people type it (Django's DecimalField would refuse the comma).
    return forms.CharField(label=label, max_length=30, **kwargs)


class DocumentAddForm(ServiceForm):
    total = amount_field("Total")
    exchange_rate = amount_field("Tipo de cambio", required=False, help_text="Solo comprobantes en dólares.")

    class Meta:
        model = Document
        fields = [
            "customer",
            "doc_type",
            "series",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "exchange_rate",
            "total",
            "project",
            "related",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].required = False
        self.fields["due_date"].help_text = "Vacía: la fecha de emisión (contado)."

    def run(self, data):
        values = {k: v for k, v in data.items() if k != "customer"}
        return services.register_document(actor=self.request.user, customer=data["customer"], data=values)


class DocumentChangeForm(ServiceForm):
    void = forms.BooleanField(label="Anular este comprobante", required=False)
    void_reason = forms.CharField(label="Motivo de la anulación", required=False, max_length=300)
    field_names = {"reason": "void_reason"}

    class Meta:
        model = Document
        fields = ["due_date", "project"]

    def run(self, data):
        document = corrections.correct_document(actor=self.request.user, document=self.instance, data=data)
        if data.get("void"):
            document = services.void_document(
                actor=self.request.user, document=document, reason=data.get("void_reason")
            )
        elif (data.get("void_reason") or "").strip():
            raise ValidationError({"void": "Marque «Anular» si quiere anular el comprobante."})
        return document


@admin.register(Document)
class DocumentAdmin(ServiceAdmin):
    list_display = [
        "__str__",
        "customer",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "paid",
        "credited",
        "is_voided",
    ]
    list_filter = ["doc_type", "currency", "is_voided"]
    search_fields = ["series", "customer__name"]
    raw_id_fields = ["customer", "related", "project"]
    list_select_related = ["customer"]
    add_form, change_form = DocumentAddForm, DocumentChangeForm
    add_fields = DocumentAddForm.Meta.fields
    change_fields = [
        "customer",
        "doc_type",
        "series",
        "number",
        "issue_date",
        "currency",
        "exchange_rate",
        "total",
        "related",
        "paid",
        "credited",
        "is_voided",
        "due_date",
        "project",
        "void",
        "void_reason",
    ]
    delete_service = staticmethod(corrections.delete_document)


class PaymentAddForm(ServiceForm):
    amount = amount_field("Monto")

    class Meta:
        model = Payment
        fields = ["document", "date", "amount", "method", "reference"]

    def run(self, data):
        values = {k: v for k, v in data.items() if k != "document"}
        return services.register_payment(actor=self.request.user, document=data["document"], data=values)


class PaymentChangeForm(ServiceForm):
    class Meta:
        model = Payment
        fields = ["date", "method", "reference"]

    def run(self, data):
        return corrections.correct_payment(actor=self.request.user, payment=self.instance, data=data)


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    list_display = ["document", "date", "amount", "method", "reference"]
    raw_id_fields = ["document"]
    list_select_related = ["document", "method"]
    add_form, change_form = PaymentAddForm, PaymentChangeForm
    add_fields = PaymentAddForm.Meta.fields
    change_fields = ["document", "amount", "date", "method", "reference"]
    delete_service = staticmethod(corrections.delete_payment)


class ProjectAddForm(ServiceForm):
    class Meta:
        model = Project
        fields = ["customer", "code", "name", "is_active"]

    def run(self, data):
        return services.save_project(actor=self.request.user, customer=data["customer"], data=data)


class ProjectChangeForm(ServiceForm):
    class Meta:
        model = Project
        fields = ["code", "name", "is_active"]

    def run(self, data):
        project = Project.objects.get(pk=self.instance.pk)
        return services.save_project(actor=self.request.user, customer=project.customer, data=data, project=project)


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = ["code", "name", "customer", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]
    add_form, change_form = ProjectAddForm, ProjectChangeForm
    add_fields = ProjectAddForm.Meta.fields
    change_fields = ["customer", "code", "name", "is_active"]
    delete_service = staticmethod(corrections.delete_project)


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["customer", "credit_limit", "balance", "open_documents", "oldest_due_date", "is_blocked"]
    list_filter = ["is_blocked"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(PointsMovement)
class PointsMovementAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["customer", "kind", "points", "expires_on", "reason", "created_at"]
    raw_id_fields = ["customer", "document"]


@admin.register(CreditRequest)
class CreditRequestAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["customer", "amount", "status", "requested_by", "requested_at", "approved_amount"]
    list_filter = ["status"]
    raw_id_fields = ["customer"]


class ListItemAdmin(admin.ModelAdmin):
    """Listas de precios and formas de pago, saved and deleted through credit.services."""

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data.get(f) for f in ("name", "position", "is_active", "kind", "term_days")}
        original = type(obj).objects.get(pk=obj.pk) if change else None
        saved = services.save_list_item(actor=request.user, model=type(obj), item=original, data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            services.delete_list_item(actor=request.user, item=obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(PriceList)
class PriceListAdmin(ListItemAdmin):
    list_display = ["name", "is_active", "position"]
    fields = ["name", "is_active", "position"]


@admin.register(PaymentTerm)
class PaymentTermAdmin(ListItemAdmin):
    list_display = ["name", "kind", "term_days", "is_active", "position"]
    fields = ["name", "kind", "term_days", "is_active", "position"]
