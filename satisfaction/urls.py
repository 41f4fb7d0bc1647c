from django.urls import path

from . import views

app_name = "satisfaction"
urlpatterns = [
    path("callbacks/", views.callbacks, name="callbacks"),
    path("surveys/<str:reference>/", views.survey_detail, name="survey"),
    path("surveys/<str:reference>/call/", views.survey_callback, name="callback"),
    path("recoveries/", views.recoveries, name="recoveries"),
    path("recoveries/<str:reference>/", views.recovery_detail, name="recovery"),
    path("recoveries/<str:reference>/close/", views.recovery_close, name="recovery_close"),
    path("improvements/", views.improvements, name="improvements"),
    path("improvements/new/", views.improvement_new, name="improvement_new"),
    path("improvements/<str:reference>/", views.improvement_detail, name="improvement"),
    path("improvements/<str:reference>/<str:step>/", views.improvement_step, name="improvement_step"),
    path("figures/", views.figures, name="figures"),
    path("answers/", views.answers, name="answers"),
]
