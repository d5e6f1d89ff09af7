"""Password reset and invitations: rate-limited per target address and per client address (a
readable 429, never a 500); a reset request does the same work whether or not the account exists,
the lookup and the mail happen after the response."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicians import passwords


def _reset(email, address="203.0.113.7"):
    return Browser(REMOTE_ADDR=address).post(reverse("password_reset"), {"email": email})


def _invite(browser, email, address="203.0.113.7"):
    return browser.post(reverse("clinicians:invite"), {"email": email, "role": "clinician"}, REMOTE_ADDR=address)


def test_counters_live_in_the_shared_database_cache(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.RATE_LIMITS == {
        "password_reset": {"per_email": 3, "per_address": 20},
        "invitation": {"per_email": 3, "per_address": 50},
        "self_report_link": {"per_link": 600, "refused_per_address": 30},
    }


@pytest.mark.parametrize("known", [True, False], ids=["account", "no-account"])
def test_password_reset_limited_per_target_address(clinician, settings, known):
    email = clinician.email if known else "nobody@nowhere.test"
    limit = settings.RATE_LIMITS["password_reset"]["per_email"]
    for i in range(limit):
        assert _reset(email.upper() if i else email, address=f"10.0.0.{i}")["Location"] == reverse("password_reset_done")
    response = _reset(email, address="10.0.0.200")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many requests" in page and "Try again in an hour" in page and "Back to" in page
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == (limit if known else 0)
    # Other addresses are not affected.
    assert _reset("someone@else.test", address="10.0.0.200").status_code == 302


def test_password_reset_limited_per_client_address(db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": {"per_email": 3, "per_address": 4}}
    for i in range(4):
        assert _reset(f"person-{i}@nowhere.test").status_code == 302
    assert _reset("person-99@nowhere.test").status_code == 429
    assert _reset("person-99@nowhere.test", address="198.51.100.1").status_code == 302


def test_password_reset_does_the_same_work_whether_or_not_the_account_exists(clinician, monkeypatch):
    jobs = []
    monkeypatch.setattr(passwords, "in_background", lambda func, **kwargs: jobs.append((func, kwargs)))

    def request(email, address):
        with CaptureQueriesContext(connection) as queries:
            response = _reset(email, address)
        return response, [re.sub(r"'[^']*'|\"s\w+\"|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]

    known, known_sql = request(clinician.email, "10.0.0.1")
    unknown, unknown_sql = request("nobody@nowhere.test", "10.0.0.2")
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code, unknown["Location"], unknown.content)
    assert known_sql == unknown_sql  # the same statements: no account lookup while the client waits
    assert not any("clinicians_user" in sql for sql in known_sql)
    assert [func.__name__ for func, _ in jobs] == ["save", "save"]  # the form's lookup-and-send, later
    assert not mail.outbox

    for func, kwargs in jobs:
        func(**kwargs)
    assert [m.to for m in mail.outbox] == [[clinician.email]]
    assert re.search(r"http://testserver/accounts/password/reset/\S+/", mail.outbox[0].body)


@pytest.mark.django_db(transaction=True)
def test_reset_mail_is_sent_from_a_background_thread(clinic, settings, monkeypatch):
    from clinicians.models import User

    user = User.objects.create_user("thread@riverside.test", "a-long-test-password", clinic=clinic)
    settings.MAIL_IN_BACKGROUND = True
    threads = []
    start = passwords.in_background
    monkeypatch.setattr(passwords, "in_background", lambda func, **kwargs: threads.append(start(func, **kwargs)))
    assert _reset(user.email).status_code == 302
    assert len(threads) == 1 and threads[0] is not None
    threads[0].join(10)
    assert [m.to for m in mail.outbox] == [[user.email]]
    cache.clear()  # the counters' table is not a model's: the flush after this test leaves it


def test_invitations_limited_per_target_address(client, clinic_admin, settings):
    client.force_login(clinic_admin)
    limit = settings.RATE_LIMITS["invitation"]["per_email"]
    for _ in range(limit):
        assert _invite(client, "new@riverside.test").status_code == 302
    response = _invite(client, "NEW@riverside.test", address="10.1.1.1")
    assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert len(mail.outbox) == limit
    assert _invite(client, "other@riverside.test").status_code == 302


def test_invitations_limited_per_client_address(client, clinic_admin, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation": {"per_email": 3, "per_address": 2}}
    client.force_login(clinic_admin)
    assert _invite(client, "a@riverside.test").status_code == 302
    assert _invite(client, "b@riverside.test").status_code == 302
    assert _invite(client, "c@riverside.test").status_code == 429
    assert _invite(client, "c@riverside.test", address="10.2.2.2").status_code == 302


def test_cache_table_is_made_by_migrate(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from django.conf import settings

    from tests.test_security_settings import ROOT

    path = tmp_path / "fresh.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DATABASE_URL": f"sqlite:///{path}"},
    )
    assert result.returncode == 0, result.stderr
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert settings.CACHES["default"]["LOCATION"] in tables
