from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from clinicians import views as clinician_views
from reports import views as report_views
from screening import views as screening_views

urlpatterns = [
    path("", screening_views.home, name="home"),
    path("clients/", screening_views.client_list, name="client_list"),
    path("clients/new/", screening_views.client_create, name="client_create"),
    path("clients/<uuid:client_id>/", screening_views.client_detail, name="client_detail"),
    path("clients/<uuid:client_id>/screenings/start/", screening_views.screening_start, name="screening_start"),
    path("screenings/<uuid:screening_id>/step/<slug:step>/", screening_views.screening_step, name="screening_step"),
    path("screenings/<uuid:screening_id>/complete/", screening_views.screening_complete, name="screening_complete"),
    path("screenings/<uuid:screening_id>/discard/", screening_views.screening_discard, name="screening_discard"),
    path("screenings/<uuid:screening_id>/", report_views.results, name="results"),
    path("screenings/<uuid:screening_id>/report.pdf", report_views.intake_pdf, name="intake_pdf"),
    path("clinic/settings/", clinician_views.clinic_settings, name="clinic_settings"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
]
