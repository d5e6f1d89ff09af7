"""Production settings pass Django's deployment check; every response carries the security headers."""

import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "ALLOW_INSECURE_HTTP")}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_check_deploy_is_clean_in_production():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_ENV="production", SECRET_KEY="k" * 20 + "-production-only-" + "x7Qz!p" * 6,
        ALLOWED_HOSTS="screening.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_clean_when_django_env_is_forgotten():
    # DEBUG off is enough for secure cookies, HTTPS and HSTS: a deployment without DJANGO_ENV passes too.
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY="k" * 20 + "-deployment-only-" + "x7Qz!p" * 6, ALLOWED_HOSTS="screening.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_settings_would_fail_the_deploy_check():
    # Proves the check above can fail: the same check on development settings reports problems.
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
    assert result.returncode != 0


def test_production_refuses_debug():
    result = _manage("check", DJANGO_ENV="production", DEBUG="1", SECRET_KEY="x" * 60)
    assert result.returncode != 0 and "DEBUG cannot be on" in result.stderr


def test_security_headers(logged_in):
    response = logged_in.get(reverse("screening:home"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no other origin
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_or_style(logged_in, client_record, clinician, make_screening):
    import re

    screening = make_screening(client_record, clinician, safety_yes=("safety-suicidal-thoughts",))
    draft_client = client_record.__class__.objects.create(clinic=client_record.clinic, code="D-1", created_by=clinician)
    draft_client.assigned.add(clinician)
    draft = make_screening(draft_client, clinician, complete=False)
    urls = [reverse("screening:home"), reverse("screening:client_list"), reverse("reports:results", args=[screening.id]),
            reverse("screening:screening_step", args=[draft.id, "abuser"]), reverse("screening:screening_step", args=[draft.id, "review"]),
            reverse("screening:client_detail", args=[client_record.id])]
    for url in urls:
        body = logged_in.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"\son[a-z]+=", body), url
        assert " style=" not in body, url
