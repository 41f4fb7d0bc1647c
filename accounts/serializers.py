"""API representations of customers and org units (thin; rules live in accounts.services)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Customer, CustomerCategory, OrgUnit
from .personal_data import PersonalDataField


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "kind_display", "parent", "path", "address", "phone", "is_active"]


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object addressed by its code, with a clear message for an unknown code."""

    default_error_messages = {
        "does_not_exist": _("Unknown code: %(value)s."),
        "invalid": _("Enter a code."),
    }

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(**{self.slug_field: data})
        except (TypeError, ValueError):
            self.fail("invalid")
        except self.get_queryset().model.DoesNotExist:
            raise serializers.ValidationError(
                self.error_messages["does_not_exist"] % {"value": data}
            ) from None


class CustomerSerializer(serializers.ModelSerializer):
    """Phones and ID number masked; the detail view may swap in the full values (logged)."""

    category = CodeRelatedField(slug_field="code", queryset=CustomerCategory.objects.filter(parent=None))
    sub_category = CodeRelatedField(
        slug_field="code",
        queryset=CustomerCategory.objects.exclude(parent=None),
        required=False,
        allow_null=True,
    )
    outlet = CodeRelatedField(slug_field="code", queryset=OrgUnit.objects.all())
    account_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    mobile = PersonalDataField(personal_field="mobile", required=False)
    landline = PersonalDataField(personal_field="landline", required=False)
    id_number = PersonalDataField(personal_field="id_number", required=False)
    segment = serializers.CharField(source="category.segment", read_only=True)
    outlet_name = serializers.CharField(source="outlet.name", read_only=True)
    personal_data_masked = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "account_no",
            "name",
            "category",
            "sub_category",
            "segment",
            "mobile",
            "landline",
            "id_number",
            "address",
            "outlet",
            "outlet_name",
            "is_key_account",
            "account_manager",
            "status",
            "notes",
            "personal_data_masked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Validation is the service's job (one place, same messages as the forms); the
        # serializer only parses. Unique account_no is checked there too.
        extra_kwargs = {
            "account_no": {"validators": []},
        }

    def get_personal_data_masked(self, obj) -> bool:
        return not self.context.get("reveal", False)
