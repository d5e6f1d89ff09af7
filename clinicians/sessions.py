"""Ending a user's sessions (they are in the database: django.contrib.sessions)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def end_sessions(user):
    """Delete every unexpired session of `user`, wherever they are logged in; returns how many.

    A session stores its user only inside its encoded data, so each unexpired session is read: a
    clinic network has a few thousand at most, and this runs when an admin deactivates someone.
    """
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
