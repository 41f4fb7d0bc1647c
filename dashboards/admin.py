from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import services
from .models import DailyRollup, RolledDay, Target, WarningThreshold


class TargetAdminForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["measure", "org_unit", "service_type", "valid_from", "value", "amber_margin"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.check_target(
                    measure=data["measure"],
                    org_unit=data["org_unit"],
                    service_type=data.get("service_type"),
                    valid_from=data["valid_from"],
                    value=data["value"],
                    actor=self.actor,
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetAdminForm
    list_display = ("measure", "org_unit", "service_type", "valid_from", "value", "amber_margin", "set_by")
    list_filter = ("measure",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return False  # a new target is a new row from a day on; the history stays

    def save_model(self, request, obj, form, change):
        services.set_target(
            actor=request.user, now=timezone.now(), **{f: form.cleaned_data[f] for f in form.Meta.fields}
        )


@admin.register(WarningThreshold)
class WarningThresholdAdmin(admin.ModelAdmin):
    list_display = ("code", "value")


@admin.register(RolledDay)
class RolledDayAdmin(admin.ModelAdmin):
    list_display = ("day", "rolled_at", "is_stale")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DailyRollup)
class DailyRollupAdmin(admin.ModelAdmin):
    list_display = (
        "day",
        "org_unit",
        "service_type",
        "milestone",
        "met_on_time",
        "met_late",
        "breached_open",
    )
    list_filter = ("day",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
