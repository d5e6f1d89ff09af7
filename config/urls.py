from django.contrib import admin
from django.http import HttpResponse
from django.contrib.auth import views as auth_views
from django.urls import path

from clinicians import passwords, two_factor
from clinicians import views as clinician_views
from reports import views as report_views
from screening import flag_views, progress_views
from screening import views as screening_views

def healthz(request):
    """For a load balancer: the app answers. Touches no database and no session."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", screening_views.home, name="home"),
    path("clients/", screening_views.client_list, name="client_list"),
    path("clients/new/", screening_views.client_create, name="client_create"),
    path("clients/<uuid:client_id>/", screening_views.client_detail, name="client_detail"),
    path("clients/<uuid:client_id>/assign/", screening_views.client_assign, name="client_assign"),
    path("clients/<uuid:client_id>/progress/", progress_views.client_progress, name="client_progress"),
    path("clients/<uuid:client_id>/progress.pdf", report_views.progress_pdf, name="progress_pdf"),
    path("clients/<uuid:client_id>/history.csv", report_views.client_history_csv, name="client_history_csv"),
    path("clients/<uuid:client_id>/schedule/", progress_views.client_schedule, name="client_schedule"),
    path("clients/<uuid:client_id>/screenings/start/", screening_views.screening_start, name="screening_start"),
    path("screenings/<uuid:screening_id>/step/<slug:step>/", screening_views.screening_step, name="screening_step"),
    path("screenings/<uuid:screening_id>/complete/", screening_views.screening_complete, name="screening_complete"),
    path("screenings/<uuid:screening_id>/discard/", screening_views.screening_discard, name="screening_discard"),
    path("screenings/<uuid:screening_id>/", report_views.results, name="results"),
    path("screenings/<uuid:screening_id>/report.pdf", report_views.intake_pdf, name="intake_pdf"),
    path("screenings/<uuid:screening_id>/amend/", progress_views.screening_amend, name="screening_amend"),
    path("flags/<uuid:flag_id>/", flag_views.flag_detail, name="flag_detail"),
    path("clinic/settings/", clinician_views.clinic_settings, name="clinic_settings"),
    path("clinic/clinicians/", clinician_views.members, name="members"),
    path("clinic/clinicians/invite/", clinician_views.invite, name="invite"),
    path("clinic/clinicians/<uuid:member_id>/deactivate/", clinician_views.member_active, {"active": False}, name="member_deactivate"),
    path("clinic/clinicians/<uuid:member_id>/reactivate/", clinician_views.member_active, {"active": True}, name="member_reactivate"),
    path("clinic/clinicians/<uuid:member_id>/unlock/", clinician_views.member_unlock, name="member_unlock"),
    path("clinic/clinicians/<uuid:member_id>/reset-two-factor/", clinician_views.member_reset_two_factor, name="member_reset_two_factor"),
    path("clinic/export/", report_views.clinic_export, name="clinic_export"),
    path("clinic/export/screenings.csv", report_views.clinic_export_csv, {"what": "screenings"}, name="clinic_export_screenings"),
    path("clinic/export/items.csv", report_views.clinic_export_csv, {"what": "items"}, name="clinic_export_items"),
    path("clinic/export.xlsx", report_views.clinic_export_xlsx, name="clinic_export_xlsx"),
    path("clinic/audit/", clinician_views.audit_trail, name="audit_trail"),
    path("clinic/audit.csv", clinician_views.audit_trail_csv, name="audit_trail_csv"),
    path("invitations/<str:token>/", clinician_views.invitation_accept, name="invitation_accept"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/login/code/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
]
