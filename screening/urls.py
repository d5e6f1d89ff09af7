from django.urls import path

from screening.views import amendments, clients, flags, selfreport, steps

app_name = "screening"

urlpatterns = [
    path("", clients.home, name="home"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<uuid:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<uuid:client_id>/assign/", clients.client_assign, name="client_assign"),
    path("clients/<uuid:client_id>/schedule/", clients.client_schedule, name="client_schedule"),
    path("clients/<uuid:client_id>/screenings/start/", steps.screening_start, name="screening_start"),
    path("screenings/<uuid:screening_id>/step/<slug:step>/", steps.screening_step, name="screening_step"),
    path("screenings/<uuid:screening_id>/step/<slug:step>/autosave/", steps.autosave, name="screening_autosave"),
    path("screenings/<uuid:screening_id>/complete/", steps.screening_complete, name="screening_complete"),
    path("screenings/<uuid:screening_id>/discard/", steps.screening_discard, name="screening_discard"),
    path("screenings/<uuid:screening_id>/amend/", amendments.screening_amend, name="screening_amend"),
    path("screenings/<uuid:screening_id>/self-report/", selfreport.self_report, name="self_report"),
    path("screenings/<uuid:screening_id>/self-report/tablet/", selfreport.tablet_hand_over, name="tablet_hand_over"),
    path("screenings/<uuid:screening_id>/self-report/link/", selfreport.link_create, name="link_create"),
    path("screenings/<uuid:screening_id>/self-report/links/<uuid:link_id>/cancel/", selfreport.link_revoke, name="link_revoke"),
    path("flags/<uuid:flag_id>/", flags.flag_detail, name="flag_detail"),
]
