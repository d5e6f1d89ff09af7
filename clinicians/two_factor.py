"""Two-factor sign-in with an authenticator app (TOTP) and one-time recovery codes, via django-otp."""

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicians import services
from clinicians.actors import Actor
from clinicians.forms import TokenForm
from clinicians.middleware import NO_DEVICE_KEY
from clinicians.models import RecoveryCodeDevice


def qr_svg(text):
    """The QR code as inline SVG, drawn here: the secret never leaves the server for a QR service."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "screening:home"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    user = request.user
    if user_has_device(user):
        request.session.pop(NO_DEVICE_KEY, None)  # turned on from another session meanwhile
        if request.user.is_verified():
            messages.info(request, "Two-factor sign-in is already on for your account.")
            return redirect("screening:home")
        return redirect("clinicians:two_factor_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )
    form = TokenForm(request.POST or None)
    form.fields["token"].help_text = "The 6-digit code your authenticator app shows now."
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            codes = _new_recovery_codes(user)
            otp_login(request, device)
            request.session.pop(NO_DEVICE_KEY, None)
            services.two_factor_enabled(user, Actor.from_request(request))
            # Shown once, in this response only; never stored in plain text or sent anywhere.
            return render(request, "clinicians/two_factor_codes.html", {"codes": codes})
        form.add_error("token", "That code did not match. Check the time on your phone and try the newest code.")
    return render(request, "clinicians/two_factor_setup.html", {
        "form": form,
        "qr": qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "issuer": settings.OTP_TOTP_ISSUER,
    })


def _new_recovery_codes(user):
    """Ten new codes, returned to be shown once; only their hashes are stored."""
    StaticDevice.objects.filter(user=user).delete()  # plain codes of before, should any be left
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    device.set_codes(codes)
    return codes


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    if request.user.is_verified():
        return redirect(_safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, RecoveryCodeDevice):
                left = device.codes.count()
                messages.warning(request, f"You used a recovery code; {left} left. Each works only once.")
            return redirect(_safe_next(request))
        form.add_error("token", "That code did not match. Try the newest code from your app, or a recovery code.")
    return render(request, "clinicians/two_factor_verify.html", {"form": form, "next": request.GET.get("next", "")})
