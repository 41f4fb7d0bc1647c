from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from tickets import views as ticket_views

from . import views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("dashboards.api_urls")),
    path("billing/", include("billing.api_urls")),
    path("", include("satisfaction.api_urls")),
]

admin.site.site_header = _("Gas customer service administration")
admin.site.site_title = _("Gas customer service")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", views.api_docs, name="api-docs"),
    path("complaints/", include("complaints.urls")),
    path("billing/", include("billing.urls")),
    path("tickets/", include("tickets.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("track/", ticket_views.track, name="track"),
    path("notifications/", include("notifications.urls")),
    path("satisfaction/", include("satisfaction.urls")),
    path("survey/", include("satisfaction.public_urls")),
    path("", include("accounts.urls")),
]
