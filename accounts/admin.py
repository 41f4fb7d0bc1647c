"""Django admin: organisation, staff (profile inline on the user), categories, customers, the audit log."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Customer, CustomerCategory, OrganisationProfile, OrgUnit, PersonalDataView, StaffProfile
from .personal_data import MaskedPersonalDataAdmin
from .roles import sync_staff_groups


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "phone", "opening_hours", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]


@admin.register(OrganisationProfile)
class OrganisationProfileAdmin(admin.ModelAdmin):
    """One row: the company name, hotline and website printed on receipts and sent in messages."""

    list_display = ["name", "sms_signature", "hotline", "website", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not OrganisationProfile.objects.exists()


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    fk_name = "user"
    extra = 0
    max_num = 1
    autocomplete_fields = ["org_unit"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "role", "org_unit", "is_active", "is_staff"]
    list_select_related = ["staff_profile__org_unit"]
    list_filter = ["staff_profile__role", "is_active", "is_staff"]

    @admin.display(description=_("role"))
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else ""

    @admin.display(description=_("org unit"))
    def org_unit(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.org_unit if profile else ""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The role's Django group follows the profile edited in the inline.
        user = User.objects.select_related("staff_profile").get(pk=form.instance.pk)
        sync_staff_groups(user)


@admin.register(CustomerCategory)
class CustomerCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "segment", "parent", "sort_order", "is_active"]
    list_filter = ["segment", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Customer)
class CustomerAdmin(MaskedPersonalDataAdmin, admin.ModelAdmin):
    """Search is by exact account number (and name prefix): a scan of millions is never run.

    Phones and ID number are shown masked and read only; they are changed on the staff pages.
    """

    list_display = ["account_no", "name", "category", "masked_mobile", "masked_landline", "outlet", "status"]
    list_filter = ["status", "is_key_account", "category"]
    list_select_related = ["category", "outlet"]
    search_fields = ["=account_no", "^name"]
    show_full_result_count = False
    raw_id_fields = ["account_manager"]
    autocomplete_fields = ["outlet"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(PersonalDataView)
class PersonalDataViewAdmin(admin.ModelAdmin):
    """The audit log is read-only: nobody edits or deletes who saw what."""

    list_display = ["viewed_at", "user", "customer", "fields", "ip_address"]
    list_select_related = ["user", "customer"]
    search_fields = ["=customer__account_no", "user__username"]
    date_hierarchy = "viewed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
