from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("bills/<str:external_id>/", views.bill_explain, name="bill_explain"),
    path("customers/<str:account_no>/disputes/new/", views.dispute_new, name="dispute_new"),
    path("disputes/<str:reference>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/<str:reference>/<str:step>/", views.dispute_step, name="dispute_step"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
