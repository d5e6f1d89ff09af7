"""Two lockouts: per account (a few failures, from any address) and per address (many failures,
across any accounts), each with its own limit; a success clears only its own account's count."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from audit.models import AuditEvent
from clinicians.models import User
from tests.conftest import PASSWORD

CLINIC_ADDRESS = "203.0.113.7"


def _login(email, password, address=CLINIC_ADDRESS, **extra):
    return Browser(REMOTE_ADDR=address, **extra).post(reverse("login"), {"username": email, "password": password})


def _fail_across_accounts(count, address=CLINIC_ADDRESS, per_account=2, **extra):
    """`count` failed logins from one address, spread so no account reaches its own limit."""
    for i in range(count):
        response = _login(f"someone-{i // per_account}@riverside.test", "wrong", address, **extra)
        assert response.status_code == 200, i


def test_both_limits_are_configured():
    from django.conf import settings

    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]  # either one locks
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 50


def test_a_shared_clinic_address_survives_ordinary_typos(clinician):
    # 49 failures from the clinic's one address, no account at its limit: everyone still logs in.
    _fail_across_accounts(49)
    assert _login(clinician.email, PASSWORD).status_code == 302


def test_per_address_limit_across_accounts(clinician, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    _fail_across_accounts(7)
    response = _login("someone-else@riverside.test", "wrong")
    assert response.status_code == 429
    assert b"from this network address" in response.content
    # From that address even a right password is refused now; from another address it works.
    assert _login(clinician.email, PASSWORD).status_code == 429
    assert _login(clinician.email, PASSWORD, address="198.51.100.20").status_code == 302
    assert AuditEvent.objects.filter(action="account.locked_out", ip_address=CLINIC_ADDRESS).exists()


def test_per_address_limit_ignores_forwarded_headers(clinician, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(6):
        _login(f"someone-{i}@riverside.test", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}",
               HTTP_X_REAL_IP=f"10.8.8.{i}")
    assert _login(clinician.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.7.7.7").status_code == 429


def test_per_account_limit_still_applies_from_any_address(clinician, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(clinician.email, "wrong", address=f"10.0.0.{i + 1}")
    response = _login(clinician.email, PASSWORD, address="10.0.0.99")
    assert response.status_code == 429 and b"for this account" in response.content
    # Other accounts at those addresses are not affected.
    other = User.objects.create_user("other@riverside.test", PASSWORD, clinic=clinician.clinic)
    assert _login(other.email, PASSWORD, address="10.0.0.1").status_code == 302


def test_a_success_does_not_clear_the_address_count(clinician, settings):
    # Someone with one account cannot log in between guesses to reset the address's count.
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    _fail_across_accounts(5)
    assert _login(clinician.email, PASSWORD).status_code == 302
    _login("someone-else@riverside.test", "wrong")
    assert _login(clinician.email, PASSWORD).status_code == 429


def test_a_success_clears_its_own_account_count(clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(clinician.email, "wrong")
    assert _login(clinician.email, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(clinician.email, "wrong")
    assert _login(clinician.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("value,expected", [("80", "80"), ("many", "LOGIN_ADDRESS_FAILURE_LIMIT must be a whole number")])
def test_address_limit_from_the_environment(value, expected):
    import subprocess
    import sys

    from tests.test_security_settings import ROOT

    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; django.setup(); "
                               "print(settings.LOGIN_ADDRESS_FAILURE_LIMIT)"],
        cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1",
             "LOGIN_ADDRESS_FAILURE_LIMIT": value},
    )
    assert expected in result.stdout + result.stderr
