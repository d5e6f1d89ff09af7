from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinicians import passwords
from config.views import healthz

handler400 = "config.views.bad_request"


# Django's own account pages keep their own names ("login", "password_reset", …): its views and
# email templates reverse them without a namespace.
accounts = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *accounts,
    path("", include("clinicians.urls")),
    path("", include("screening.urls")),
    path("", include("screening.selfreport_urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
