"""Filters of the customer list API; `q` is the same search as the staff UI's search box."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Customer, CustomerCategory, OrgUnit, Segment
from .selectors import apply_customer_search


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("Account number, phone, or a fragment of name or address")
    )
    category = django_filters.ModelChoiceFilter(
        field_name="category",
        to_field_name="code",
        queryset=CustomerCategory.objects.all(),
        method="filter_category",
    )
    segment = django_filters.ChoiceFilter(field_name="category__segment", choices=Segment.choices)
    outlet = django_filters.ModelChoiceFilter(
        field_name="outlet", to_field_name="code", queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET)
    )
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    is_key_account = django_filters.BooleanFilter()

    class Meta:
        model = Customer
        fields = ["q", "category", "segment", "outlet", "status", "is_key_account"]

    def filter_q(self, queryset, name, value):
        return apply_customer_search(queryset, value)

    def filter_category(self, queryset, name, value):
        # A main category includes its sub-categories' customers; a sub-category only its own.
        if value is None:
            return queryset
        return queryset.filter(sub_category=value) if value.parent_id else queryset.filter(category=value)
