"""Django admin for the credit app.

Comprobantes, pagos, balance rows, points and requests are read-only here: their rules live
in credit.services and the app's panels call them (a comprobante registered in a rule-free
admin form would skip the balance row). The Configuración lists go through the same services
as the app's Configuración page.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from credit import services
from credit.models import CreditAccount, CreditRequest, Document, Payment, PaymentTerm, PointsMovement, PriceList


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "customer", "issue_date", "due_date", "currency", "total", "paid", "credited", "is_voided"]
    list_filter = ["doc_type", "currency", "is_voided"]
    search_fields = ["series", "customer__name"]
    raw_id_fields = ["customer", "related", "project"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["document", "date", "amount", "method", "reference"]
    raw_id_fields = ["document"]
    list_select_related = ["document", "method"]
    show_full_result_count = False


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
