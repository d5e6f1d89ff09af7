"""Deactivating a clinician ends every session of theirs at once: reactivated, the old session is gone."""

from django.contrib.sessions.models import Session
from django.test import Client as Browser
from django.urls import reverse

from clinicians.sessions import end_sessions
from tests.conftest import PASSWORD


def _logged_in_browser(user):
    browser = Browser()
    assert browser.post(reverse("login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    assert browser.get(reverse("screening:home")).status_code == 200
    return browser


def _sessions_of(user):
    return [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]


def test_deactivation_ends_every_session_and_reactivation_does_not_bring_them_back(clinic_admin, clinician, teammate):
    laptop, tablet = _logged_in_browser(clinician), _logged_in_browser(clinician)
    colleague = _logged_in_browser(teammate)
    assert len(_sessions_of(clinician)) == 2

    admin = Browser()
    admin.force_login(clinic_admin)
    admin.post(reverse("clinicians:member_deactivate", args=[clinician.id]))
    assert _sessions_of(clinician) == []  # at once, not at their next request
    admin.post(reverse("clinicians:member_reactivate", args=[clinician.id]))

    for browser in (laptop, tablet):
        response = browser.get(reverse("screening:home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert colleague.get(reverse("screening:home")).status_code == 200  # nobody else's session is touched
    assert admin.get(reverse("clinicians:members")).status_code == 200


def test_end_sessions_returns_how_many(clinician, teammate):
    _logged_in_browser(clinician)
    _logged_in_browser(teammate)
    assert end_sessions(clinician) == 1
    assert end_sessions(clinician) == 0
    assert len(_sessions_of(teammate)) == 1
