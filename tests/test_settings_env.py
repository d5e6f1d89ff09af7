import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_list


def test_env_bool(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_env_list(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_database_urls(tmp_path):
    assert database_from_url("", tmp_path)["NAME"] == tmp_path / "db.sqlite3"
    pg = database_from_url("postgres://postgres:p%40ss@127.0.0.1:5432/bondscreen", tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "bondscreen", "postgres", "p@ss", "127.0.0.1", "5432")
    assert database_from_url("sqlite:////tmp/x.db", tmp_path)["NAME"] == "/tmp/x.db"
    # Both engines keep a worker's connection between requests (checked before reuse).
    for url in ("", "sqlite:////tmp/x.db", "postgres://localhost/x"):
        db = database_from_url(url, tmp_path)
        assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (60, True)
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        database_from_url("mysql://root@localhost/x", tmp_path)
    with pytest.raises(ImproperlyConfigured, match="database name"):
        database_from_url("postgres://localhost", tmp_path)


def test_settings_refuse_missing_secret_without_debug():
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0"}
    result = subprocess.run([sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


# DEBUG is off unless asked for; without it the secure-transport settings apply -------------------

SECURE_NAMES = ("DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")
A_KEY = "a-long-secret-key-for-these-tests-only-0123456789-abcdefghij"


def _settings(**env):
    """The settings module loaded in a fresh interpreter with only `env` set: (returncode, values, stderr)."""
    import json
    import subprocess
    import sys

    from tests.test_security_settings import ROOT

    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SECURE_NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )
    values = json.loads(result.stdout) if result.returncode == 0 else None
    return result.returncode, values, result.stderr


def test_debug_is_off_unless_asked_for_and_transport_is_secure_then():
    # SECRET_KEY and ALLOWED_HOSTS set, DJANGO_ENV forgotten: no tracebacks, secure cookies, HTTPS.
    returncode, values, stderr = _settings(SECRET_KEY=A_KEY, ALLOWED_HOSTS="screening.example.org")
    assert returncode == 0, stderr
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_debug_when_asked_for():
    returncode, values, stderr = _settings(DEBUG="1")
    assert returncode == 0, stderr
    assert values["DEBUG"] is True and not values["SESSION_COOKIE_SECURE"] and not values["SECURE_SSL_REDIRECT"]


def test_plain_http_without_debug_only_when_allowed_and_never_in_production():
    returncode, values, stderr = _settings(SECRET_KEY=A_KEY, ALLOW_INSECURE_HTTP="1")
    assert returncode == 0, stderr
    assert values["DEBUG"] is False
    assert not values["SESSION_COOKIE_SECURE"] and not values["CSRF_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] == 0

    returncode, _, stderr = _settings(SECRET_KEY=A_KEY, ALLOW_INSECURE_HTTP="1", DJANGO_ENV="production",
                                      ALLOWED_HOSTS="screening.example.org")
    assert returncode != 0 and "ALLOW_INSECURE_HTTP cannot be on with DJANGO_ENV=production" in stderr
    returncode, _, stderr = _settings(SECRET_KEY=A_KEY, ALLOW_INSECURE_HTTP="perhaps")
    assert returncode != 0 and "ALLOW_INSECURE_HTTP must be one of" in stderr


def test_start_up_without_secret_key_stops_when_debug_is_not_asked_for():
    returncode, _, stderr = _settings(ALLOWED_HOSTS="screening.example.org")
    assert returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in stderr.strip().splitlines()[-1]
