from django.contrib import admin

from customers.models import Address, Customer, Department, District, DocumentType, Province


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    autocomplete_fields = ["district"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "document_type", "document_number", "email", "phone", "is_active"]
    list_filter = ["kind", "is_foreign", "is_active", "document_type"]
    search_fields = ["name", "document_number", "email"]
    readonly_fields = ["name", "created_at", "updated_at", "created_by"]
    inlines = [AddressInline]
    list_per_page = 50
    show_full_result_count = False  # an exact COUNT(*) of a million rows on every page is too slow


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "street", "district", "is_default"]
    list_filter = ["kind"]
    raw_id_fields = ["customer"]
    autocomplete_fields = ["district"]
    show_full_result_count = False


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
