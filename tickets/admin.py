"""Admin: the catalogue, calendars and policies are edited here; tickets are read-mostly
(every change of a ticket goes through tickets.services, so the admin shows, it does not edit)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from accounts.personal_data import MaskedPersonalDataAdmin

from .models import (
    CalendarDay,
    CalendarYear,
    Escalation,
    EscalationPolicy,
    Milestone,
    MilestoneStandard,
    ServiceArea,
    ServiceType,
    Ticket,
    TicketEvent,
    WorkCalendar,
    WorkingPeriod,
)


class MilestoneStandardInline(admin.TabularInline):
    model = MilestoneStandard
    extra = 0
    fields = [
        "sort_order",
        "code",
        "name",
        "name_en",
        "amount",
        "unit",
        "starts_after",
        "segments",
        "condition",
        "met_on_status",
    ]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "category",
        "is_emergency",
        "escalation_policy",
        "is_public",
        "is_active",
        "sort_order",
    ]
    list_filter = ["category", "is_emergency", "is_public", "is_active"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["escalation_policy"]
    inlines = [MilestoneStandardInline]


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    ordering = ["-date"]


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone", "updated_at"]
    inlines = [WorkingPeriodInline, CalendarDayInline]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    """Routing by address: which outlet serves a district, or a street or community in it."""

    list_display = ["district", "street", "outlet", "is_active"]
    list_filter = ["is_active", "district", "outlet"]
    list_editable = ["outlet", "is_active"]
    search_fields = ["district", "street", "outlet__name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["calendar", "year", "source", "loaded_at"]
    list_filter = ["calendar"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "warn_percent",
        "level2_after_amount",
        "level2_after_unit",
        "level3_after_amount",
        "level3_after_unit",
        "is_default",
    ]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    can_delete = False
    fields = [
        "code",
        "name",
        "amount",
        "unit",
        "started_at",
        "due_at",
        "met_at",
        "state",
        "is_provisional",
        "is_override",
        "next_action_at",
        "next_action_level",
        "sweep_failures",
        "last_error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class SetAsideFilter(admin.SimpleListFilter):
    """Tickets with a milestone the sweep set aside after an error (see Milestone.last_error)."""

    title = gettext_lazy("deadline sweep")
    parameter_name = "sweep"

    def lookups(self, request, model_admin):
        return [("set_aside", gettext_lazy("Set aside after an error"))]

    def queryset(self, request, queryset):
        if self.value() == "set_aside":
            return queryset.filter(pk__in=Milestone.objects.filter(sweep_failures__gt=0).values("ticket_id"))
        return queryset


@admin.register(Ticket)
class TicketAdmin(MaskedPersonalDataAdmin, admin.ModelAdmin):
    list_display = [
        "reference",
        "service_type",
        "status",
        "sla_state",
        "next_due_at",
        "org_unit",
        "assignee_name",
        "received_at",
    ]
    list_filter = ["status", "sla_state", "channel", "service_type", SetAsideFilter]
    search_fields = ["=reference", "=hotline_order_no", "=customer__account_no"]
    list_select_related = ["service_type", "org_unit", "assignee"]
    show_full_result_count = False
    inlines = [MilestoneInline]

    @admin.display(description=gettext_lazy("Assignee"), ordering="assignee__first_name")
    def assignee_name(self, obj):
        """The handler by name, as on the staff pages, not by login."""
        if obj.assignee is None:
            return "—"
        return obj.assignee.get_full_name() or obj.assignee.get_username()

    def get_readonly_fields(self, request, obj=None):
        return [self._masked_name(f.name) for f in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(MaskedPersonalDataAdmin, admin.ModelAdmin):
    masked_json_fields = ("data",)
    list_display = ["ticket", "kind", "at", "actor", "is_public"]
    list_filter = ["kind"]
    search_fields = ["=ticket__reference"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [self._masked_name(f.name) for f in TicketEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services and the sweep: shown, never edited here."""

    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "milestone", "level", "at", "due_at"]
    list_filter = ["level"]
    search_fields = ["=ticket__reference"]
    list_select_related = ["ticket", "milestone"]
    date_hierarchy = "at"
