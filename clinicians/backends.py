from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from clinicians.models import User


class EmailBackend(ModelBackend):
    """Log in by email address in any letter case (addresses are stored lower-case)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        # Every page needs the clinic (scoping, two-factor policy): load it with the user, in one query.
        # get(), not first(): first() adds an ORDER BY that costs a fifth of this query's time.
        try:
            user = User.objects.select_related("clinic").get(pk=user_id)
        except (User.DoesNotExist, ValidationError, ValueError):
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials):
    """The name django-axes counts failures under: the email as we store it, so case cannot dodge it."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()


def lockout_response(request, original_response=None, credentials=None):
    from django.conf import settings
    from django.shortcuts import render

    from clinicians.lockout import address_locked

    by_address = address_locked(request, credentials)
    return render(request, "registration/locked_out.html", {
        "by_address": by_address,
        "failure_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT if by_address else settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }, status=429)
