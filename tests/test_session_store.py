"""The session store reads sessions with one plain statement: the same answers as Django's own."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from clinicians.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_the_setting_uses_this_store():
    assert settings.SESSION_ENGINE == "clinicians.session_store"


def test_a_live_session_reads_back_what_was_saved():
    store = SessionStore()
    store["last_activity"] = 12.5
    store["note"] = "x" * 5000
    store.create()
    again = SessionStore(store.session_key)
    assert again.load() == {"last_activity": 12.5, "note": "x" * 5000}
    assert again.session_key == store.session_key
    assert again.load() == DjangoStore(store.session_key).load()


def test_an_expired_session_is_not_read_and_its_key_is_dropped():
    store = SessionStore()
    store["user"] = "someone"
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    again = SessionStore(store.session_key)
    assert again.load() == {}
    assert again.session_key is None  # a new key is made on save: the old one is never revived


def test_an_unknown_key_reads_as_an_empty_new_session():
    again = SessionStore("a" * 32)
    assert again.load() == {}
    assert again.session_key is None
    assert not Session.objects.exists()


def test_a_signed_in_page_reads_its_session_and_user_through_it(client, clinician):
    client.force_login(clinician)
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == clinician
    assert isinstance(response.wsgi_request.session, SessionStore)
    client.logout()
    assert client.get("/").status_code == 302  # signed out: the old session is gone
