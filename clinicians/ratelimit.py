"""Rate limits for requests that send mail (password reset, invitations): per target email address
and per client address (RATE_LIMITS in settings), counted in fixed windows of an hour.

Counters are in Django's default cache, which settings make a database cache: one table every app
server shares, so the limits hold however many servers and workers there are. A count read and
written by two requests at once may miss one of them; a limit may be passed by one, never by many.
Keys are hashes: no email address is stored in the cache table.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from clinicians.actors import client_ip


WINDOW_SECONDS = 60 * 60


def _key(scope, kind, value):
    digest = hashlib.sha256(f"{scope}:{kind}:{value}".encode()).hexdigest()
    return f"ratelimit:{digest}:{int(time.time() // WINDOW_SECONDS)}"


def _over(key, limit):
    """Count one request under `key`; whether that was one too many (an over-limit one is not counted)."""
    count = cache.get(key, 0)
    if count >= limit:
        return True
    cache.set(key, count + 1, timeout=WINDOW_SECONDS)
    return False


def hit(scope, kind, value, limit):
    """Count one request of `scope` for `value` (a link, an address); True when over `limit` an hour."""
    return _over(_key(scope, kind, value), limit)


def over_limit(request, scope, email):
    """Count this request for `scope` ("password_reset", "invitation"); True when it is over a limit."""
    limits = settings.RATE_LIMITS[scope]
    email = (email or "").strip().lower()
    # Both are checked (and counted) every time, so neither reveals whether the other was reached.
    by_email = _over(_key(scope, "email", email), limits["per_email"])
    by_address = _over(_key(scope, "address", client_ip(request) or ""), limits["per_address"])
    return by_email or by_address


def too_many_response(request, what):
    response = render(request, "429.html", {"what": what}, status=429)
    response["Retry-After"] = str(int(WINDOW_SECONDS - time.time() % WINDOW_SECONDS) + 1)
    return response


def rate_limited(scope, what):
    """A view decorator: POSTs over the scope's limits get a readable 429 page instead of the view."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and over_limit(request, scope, request.POST.get("email")):
                return too_many_response(request, what)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
