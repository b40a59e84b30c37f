from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from attributes.models import AttributeDefinition


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(SimpleHistoryAdmin):
    """Read only, with its history: changes go through the Atributos adicionales screen, whose
    services refuse a change that would lose values (the admin's plain save would not)."""

    list_display = ["name", "kind", "required", "position", "archived_at"]
    list_filter = ["kind", "required"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
