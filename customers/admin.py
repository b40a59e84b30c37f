"""Django admin for every model of the customers app.

Customers, their addresses, phones, e-mails and contacts are shown read-only here: their
rules live in customers.services and the app's forms call them, so the admin links to the
app's edit page instead of offering a second, rule-free way to change them. Categories,
classes and the settings go through the same services as the Configuración page.
"""

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm, SelectableFieldsExportForm
from import_export.results import RowResult
from simple_history.admin import SimpleHistoryAdmin

from customers import exporting, services, uploads
from customers.models import (
    Address,
    Category,
    Contact,
    Customer,
    CustomerClass,
    CustomerEmail,
    CustomerNote,
    CustomerPhone,
    CustomerSettings,
    Department,
    District,
    DocumentType,
    Province,
)
from customers.resources import CustomerResource, UploadedSpreadsheet
from customers.spreadsheets import ACCEPT, FORMATS


class SpanishFileInput(forms.FileInput):
    """A file input that says «Elegir archivo» and «Ningún archivo elegido» whatever the
    browser's language (its own follows it): the input is visually hidden, still focusable,
    and a label for it shows the chosen file's name (static/js/file-picker.js, shared with the
    app's Importar page)."""

    EMPTY = "Ningún archivo elegido"

    class Media:
        css = {"all": ["css/admin-file-picker.css"]}
        js = ["js/file-picker.js"]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        input_id = attrs.get("id") or f"id_{name}"
        attrs.update(id=input_id, **{"class": "file-picker-input", "aria-describedby": f"{input_id}_nombre"})
        return format_html(
            '<span class="file-picker">{}<label class="file-picker-face" for="{}" aria-hidden="true">'
            '<span class="file-picker-button">Elegir archivo</span>'
            '<span class="file-picker-name" id="{}_nombre" data-file-name-for="{}" data-empty="{}">{}</span>'
            "</label></span>",
            super().render(name, value, attrs, renderer),
            input_id,
            input_id,
            input_id,
            self.EMPTY,
            self.EMPTY,
        )


def _upload_refused(request, message, **kwargs):
    """A file over the import's size limit, refused while it arrived (customers.uploads), before
    django-import-export copied it to its temporary storage: the import page again, the message
    above its form."""
    messages.error(request, message)
    return redirect(request.get_full_path())


class CustomerImportForm(ImportForm):
    """django-import-export's form in Peru's words: its Spanish catalogue says «Fichero» (Spain)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = f"Archivo a importar ({FORMATS})"
        self.fields["import_file"].widget = SpanishFileInput(attrs={"accept": ACCEPT})
        self.fields["format"].label = "Formato"
        # Django's own file messages, which its Spanish catalogue also words for Spain.
        self.fields["import_file"].error_messages.update(
            empty="El archivo está vacío.",
            missing=f"Elija el archivo que quiere importar ({FORMATS}).",
            invalid=f"Elija el archivo que quiere importar ({FORMATS}).",
        )


class CustomerExportForm(SelectableFieldsExportForm):
    """The export's formats in words, the first (Excel) chosen: django-import-export puts «---»
    before two or more formats, a choice the form then refuses. (Only the choices' words: a
    format's title is its name for tablib.)"""

    WORDS = {"xlsx": "Excel (.xlsx)", "csv": "CSV (.csv, UTF-8)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        field.label = "Formato"
        field.choices = [(value, self.WORDS.get(str(title), title)) for value, title in field.choices if value != ""]
        field.initial = field.choices[0][0]


class ReadOnlyAdminMixin:
    """Viewable by those with the view permission; changed only through the app."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """The object's history ("Historial"), read-only: SIMPLE_HISTORY_REVERT_DISABLED hides the
    revert button, and a crafted POST to a version's page is refused too (reverting goes
    through customers.services.revert_customer, with its rules and note)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class AddressInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Address
    fields = ["kind", "street", "unit", "district", "country", "is_default"]
    extra = 0


class PhoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CustomerPhone
    fields = ["number", "whatsapp"]
    extra = 0


class EmailInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CustomerEmail
    fields = ["email"]
    extra = 0


class ContactInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Contact
    fields = ["name", "role", "phones", "emails"]
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ImportExportMixin, ReadOnlyHistoryAdmin):
    # Importar / Exportar through django-import-export with the app's own rules
    # (customers.resources); permissions customers.import_customer / export_customer
    # (settings.IMPORT_EXPORT_*_PERMISSION_CODE).
    resource_classes = [CustomerResource]
    # The spreadsheet formats of the app's Importar page and Descargar CSV / Excel (not TSV,
    # JSON or HTML), read as the app reads them (customers.resources); the CSV exported in UTF-8
    # with a BOM, as the list's, so Excel opens accents right.
    import_formats = [UploadedSpreadsheet]
    import_form_class = CustomerImportForm
    export_formats = [XLSX, CSV]
    export_form_class = CustomerExportForm
    to_encoding = "utf-8-sig"
    # Each imported customer gets its history record and note; a LogEntry per row would repeat them.
    skip_admin_log = True
    list_display = ["name", "document_type", "document_number", "email", "phone", "is_active", "app_link"]
    list_filter = ["kind", "is_foreign", "is_active", "document_type", "category"]
    search_fields = ["name", "document_number", "email"]
    list_select_related = ["document_type"]
    inlines = [AddressInline, PhoneInline, EmailInline, ContactInline]
    list_per_page = 50
    show_full_result_count = False  # an exact COUNT(*) of a million rows on every page is too slow

    def get_export_filename(self, request, queryset, file_format):
        """The list's name for the file («clientes-2026-12-02.xlsx»), not the model's English one."""
        return exporting.file_name(file_format.get_extension())

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The Excel file is the list's Descargar Excel (customers.exporting): amounts and dates
        as numbers with their formats, the columns wide enough. tablib's would hold them as text
        («2000.00», «15/03/2024»: no sum, no date order). The CSV goes through the resource."""
        if not isinstance(file_format, XLSX):
            return super().get_export_data(file_format, request, queryset, **kwargs)
        if not self.has_export_permission(request):
            raise PermissionDenied
        buffer = io.BytesIO()
        exporting.write_export_xlsx(queryset, buffer, user=request.user)
        return buffer.getvalue()

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def add_success_message(self, result, request):
        """«Importación terminada: 1 cliente creado, 2 actualizados y 0 sin cambios.» rather than
        django-import-export's «1 nuevos, … 0 eliminados» (an import here deletes nothing)."""
        created, updated, unchanged = (
            result.totals[kind]
            for kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP)
        )
        messages.success(
            request,
            f"Importación terminada: {created:,} cliente{pluralize(created)} creado{pluralize(created)}, "
            f"{updated:,} actualizado{pluralize(updated)} y {unchanged:,} sin cambios.",
        )

    # CSRF is checked inside, once the upload is read under its size limit (customers.uploads).
    @method_decorator(csrf_exempt)
    def import_action(self, request, **kwargs):
        """django-import-export's preview, with the import's warnings (ignored columns, example
        rows skipped, a file without titles…) as the admin's warning messages above it: they
        block nothing, the confirm button stays (customers.resources.ImportResult). A file over
        the size limit is refused while it arrives, not after django-import-export has read it
        whole and copied it to its temporary storage; who may not import is refused before."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return self._limited_import_action(request, **kwargs)

    @method_decorator(uploads.limit_upload(refused=_upload_refused))
    def _limited_import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        for warning in getattr(result, "warnings", ()):
            messages.warning(request, warning)
        return response

    @admin.display(description="En la aplicación")
    def app_link(self, obj):
        return format_html('<a href="{}">Ver / editar</a>', reverse("customers:detail", args=[obj.pk]))


@admin.register(Address)
class AddressAdmin(ReadOnlyHistoryAdmin):
    list_display = ["customer", "kind", "street", "district", "is_default"]
    list_filter = ["kind"]
    list_select_related = ["customer", "district"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "role", "customer"]
    search_fields = ["name"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(CustomerPhone)
class CustomerPhoneAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "whatsapp", "customer"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(CustomerEmail)
class CustomerEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["email", "customer", "in_trash"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(CustomerNote)
class CustomerNoteAdmin(ReadOnlyHistoryAdmin):
    list_display = ["created_at", "customer", "kind", "author", "text"]
    list_filter = ["kind"]
    list_select_related = ["customer", "author"]
    show_full_result_count = False


class ChoiceAdminForm(forms.ModelForm):
    def clean_name(self):
        # The service's rule, asked before saving so a refusal shows on the form (a refusal
        # in save_model would come after the admin has decided the save succeeded).
        try:
            return services.clean_choice_name(
                model=self._meta.model, name=self.cleaned_data.get("name") or "", instance=self.instance
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["name"]) from None

    def validate_unique(self):
        pass  # clean_name says it in Spanish, as the Configuración page does


class ChoiceAdmin(admin.ModelAdmin):
    form = ChoiceAdminForm
    list_display = ["name", "position"]
    fields = ["name"]

    def save_model(self, request, obj, form, change):
        services.save_choice(actor=request.user, model=type(obj), name=obj.name, instance=obj)

    def delete_view(self, request, object_id, extra_context=None):
        # A category in use is refused with the service's message, before Django's own page
        # about protected objects (the PROTECT foreign key would refuse it later, in English terms).
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            try:
                services.check_delete_choice(obj)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                opts = self.opts
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.delete_choice(actor=request.user, instance=obj)

    def get_actions(self, request):
        return {}  # bulk delete would skip the "in use" rule


admin.site.register(Category, ChoiceAdmin)
admin.site.register(CustomerClass, ChoiceAdmin)


@admin.register(CustomerSettings)
class CustomerSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "require_email", "require_phone", "require_address"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.update_customer_settings(actor=request.user, data=form.cleaned_data)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department"]
    list_filter = ["department"]
    search_fields = ["code", "name"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province"]
    list_select_related = ["province"]
    search_fields = ["code", "name", "province__name"]


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "name", "for_foreigners", "position"]
