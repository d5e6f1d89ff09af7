from django.urls import path

from clinicians import two_factor, views

app_name = "clinicians"

urlpatterns = [
    path("clinic/settings/", views.clinic_settings, name="clinic_settings"),
    path("clinic/clinicians/", views.members, name="members"),
    path("clinic/clinicians/invite/", views.invite, name="invite"),
    path("clinic/clinicians/<uuid:member_id>/deactivate/", views.member_active, {"active": False}, name="member_deactivate"),
    path("clinic/clinicians/<uuid:member_id>/reactivate/", views.member_active, {"active": True}, name="member_reactivate"),
    path("clinic/clinicians/<uuid:member_id>/unlock/", views.member_unlock, name="member_unlock"),
    path("clinic/clinicians/<uuid:member_id>/reset-two-factor/", views.member_reset_two_factor, name="member_reset_two_factor"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("accounts/login/code/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/", two_factor.setup, name="two_factor_setup"),
]
