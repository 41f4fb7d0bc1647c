from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new_ticket, name="new"),
    path("preview/", views.preview, name="preview"),
    path("commitments/", views.commitments, name="commitments"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/receipt/", views.receipt, name="receipt"),
    path("<str:reference>/assign/", views.assign, name="assign"),
    path("<str:reference>/transfer/", views.transfer, name="transfer"),
    path("<str:reference>/transition/", views.transition, name="transition"),
    path("<str:reference>/pause/", views.pause, name="pause"),
    path("<str:reference>/resume/", views.resume, name="resume"),
    path("<str:reference>/milestones/meet/", views.meet_milestone, name="meet_milestone"),
    path("<str:reference>/notes/", views.add_note, name="add_note"),
    path("<str:reference>/replies/", views.add_reply, name="add_reply"),
    path("<str:reference>/attachments/", views.add_attachment, name="add_attachment"),
    path("<str:reference>/attachments/<uuid:uuid>/", views.attachment, name="attachment"),
]
