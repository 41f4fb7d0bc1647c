"""Forms of the public complaint page, the staff intake and the complaint steps (thin: services decide)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, OrgUnit
from accounts.validators import validate_account_no, validate_mobile, validate_phone
from tickets.forms import LocalDateTimeField

from .models import ComplaintCategory, Remedy, RootCause, Severity, Source


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; how many and which kinds is the complaint service's rule."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        for upload in files:
            super().clean(upload, initial)
        return files


class PhoneField(forms.CharField):
    """A phone number as people type it ("139 0000 5555", "+86 139-0000-5555") -> 13900005555."""

    def to_python(self, value):
        value = super().to_python(value)
        value = value.replace(" ", "").replace("-", "").replace("\u3000", "")
        return value[3:] if value.startswith("+86") else value


def category_choices():
    """Categories with their sub-categories as option groups; the value is the code."""
    rows = list(ComplaintCategory.objects.filter(is_active=True).order_by("sort_order", "code"))
    children: dict[int, list] = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    choices = [("", _("Choose a category"))]
    for row in rows:
        if row.parent_id:
            continue
        if children.get(row.pk):
            choices.append(
                (
                    row.display_name,
                    [(row.code, _("%(category)s (general)") % {"category": row.display_name})]
                    + [(child.code, child.display_name) for child in children[row.pk]],
                )
            )
        else:
            choices.append((row.code, row.display_name))
    return choices


def resolve_category(code: str) -> tuple[ComplaintCategory, ComplaintCategory | None]:
    """A chosen code -> (category, sub-category or None)."""
    chosen = ComplaintCategory.objects.select_related("parent").get(code=code, is_active=True)
    return (chosen.parent, chosen) if chosen.parent_id else (chosen, None)


class CategoryFieldMixin:
    def _init_category(self):
        self.fields["category"].choices = category_choices()

    def clean_category(self):
        code = self.cleaned_data["category"]
        try:
            return resolve_category(code)
        except ComplaintCategory.DoesNotExist:
            raise ValidationError(_("Choose a complaint category.")) from None


class PublicComplaintForm(CategoryFieldMixin, forms.Form):
    """The public web form: no login, mobile-first; every field is escaped wherever it is shown."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = PhoneField(
        label=_("Mobile phone"),
        max_length=20,
        validators=[validate_mobile],
        error_messages={"required": _("Enter your mobile phone number.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    account_no = forms.CharField(
        label=_("Gas account number (optional)"),
        max_length=10,
        required=False,
        validators=[validate_account_no],
        help_text=_("The 10 digits on your gas bill."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        error_messages={"required": _("Enter the address the complaint is about.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    category = forms.ChoiceField(
        label=_("What is it about?"), error_messages={"required": _("Choose a complaint category.")}
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=2000,
        error_messages={"required": _("Describe what happened.")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    requested_remedy = forms.CharField(
        label=_("What would you like us to do?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to 3 files: photos (JPEG, PNG) or PDF, 20 MB each."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the gas company processes the personal information above to handle my complaint."
        ),
        error_messages={
            "required": _(
                "We can only handle the complaint with your consent to process your personal information."
            )
        },
    )
    # Honeypot: hidden from people (CSS and aria-hidden); bots fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_category()
        self.customer = None

    def clean(self):
        cleaned = super().clean()
        account_no = cleaned.get("account_no")
        if account_no:
            customer = (
                Customer.objects.filter(account_no=account_no).only("pk", "mobile", "outlet_id").first()
            )
            if customer is None:
                self.add_error(
                    "account_no",
                    _("No gas account has this number. Check your gas bill, or leave the field empty."),
                )
            elif customer.mobile and customer.mobile == cleaned.get("phone"):
                # Linked only when the phone matches the account's: anyone may type any account number.
                self.customer = customer
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class StaffComplaintForm(CategoryFieldMixin, forms.Form):
    """Intake by staff: service hall, hotline, 12345 orders, letters, media, regulators."""

    source = forms.ChoiceField(label=_("Source"), choices=[c for c in Source.choices if c[0] != Source.WEB])
    category = forms.ChoiceField(label=_("Category"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    name = forms.CharField(label=_("Complainant"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=20, validators=[validate_phone])
    email = forms.EmailField(label=_("Email"), required=False)
    account_no = forms.CharField(
        label=_("Account number"), max_length=10, required=False, validators=[validate_account_no]
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Complaint"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    requested_remedy = forms.CharField(
        label=_("What the complainant asks for"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    received_at = LocalDateTimeField(
        label=_("Received at"),
        required=False,
        help_text=_("Leave empty for now; a 12345 order or a letter carries its own."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    hotline_order_no = forms.CharField(label=_("12345 order number"), max_length=40, required=False)
    hotline_due_at = LocalDateTimeField(
        label=_("12345 reply deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    consent = forms.BooleanField(
        label=_("The complainant agreed to the processing of their personal information"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_category()
        self.customer = None

    def clean(self):
        cleaned = super().clean()
        account_no = cleaned.get("account_no")
        if account_no:
            self.customer = Customer.objects.filter(account_no=account_no).select_related("outlet").first()
            if self.customer is None:
                self.add_error("account_no", _("No gas account has this number."))
        return cleaned


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("Note (how the complainant was told)"), max_length=1000, required=False)


class ContactForm(forms.Form):
    note = forms.CharField(label=_("Contact made"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class InvestigationForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    is_substantiated = forms.TypedChoiceField(
        label=_("Substantiated?"), choices=YES_NO, widget=forms.RadioSelect, coerce=lambda v: v == "yes"
    )
    root_cause = forms.ChoiceField(label=_("Root cause"), choices=[("", "---------"), *RootCause.choices])
    department_at_fault = forms.ModelChoiceField(
        label=_("Department at fault"),
        required=False,
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
    )


class ResponseForm(forms.Form):
    response_text = forms.CharField(
        label=_("Answer to the complainant (sent exactly as written)"),
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    remedy = forms.ChoiceField(label=_("Remedy"), choices=Remedy.choices)
    remedy_amount = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )


class CloseForm(forms.Form):
    customer_accepted = forms.TypedChoiceField(
        label=_("Did the complainant accept the answer?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(
        label=_("Callback note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the appeal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkForm(forms.Form):
    reference = forms.CharField(label=_("Ticket reference"), max_length=20)


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        max_length=20,
        error_messages={"required": _("Enter the reference from your SMS.")},
    )
    phone = forms.CharField(
        label=_("Phone number used for the complaint"),
        max_length=20,
        error_messages={"required": _("Enter the phone number you gave us.")},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}),
    )
