from django.urls import path

from . import views

app_name = "satisfaction_public"
urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
]
