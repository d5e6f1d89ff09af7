from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.mail import send_mail
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicians import services
from clinicians.actors import Actor
from clinicians.decorators import clinic_admin_required
from clinicians.forms import AcceptInvitationForm, ClinicSettingsForm, InvitationForm
from clinicians.models import Invitation, User
from clinicians.ratelimit import rate_limited
from clinicians.scoping import get_member_for_user, members_for


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def clinic_settings(request):
    form = ClinicSettingsForm(request.POST or None, instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        services.save_clinic_settings(form, Actor.from_request(request))
        messages.success(request, "Clinic settings saved.")
        return redirect("clinicians:clinic_settings")
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
    invitation, token = services.create_invitation(
        request.user.clinic, form.cleaned_data["email"], form.cleaned_data["role"], Actor.from_request(request),
    )
    link = request.build_absolute_uri(reverse("clinicians:invitation_accept", args=[token]))
    send_mail(
        subject=f"You are invited to {request.user.clinic.name} on bondscreen",
        message=(
            f"{request.user.get_full_name()} has invited you to join {request.user.clinic.name} on bondscreen.\n\n"
            f"Set your password here (the link works once, for {settings.INVITATION_VALID_HOURS} hours):\n{link}\n"
        ),
        from_email=None, recipient_list=[invitation.email],
    )
    messages.success(request, f"Invitation sent to {invitation.email}. The link works once and expires in {settings.INVITATION_VALID_HOURS} hours.")
    return redirect("clinicians:members")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = Invitation.objects.select_related("clinic").filter(token_hash=services.token_hash(token)).first()
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
        try:
            user = services.accept_invitation(
                invitation, form.cleaned_data["full_name"], form.cleaned_data["password1"], Actor.from_request(request),
            )
        except services.InvitationUnusable as refused:
            return render(request, "clinicians/invitation_unusable.html", {"reason": refused.reason}, status=410)
        login(request, user, backend="clinicians.backends.EmailBackend")
        messages.success(request, f"Welcome to {invitation.clinic.name}.")
        return redirect("screening:home")
    return render(request, "clinicians/invitation_accept.html", {"form": form, "invitation": invitation})


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def member_active(request, member_id, active):
    member = get_member_for_user(request.user, member_id)
    if member == request.user:
        messages.error(request, "You cannot deactivate your own account. Ask another clinic admin.")
        return redirect("clinicians:members")
    if request.method == "POST":
        services.set_active(member, active, Actor.from_request(request))
        messages.success(request, f"{member} {'can log in again' if active else 'can no longer log in'}.")
        return redirect("clinicians:members")
    return render(request, "clinicians/member_confirm.html", {"member": member, "what": "activate" if active else "deactivate"})


@require_POST
@clinic_admin_required
def member_unlock(request, member_id):
    member = get_member_for_user(request.user, member_id)
    services.unlock(member, Actor.from_request(request))
    messages.success(request, f"{member} can try to log in again.")
    return redirect("clinicians:members")


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def member_reset_two_factor(request, member_id):
    member = get_member_for_user(request.user, member_id)
    if request.method == "POST":
        services.reset_two_factor(member, Actor.from_request(request))
        messages.success(request, f"Two-factor sign-in for {member} was reset; they set it up again at their next login.")
        return redirect("clinicians:members")
    return render(request, "clinicians/member_confirm.html", {"member": member, "what": "reset two-factor for"})
