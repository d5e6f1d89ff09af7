import csv
import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicians import audit, sessions
from clinicians.decorators import clinic_admin_required
from clinicians.forms import AcceptInvitationForm, AuditFilterForm, ClinicSettingsForm, InvitationForm
from clinicians.models import AuditEvent, Invitation, User
from clinicians.ratelimit import rate_limited
from clinicians.scoping import audit_events_for, clients_for, get_member_for_user, members_for
from django_otp import devices_for_user

Action = AuditEvent.Action


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def clinic_settings(request):
    form = ClinicSettingsForm(request.POST or None, instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request, Action.SETTINGS_CHANGED, detail=", ".join(form.changed_data))
        messages.success(request, "Clinic settings saved.")
        return redirect("clinic_settings")
    return render(request, "clinicians/clinic_settings.html", {"form": form})


def _members_page(request, form, status=200):
    people = members_for(request.user).order_by("-is_active", "full_name", "email")
    locked = set(_locked_usernames([p.email for p in people]))
    return render(request, "clinicians/members.html", {
        "people": people,
        "locked": locked,
        "with_2fa": {device.user_id for device in _confirmed_devices(people)},
        "pending": request.user.clinic.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now()),
        "form": form,
    }, status=status)


@require_GET
@clinic_admin_required
def members(request):
    return _members_page(request, InvitationForm())


def _locked_usernames(emails):
    from axes.models import AccessAttempt

    cutoff = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username__in=emails, failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=cutoff
    ).values_list("username", flat=True)


def _confirmed_devices(people):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user__in=people, confirmed=True)


@require_POST
@clinic_admin_required
@rate_limited("invitation", "invitations")
def invite(request):
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form, status=400)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        clinic=request.user.clinic, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
        token_hash=token_hash(token), invited_by=request.user,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
    send_mail(
        subject=f"You are invited to {request.user.clinic.name} on bondscreen",
        message=(
            f"{request.user.get_full_name()} has invited you to join {request.user.clinic.name} on bondscreen.\n\n"
            f"Set your password here (the link works once, for {settings.INVITATION_VALID_HOURS} hours):\n{link}\n"
        ),
        from_email=None, recipient_list=[invitation.email],
    )
    audit.record(request, Action.INVITATION_SENT, obj=invitation, detail=invitation.email)
    messages.success(request, f"Invitation sent to {invitation.email}. The link works once and expires in {settings.INVITATION_VALID_HOURS} hours.")
    return redirect("members")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = Invitation.objects.select_related("clinic").filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    if invitation.is_used:
        return render(request, "clinicians/invitation_unusable.html", {"reason": "used"}, status=410)
    if invitation.is_expired:
        return render(request, "clinicians/invitation_unusable.html", {"reason": "expired"}, status=410)
    if User.objects.filter(email__iexact=invitation.email).exists():
        return render(request, "clinicians/invitation_unusable.html", {"reason": "exists"}, status=410)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Re-read under lock: two quick submits must not make two accounts.
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.is_used:
                return render(request, "clinicians/invitation_unusable.html", {"reason": "used"}, status=410)
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        invitation.email, form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"],
                        clinic=invitation.clinic, role=invitation.role,
                    )
            except IntegrityError:  # another invitation to this address was accepted at the same moment
                return render(request, "clinicians/invitation_unusable.html", {"reason": "exists"}, status=410)
            locked.accepted_at = timezone.now()
            locked.accepted_by = user
            locked.save(update_fields=["accepted_at", "accepted_by"])
            audit.record(request, Action.INVITATION_ACCEPTED, obj=locked, actor=user)
        login(request, user, backend="clinicians.backends.EmailBackend")
        messages.success(request, f"Welcome to {invitation.clinic.name}.")
        return redirect("home")
    return render(request, "clinicians/invitation_accept.html", {"form": form, "invitation": invitation})


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def member_active(request, member_id, active):
    member = get_member_for_user(request.user, member_id)
    if member == request.user:
        messages.error(request, "You cannot deactivate your own account. Ask another clinic admin.")
        return redirect("members")
    if request.method == "POST":
        member.is_active = active
        member.save(update_fields=["is_active"])
        if not active:
            sessions.end_sessions(member)
        action = Action.USER_REACTIVATED if active else Action.USER_DEACTIVATED
        audit.record(request, action, obj=member, detail=member.email)
        messages.success(request, f"{member} {'can log in again' if active else 'can no longer log in'}.")
        return redirect("members")
    return render(request, "clinicians/member_confirm.html", {"member": member, "what": "activate" if active else "deactivate"})


@require_POST
@clinic_admin_required
def member_unlock(request, member_id):
    member = get_member_for_user(request.user, member_id)
    axes_reset(username=member.email)
    audit.record(request, Action.UNLOCK, obj=member, detail=member.email)
    messages.success(request, f"{member} can try to log in again.")
    return redirect("members")


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def member_reset_two_factor(request, member_id):
    member = get_member_for_user(request.user, member_id)
    if request.method == "POST":
        for device in devices_for_user(member, confirmed=None):
            device.delete()
        audit.record(request, Action.TWO_FACTOR_RESET, obj=member, detail=member.email)
        messages.success(request, f"Two-factor sign-in for {member} was reset; they set it up again at their next login.")
        return redirect("members")
    return render(request, "clinicians/member_confirm.html", {"member": member, "what": "reset two-factor for"})


@require_GET
@clinic_admin_required
def audit_trail(request):
    form = AuditFilterForm(request.GET or None, clinic=request.user.clinic, clients=clients_for(request.user))
    events = form.filter(audit_events_for(request.user)).select_related("actor", "client")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "clinicians/audit.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


@require_GET
@clinic_admin_required
def audit_trail_csv(request):
    form = AuditFilterForm(request.GET or None, clinic=request.user.clinic, clients=clients_for(request.user))
    if form.is_bound and not form.is_valid():
        # Never fall back to "everything" for a filter that could not be read.
        return render(request, "400.html", {"message": "The filter could not be used; nothing was exported. "
                                                       "Go back to the audit trail and choose the filter again."}, status=400)
    events = form.filter(audit_events_for(request.user)).select_related("actor", "client").order_by("at", "id")
    audit.record(request, Action.EXPORT, detail="audit trail CSV")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["time", "clinician", "email", "action", "object type", "object id", "client", "address", "detail"])
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow([
                timezone.localtime(e.at).isoformat(timespec="seconds"), e.actor.get_full_name() if e.actor else "",
                e.actor_email, e.action, e.object_type, e.object_id, e.client.code if e.client else "",
                e.ip_address or "", e.detail,
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
