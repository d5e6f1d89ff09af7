import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django_otp.plugins.otp_totp.models import TOTPDevice

# Pages an unverified user may still reach: signing in with the second factor, setting it up, leaving.
# (Full view names: the admin site's own "admin:login" and "admin:logout" are not among them.)
TWO_FACTOR_EXEMPT = {"clinicians:two_factor_verify", "clinicians:two_factor_setup", "logout", "login"}


def _is_background(request):
    return bool(request.headers.get("X-Autosave"))


NO_DEVICE_KEY = "two_factor_none_for"


def _has_device(request):
    """Whether the user has an authenticator app. "No" is remembered in the session, for this user:
    a device added later matters at the next login (a new session), and setup() clears the note.
    Recovery codes exist only beside an app, so one query answers it."""
    user = request.user
    if request.session.get(NO_DEVICE_KEY) == str(user.pk):
        return False
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return True
    request.session[NO_DEVICE_KEY] = str(user.pk)
    return False


class NoStoreMiddleware:
    """No browser or proxy keeps a copy of what a signed-in user was shown: every response to one
    (signed in when the request came, or when it left: logging in and out included) says
    `Cache-Control: no-store, private`, unless the view set its own Cache-Control. Static files are
    served before this (whitenoise) and keep their caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if (signed_in or request.user.is_authenticated) and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class IdleLogoutMiddleware:
    """Log out after IDLE_TIMEOUT_MINUTES without a request; the draft on the server is kept.

    The last-activity stamp is written at most once a minute: writing the session on every request
    was half the cost of a page, and idle logoff only needs the minute.
    """

    STAMP_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get("last_activity")
            minutes = settings.IDLE_TIMEOUT_MINUTES
            if last is not None and now - last > minutes * 60:
                request.logout_reason = "idle"
                logout(request)
                if _is_background(request):
                    return JsonResponse({"error": "logged out after inactivity"}, status=401)
                messages.info(request, (
                    f"You were logged out after {minutes} minutes without activity. "
                    "Unfinished screenings are kept as drafts."
                ))
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= self.STAMP_EVERY_SECONDS:
                request.session["last_activity"] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Ask for the second factor of a user who has one, and send a user who must have one to set it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            # The Django admin site: signing in is on our own page (lockout, audit, two-factor), never
            # the admin's; clinic accounts that are not staff get no admin page at all; staff must
            # pass two-factor (User.two_factor_required).
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff:
                raise PermissionDenied("The site admin is for site staff only.")
        if not user.is_authenticated or user.is_verified():
            return None
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT:
            return None
        has_device = _has_device(request)
        if not has_device and not user.two_factor_required:
            return None
        if _is_background(request):
            return JsonResponse({"error": "two-factor verification needed"}, status=401)
        if has_device:
            return redirect_to_login(request.get_full_path(), login_url="clinicians:two_factor_verify")
        messages.warning(request, "Site staff accounts need two-factor sign-in. Set it up to continue." if user.is_staff
                         else "Your clinic requires two-factor sign-in. Set it up to continue.")
        return redirect("clinicians:two_factor_setup")
