"""The trail of the accounts app: logins and lockouts (Django's and django-axes' signals) and the
account actions that clinicians announces with its own signal."""

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.trail import record
from clinicians import audit_actions as A
from clinicians.actors import Actor, client_ip
from clinicians.models import User
from clinicians.signals import account_action


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    record(A.LOGIN, Actor.from_request(request, user))


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(A.LOGOUT, Actor.from_request(request, user), detail=getattr(request, "logout_reason", ""))


def _typed(email):
    """The account an address names, if any, for the clinic a failed attempt belongs to."""
    email = (email or "").strip().lower()
    return email, User.objects.filter(email__iexact=email).first() if email else None


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    email, known = _typed(credentials.get("username"))
    record(A.LOGIN_FAILED, Actor(ip=client_ip(request), email=email), clinic_id=known.clinic_id if known else None)


def _locked_out(sender, request, username, ip_address, **kwargs):
    email, known = _typed(username)
    record(A.LOCKED_OUT, Actor(ip=ip_address, email=email), clinic_id=known.clinic_id if known else None)


@receiver(account_action, dispatch_uid="audit-account-action")
def _account_action(sender, action, actor, obj=None, detail="", **kwargs):
    record(action, actor, obj=obj, detail=detail)


def connect_axes():
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit-lockout")
