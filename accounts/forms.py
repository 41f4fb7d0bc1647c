"""Staff UI forms: thin; the services validate the rules."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Customer, CustomerCategory, OrgUnit
from .personal_data import masked
from .selectors import main_categories, outlets_visible_to
from .services import CUSTOMER_FIELDS, PERSONAL_DATA_FIELDS


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Account number, phone, name or address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=CustomerCategory.objects.none(), required=False
    )
    outlet = forms.ModelChoiceField(label=_("Outlet"), queryset=OrgUnit.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Customer.Status.choices], required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CustomerCategory.objects.filter(is_active=True)
        self.fields["outlet"].queryset = outlets_visible_to(user)
        self.fields["category"].empty_label = _("Any category")
        self.fields["outlet"].empty_label = _("Any outlet")

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data.get("category"),
            "outlet": data.get("outlet"),
            "status": data.get("status") or None,
        }


class CustomerForm(forms.ModelForm):
    """Create/edit a customer; saving goes through accounts.services.

    Editing shows phones and ID number masked and read-only; `revealed` (after a recorded
    reveal) shows them in full and lets them change.
    """

    class Meta:
        model = Customer
        fields = list(CUSTOMER_FIELDS)
        widgets = {
            "mobile": forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"}),
            "landline": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "account_no": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, revealed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked_fields = []
        if self.instance.pk and not revealed:
            for name in PERSONAL_DATA_FIELDS:
                value = getattr(self.instance, name)
                if value:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Masked. Show in full to change it.")
                    self.initial[name] = masked(name, value)
                    self.masked_fields.append(name)
        self.fields["category"].queryset = main_categories()
        self.fields["sub_category"].queryset = CustomerCategory.objects.filter(is_active=True).exclude(
            parent=None
        )
        self.fields["outlet"].queryset = outlets_visible_to(user)
        self.fields["account_manager"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, staff_profile__isnull=False)
            .select_related("staff_profile__org_unit")
            .order_by("username")
        )
        self.fields["account_manager"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.get_username()} · {u.staff_profile.get_role_display()}"
            f" · {u.staff_profile.org_unit.name}"
        )
        if self.instance.pk:
            self.fields["account_no"].disabled = True

    def _post_clean(self):
        """Model validation happens once, in the service (with its clerk-readable messages)."""

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            data.pop("account_no", None)
        for name in self.masked_fields:
            data.pop(name, None)  # shown masked: left as it is
        return data
