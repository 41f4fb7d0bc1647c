from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.complaint_new, name="new"),
    path("new/done/", views.complaint_submitted, name="submitted"),
    path("track/", views.complaint_track, name="track"),
    path("intake/", views.intake, name="intake"),
    path("figures/", views.figures, name="figures"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<str:reference>/contact/", views.contact, name="contact"),
    path("<str:reference>/investigate/", views.investigate, name="investigate"),
    path("<str:reference>/respond/", views.respond, name="respond"),
    path("<str:reference>/close/", views.close, name="close"),
    path("<str:reference>/reopen/", views.reopen, name="reopen"),
    path("<str:reference>/link/", views.link, name="link"),
]
