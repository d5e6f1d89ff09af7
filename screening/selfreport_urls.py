"""The pages a client answers on, apart from the clinician's: the tablet's, and a link's (no login)."""

from django.urls import path

from screening.views import selfreport_client as views

app_name = "selfreport"

urlpatterns = [
    path("tablet/", views.tablet_start, name="tablet_start"),
    path("tablet/finish/", views.tablet_finish, name="tablet_finish"),
    path("tablet/done/", views.tablet_done, name="tablet_done"),
    path("tablet/return/", views.tablet_return, name="tablet_return"),
    path("tablet/<slug:section>/", views.tablet_section, name="tablet_section"),
    path("tablet/<slug:section>/save/", views.tablet_autosave, name="tablet_autosave"),
    path("r/<str:token>/", views.link_start, name="link_start"),
    path("r/<str:token>/finish/", views.link_finish, name="link_finish"),
    path("r/<str:token>/done/", views.link_done, name="link_done"),
    path("r/<str:token>/<slug:section>/", views.link_section, name="link_section"),
    path("r/<str:token>/<slug:section>/save/", views.link_autosave, name="link_autosave"),
]
