from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("export/<str:table>.<str:fmt>", views.export, name="export"),
    path("report/<str:code>/<str:month>/", views.monthly_report, name="monthly_report"),
]
