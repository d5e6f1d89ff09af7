"""Read settings from the environment; a bad value stops start-up with a clear message."""

import os
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


# SQLite takes its write lock when a transaction begins, and waits for it, so two requests at once
# (a double click, an autosave racing a submit) queue instead of failing with "database is locked".
# WAL lets pages read while another request writes; synchronous=NORMAL is the setting SQLite
# recommends with WAL (a power cut can lose the last commits, never corrupt the file).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
# Each worker keeps its SQLite connection between requests, as with PostgreSQL: opening one (and
# registering Django's SQL functions, running the pragmas, closing it) was a quarter of the cost of
# a signed-in request that does no work of its own. Between requests the connection is idle in
# autocommit, holding no lock.
SQLITE_CONNECTION = {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


def _sqlite(name):
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": name, "OPTIONS": SQLITE_OPTIONS, **SQLITE_CONNECTION}


def database_from_url(url, base_dir):
    """Turn DATABASE_URL into a DATABASES entry. Only SQLite and PostgreSQL are supported."""
    if not url:
        return _sqlite(base_dir / "db.sqlite3")
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute/path.db
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not path:
            raise ImproperlyConfigured("DATABASE_URL=sqlite:/// needs a file path, e.g. sqlite:///db.sqlite3")
        return _sqlite(path)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL for PostgreSQL needs a database name, e.g. postgres://user@host:5432/bondscreen")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported; use postgres://… or sqlite:///…"
    )
