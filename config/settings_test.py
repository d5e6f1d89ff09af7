"""Settings for the test suite: the real settings with a throwaway key and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from config.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# DEBUG is off here, as in production; the test client and the e2e live server speak plain HTTP, so
# the secure-transport settings that come with DEBUG off are relaxed, as ALLOW_INSECURE_HTTP=1 does
# (set here rather than in the environment, which the tests' own `manage.py` runs inherit).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Password reset mail is sent in the request, where the test's transaction and mail.outbox are
# (tests/test_mail_limits.py turns the thread back on for its own test).
MAIL_IN_BACKGROUND = False

# A file, not SQLite's shared in-memory database: that one reports "table is locked" to a second
# connection instead of waiting, so tests of two requests at once could not pass there as they do
# on the real (file) database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per run, so two suites running at once (an editor's and CI's) do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"bondscreen-test-{os.getpid()}.sqlite3"),
    }
