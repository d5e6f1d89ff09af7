"""Writing the audit trail: one call per audited action, from views and auth signals."""

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clinicians.models import AuditEvent, User
from screening.models import Client

Action = AuditEvent.Action


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request. Behind a proxy,
    # configure the proxy to pass the real address in REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(request, action, obj=None, client=None, detail="", actor=None):
    user = actor or getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    if client is None:
        client = obj if isinstance(obj, Client) else getattr(obj, "client", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_email=user.email if user else "",
        clinic_id=(user.clinic_id if user else None) or (client.clinic_id if client else None),
        action=action,
        object_type=obj.__class__.__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        client=client,
        ip_address=client_ip(request),
        detail=detail[:200],
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(request, Action.LOGIN, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(request, Action.LOGOUT, actor=user, detail=getattr(request, "logout_reason", ""))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    email = (credentials.get("username") or "").strip().lower()
    known = User.objects.filter(email__iexact=email).select_related("clinic").first()
    AuditEvent.objects.create(
        actor=None, actor_email=email[:254], clinic=known.clinic if known else None,
        action=Action.LOGIN_FAILED, ip_address=client_ip(request),
    )


def _locked_out(sender, request, username, ip_address, **kwargs):
    known = User.objects.filter(email__iexact=username or "").first()
    AuditEvent.objects.create(
        actor=None, actor_email=(username or "")[:254], clinic_id=known.clinic_id if known else None,
        action=Action.LOCKOUT, ip_address=ip_address,
    )


def connect_axes():
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="bondscreen-lockout")
