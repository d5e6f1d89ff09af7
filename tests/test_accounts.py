"""Invitations, deactivation, password reset, lockout, two-factor and idle logoff."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from clinicians.models import Invitation, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "violet-harbour-lantern-42"


def _login(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


# Invitations -------------------------------------------------------------------------------------

def _invite(client, admin, email="new@riverside.test", role="clinician"):
    client.force_login(admin)
    response = client.post(reverse("clinicians:invite"), {"email": email, "role": role})
    assert response.status_code == 302
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    client.logout()
    return link


def test_invitation_creates_a_clinician_of_the_clinic(client, clinic_admin):
    link = _invite(client, clinic_admin)
    assert mail.outbox[-1].to == ["new@riverside.test"]
    assert "72 hours" in mail.outbox[-1].body
    response = client.post(link, {"full_name": "Nia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == reverse("screening:home")
    user = User.objects.get(email="new@riverside.test")
    assert (user.clinic, user.role, user.full_name) == (clinic_admin.clinic, "clinician", "Nia New")
    assert user.check_password(NEW_PASSWORD)
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user and invitation.token_hash not in link


def test_invitation_link_works_once(client, clinic_admin):
    link = _invite(client, clinic_admin)
    client.post(link, {"full_name": "Nia", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()
    response = client.get(link)
    assert response.status_code == 410 and b"already been used" in response.content
    response = client.post(link, {"full_name": "Mallory", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert User.objects.filter(email="new@riverside.test").count() == 1


def test_expired_invitation_is_refused(client, clinic_admin):
    link = _invite(client, clinic_admin)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(link)
    assert response.status_code == 410 and b"expired" in response.content
    assert client.post(link, {"full_name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 410
    assert not User.objects.filter(email="new@riverside.test").exists()


def test_invitation_expires_after_72_hours(client, clinic_admin):
    _invite(client, clinic_admin)
    invitation = Invitation.objects.get()
    assert abs((invitation.expires_at - invitation.created_at) - timedelta(hours=72)) < timedelta(seconds=5)


def test_unknown_invitation_token_is_404(client, db):
    assert client.get(reverse("clinicians:invitation_accept", args=["made-up"])).status_code == 404


def test_invitation_password_is_validated(client, clinic_admin):
    link = _invite(client, clinic_admin)
    response = client.post(link, {"full_name": "Nia", "password1": "password", "password2": "password"})
    assert response.status_code == 200 and b"too common" in response.content
    assert not User.objects.filter(email="new@riverside.test").exists()


def test_cannot_invite_an_existing_account(client, clinic_admin, clinician):
    client.force_login(clinic_admin)
    response = client.post(reverse("clinicians:invite"), {"email": clinician.email.upper(), "role": "clinician"})
    assert response.status_code == 400 and b"already an account" in response.content
    assert not mail.outbox


# Deactivation ------------------------------------------------------------------------------------

def test_deactivation_keeps_attribution(client, clinic_admin, clinician, client_record, make_screening):
    screening = make_screening(client_record, clinician)
    client.force_login(clinic_admin)
    assert b"can no longer log in" not in client.get(reverse("clinicians:member_deactivate", args=[clinician.id])).content
    client.post(reverse("clinicians:member_deactivate", args=[clinician.id]))
    clinician.refresh_from_db()
    assert not clinician.is_active and User.objects.filter(pk=clinician.pk).exists()
    assert "Casey Clinician" in client.get(reverse("reports:results", args=[screening.id])).content.decode()
    client.post(reverse("clinicians:member_reactivate", args=[clinician.id]))
    clinician.refresh_from_db()
    assert clinician.is_active


def test_admin_cannot_deactivate_themselves(client, clinic_admin):
    client.force_login(clinic_admin)
    client.post(reverse("clinicians:member_deactivate", args=[clinic_admin.id]))
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


# Password reset ----------------------------------------------------------------------------------

def test_password_reset_by_email(client, clinician):
    response = client.post(reverse("password_reset"), {"email": clinician.email})
    assert response["Location"] == reverse("password_reset_done")
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("password_reset_complete")
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response["Location"] == reverse("password_reset_done") and not mail.outbox


def test_login_is_case_insensitive(client, clinician):
    assert _login(client, clinician.email.upper()).status_code == 302


# Lockout -----------------------------------------------------------------------------------------

def test_lockout_after_five_failures_then_unlock(client, clinician, clinic_admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, clinician.email, "wrong").status_code == 200
    response = _login(client, clinician.email, "wrong")
    assert response.status_code == 429 and b"paused for 15 minutes" in response.content
    # Now even the right password is refused, whatever the letter case of the address.
    assert _login(client, clinician.email.upper()).status_code == 429
    assert AuditEvent.objects.filter(action="account.locked_out", actor_email=clinician.email).exists()

    admin_browser = client.__class__()
    admin_browser.force_login(clinic_admin)
    assert "Locked out" in admin_browser.get(reverse("clinicians:members")).content.decode()
    admin_browser.post(reverse("clinicians:member_unlock", args=[clinician.id]))
    assert _login(client, clinician.email).status_code == 302


# Two-factor --------------------------------------------------------------------------------------

def _code(device, drift=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _enrol(client, user):
    client.force_login(user)
    page = client.get(reverse("clinicians:two_factor_setup")).content.decode()
    assert "<svg" in page and "otpauth" not in page  # the QR code is drawn here, the secret is not in a URL
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("clinicians:two_factor_setup"), {"token": _code(device)})
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == 10
    client.logout()
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


def test_enrolment_then_login_needs_a_code(client, clinician):
    device, _codes = _enrol(client, clinician)
    response = _login(client, clinician.email)
    home = client.get(reverse("screening:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("clinicians:two_factor_verify"))
    response = client.post(reverse("clinicians:two_factor_verify"), {"token": "000000"})
    assert b"did not match" in response.content
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong guess above slows the next one down
    device.throttling_failure_timestamp = None
    device.save()
    # The code used at enrolment cannot be replayed; the next time step's code (within the allowed
    # drift) is a fresh one.
    response = client.post(reverse("clinicians:two_factor_verify"), {"token": _code(device, drift=1), "next": reverse("screening:client_list")})
    assert response["Location"] == reverse("screening:client_list")
    assert client.get(reverse("screening:home")).status_code == 200


def test_site_staff_reach_the_admin_through_two_factor(client, staff):
    """Our login page (lockout, audit) with next=/admin/, then setting up the app, then its code next time."""
    response = client.get(reverse("admin:index"))
    assert response["Location"] == f"{reverse('login')}?next={reverse('admin:index')}"
    _login(client, staff.email)
    assert client.get(reverse("admin:index"))["Location"] == reverse("clinicians:two_factor_setup")
    client.get(reverse("clinicians:two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    codes_page = client.post(reverse("clinicians:two_factor_setup"), {"token": _code(device)}).content.decode()
    assert f'href="{reverse("admin:index")}"' in codes_page  # "I have saved them" leads on to the admin
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    _login(client, staff.email)
    response = client.get(reverse("admin:index"))
    assert response["Location"] == f"{reverse('clinicians:two_factor_verify')}?next={reverse('admin:index')}"
    response = client.post(response["Location"], {"token": _code(device, drift=1)})
    assert response["Location"] == reverse("admin:index") and client.get(response["Location"]).status_code == 200


def test_recovery_code_works_once(client, clinician):
    _device, codes = _enrol(client, clinician)
    _login(client, clinician.email)
    response = client.post(reverse("clinicians:two_factor_verify"), {"token": codes[0]})
    assert response.status_code == 302 and client.get(reverse("screening:home")).status_code == 200
    client.logout()
    _login(client, clinician.email)
    response = client.post(reverse("clinicians:two_factor_verify"), {"token": codes[0]})
    assert response.status_code == 200 and b"did not match" in response.content


def test_wrong_enrolment_code_leaves_two_factor_off(client, clinician):
    client.force_login(clinician)
    client.get(reverse("clinicians:two_factor_setup"))
    response = client.post(reverse("clinicians:two_factor_setup"), {"token": "123456"})
    assert b"did not match" in response.content
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=True).exists()


@pytest.mark.parametrize("policy,role,required", [
    ("optional", "admin", False), ("admins", "admin", True), ("admins", "clinician", False),
    ("everyone", "clinician", True),
])
def test_clinic_policy_requires_two_factor(client, clinic, policy, role, required):
    clinic.two_factor = policy
    clinic.save()
    user = User.objects.create_user(f"{role}@riverside.test", PASSWORD, clinic=clinic, role=role)
    _login(client, user.email)
    response = client.get(reverse("screening:client_list"))
    if required:
        assert response["Location"] == reverse("clinicians:two_factor_setup")
        assert client.get(reverse("clinicians:two_factor_setup")).status_code == 200  # the way out stays open
    else:
        assert response.status_code == 200


def test_admin_resets_a_lost_second_factor(client, clinic_admin, clinician):
    _enrol(client, clinician)
    client.force_login(clinic_admin)
    client.post(reverse("clinicians:member_reset_two_factor", args=[clinician.id]))
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    client.logout()
    _login(client, clinician.email)
    assert client.get(reverse("screening:home")).status_code == 200


# Idle logoff and the session cookie ---------------------------------------------------------------

def test_idle_logoff_keeps_the_draft(client, clinician, client_record, make_screening, settings):
    draft = make_screening(client_record, clinician, complete=False)
    _login(client, clinician.email)
    session = client.session
    session["last_activity"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("screening:screening_step", args=[draft.id, "bonds"]), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "15 minutes without activity" in response.content.decode()
    assert AuditEvent.objects.filter(action="account.logout", actor=clinician, detail="idle").exists()
    assert client_record.screenings.drafts().exists()


def test_activity_keeps_the_session(client, clinician, settings):
    _login(client, clinician.email)
    session = client.session
    session["last_activity"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 + 30
    session.save()
    assert client.get(reverse("screening:home")).status_code == 200


def test_session_cookie_ends_with_the_browser(client, clinician):
    _login(client, clinician.email)
    cookie = client.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == "" and cookie["httponly"]


def test_lockout_is_per_account_whatever_the_address(clinician, settings):
    from tests.conftest import PASSWORD

    for i in range(settings.AXES_FAILURE_LIMIT):
        BrowserClient(REMOTE_ADDR=f"10.0.0.{i + 1}").post(reverse("login"), {"username": clinician.email, "password": "x"})
    response = BrowserClient(REMOTE_ADDR="10.0.0.99").post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_idle_stamp_is_written_at_most_once_a_minute(client, clinician):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _login(client, clinician.email)
    client.get(reverse("screening:home"))  # the first page stamps the session
    stamped = client.session["last_activity"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("screening:client_list")).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith("UPDATE")]
    assert client.session["last_activity"] == stamped

    session = client.session
    session["last_activity"] = stamped - 61  # a minute later, the stamp moves on
    session.save()
    client.get(reverse("screening:client_list"))
    assert client.session["last_activity"] > stamped - 61
    assert Session.objects.filter(session_key=client.session.session_key).exists()
