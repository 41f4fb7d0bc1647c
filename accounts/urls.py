"""Staff pages: login/logout and home at the top level, customers under the "accounts" namespace."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

customer_patterns = [
    path("", views.customer_list, name="customer_list"),
    path("export.csv", views.customer_export, name="customer_export"),
    path("new/", views.customer_create, name="customer_create"),
    path("<str:account_no>/", views.customer_detail, name="customer_detail"),
    path("<str:account_no>/edit/", views.customer_edit, name="customer_edit"),
    path("<str:account_no>/reveal/", views.customer_reveal, name="customer_reveal"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include((customer_patterns, "accounts"))),
]
