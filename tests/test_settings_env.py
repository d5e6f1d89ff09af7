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
