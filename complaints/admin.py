from django.contrib import admin

from accounts.personal_data import MaskedPersonalDataAdmin

from .models import Complaint, ComplaintCategory


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "is_safety", "is_supply", "sort_order", "is_active"]
    list_filter = ["is_active", "is_safety", "is_supply", "parent"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["sort_order", "code"]


@admin.register(Complaint)
class ComplaintAdmin(MaskedPersonalDataAdmin, admin.ModelAdmin):
    """Read-only: every change to a complaint goes through its steps (the complaint page or the API)."""

    list_display = [
        "ticket",
        "category",
        "source",
        "severity",
        "received_at",
        "is_repeat",
        "responded_at",
        "closed_at",
    ]
    list_filter = ["source", "severity", "is_repeat", "category"]
    search_fields = ["ticket__reference", "complainant_phone", "ticket__hotline_order_no"]
    list_select_related = ["ticket", "category"]
    raw_id_fields = ["ticket", "customer", "repeat_of", "related_tickets"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
