"""The padrón's loads in the Django admin (Administrador), read-only: a load is started, retried
and replaced only through Configuración › Padrón SUNAT (padron.services), with its rules."""

from django.contrib import admin

from customers.admin import ReadOnlyAdminMixin
from padron.models import PadronLoad


@admin.register(PadronLoad)
class PadronLoadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "original_name",
        "status",
        "is_current",
        "file_date",
        "lines_read",
        "taxpayer_count",
        "rows_rejected",
        "duration",
        "created_by",
    ]
    list_filter = ["status", "is_current", "source"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]

    @admin.display(description="duración")
    def duration(self, load):
        if load.started_at and load.finished_at:
            seconds = int((load.finished_at - load.started_at).total_seconds())
            return f"{seconds // 60} min {seconds % 60:02d} s"
        return "—"
