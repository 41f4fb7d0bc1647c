"""Admin: the questionnaire and the survey rules are data the administrators edit; follow-ups,
recoveries and improvement actions are shown read-only (they change through their pages)."""

from django.contrib import admin

from .models import ImprovementAction, Question, Recovery, Survey, SurveyRule


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "dimension", "text", "text_en", "sort_order", "is_active"]
    list_editable = ["text", "sort_order", "is_active"]
    list_filter = ["dimension", "is_active"]


@admin.register(SurveyRule)
class SurveyRuleAdmin(admin.ModelAdmin):
    list_display = ["service_type", "share_percent", "is_called_back_when_expired"]
    list_editable = ["share_percent", "is_called_back_when_expired"]
    list_select_related = ["service_type"]
    search_fields = ["service_type__code", "service_type__name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "service_type", "org_unit", "case_closed_at", "state", "method", "overall"]
    list_filter = ["state", "method", "exclusion"]
    list_select_related = ["ticket", "service_type", "org_unit"]
    search_fields = ["ticket__reference"]
    date_hierarchy = "case_closed_at"
    exclude = ["phone"]


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "original", "opened_at", "closed_at", "is_customer_satisfied", "is_repeat"]
    list_select_related = ["ticket", "original"]
    search_fields = ["ticket__reference", "original__reference"]


@admin.register(ImprovementAction)
class ImprovementActionAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "org_unit", "owner", "measure", "target", "status", "due_date"]
    list_select_related = ["ticket", "org_unit", "owner"]
    list_filter = ["status", "measure"]
