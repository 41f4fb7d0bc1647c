"""Tariffs and billing rules are data administrators edit; meters, bills and disputes are read-only here
(they come from the billing system, or change only through a dispute's steps)."""

from django.contrib import admin

from .models import (
    Adjustment,
    ApprovalLimit,
    Bill,
    Dispute,
    Household,
    ImportRun,
    LateFeeRule,
    Meter,
    MeterTestRule,
    TariffPlan,
    TariffPrice,
)


class TariffPriceInline(admin.TabularInline):
    model = TariffPrice
    extra = 0


@admin.register(TariffPlan)
class TariffPlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "cycle", "tier_bounds", "heating_months", "valid_from", "valid_to"]
    filter_horizontal = ["categories"]
    inlines = [TariffPriceInline]


@admin.register(LateFeeRule)
class LateFeeRuleAdmin(admin.ModelAdmin):
    list_display = ["segment", "rate_per_day", "grace_days"]


@admin.register(MeterTestRule)
class MeterTestRuleAdmin(admin.ModelAdmin):
    list_display = ["meter_type", "tolerance_pct", "rebill_months", "test_fee"]


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin):
    list_display = ["role", "max_amount"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["customer", "persons", "recorded_on"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__account_no"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meter)
class MeterAdmin(ReadOnlyAdmin):
    list_display = ["serial", "meter_type", "customer", "fitted_on", "verify_by", "status"]
    list_filter = ["meter_type", "status"]
    search_fields = ["serial", "customer__account_no"]
    list_select_related = ["customer"]


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "customer", "period_start", "period_end", "volume_m3", "amount", "status"]
    list_filter = ["status", "is_estimated"]
    search_fields = ["external_id", "customer__account_no"]
    list_select_related = ["customer"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "customer", "kind", "step", "opened_at", "closed_at"]
    list_filter = ["kind", "step"]
    search_fields = ["ticket__reference", "customer__account_no"]
    list_select_related = ["ticket", "customer"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "amount",
        "status",
        "proposed_by",
        "approved_by",
        "applied_at",
        "exported_at",
    ]
    list_filter = ["status"]
    search_fields = ["external_id"]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "file_name", "status", "created", "updated", "unchanged", "refused"]
    list_filter = ["kind", "status"]
