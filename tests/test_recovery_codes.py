"""Recovery codes are stored only as keyed hashes: the database never holds a plain code; each code
works once; plain codes stored before (django-otp's static tokens) are hashed by a migration."""

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from clinicians.models import RecoveryCode, RecoveryCodeDevice
from tests.test_accounts import _enrol, _login


def _every_stored_value():
    """Every value in every table of the database, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row if value is not None]
    return values


def test_the_database_never_holds_a_plain_code(client, clinician):
    _device, codes = _enrol(client, clinician)
    assert len(set(codes)) == 10
    stored = _every_stored_value()
    for code in codes:
        assert not any(code in value for value in stored), code
        assert not any(hashlib.sha256(code.encode()).hexdigest() in value for value in stored)  # keyed, not bare
    assert not StaticToken.objects.exists()
    assert RecoveryCode.objects.filter(device__user=clinician).count() == 10


def test_a_code_works_once_and_the_others_still_work(client, clinician):
    _device, codes = _enrol(client, clinician)
    _login(client, clinician.email)
    response = client.post(reverse("clinicians:two_factor_verify"), {"token": codes[3]}, follow=True)
    assert response.status_code == 200 and "9 left" in response.content.decode()
    assert client.get(reverse("screening:home")).status_code == 200
    client.logout()
    _login(client, clinician.email)
    assert b"did not match" in client.post(reverse("clinicians:two_factor_verify"), {"token": codes[3]}).content
    RecoveryCodeDevice.objects.filter(user=clinician).update(throttling_failure_count=0,
                                                             throttling_failure_timestamp=None)
    assert client.post(reverse("clinicians:two_factor_verify"), {"token": codes[4].upper()})["Location"] == reverse("screening:home")
    assert RecoveryCode.objects.filter(device__user=clinician).count() == 8


def test_codes_survive_a_secret_key_rotation(client, clinician, settings):
    _device, codes = _enrol(client, clinician)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnop"
    _login(client, clinician.email)
    assert client.post(reverse("clinicians:two_factor_verify"), {"token": codes[0]})["Location"] == reverse("screening:home")


def test_plain_codes_stored_before_are_hashed_and_keep_working(client, clinician):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=clinician, name="Authenticator app", confirmed=True)
    old = StaticDevice.objects.create(user=clinician, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=old, token=code) for code in ("abcdefgh", "ijklmnop")])

    migration = importlib.import_module("clinicians.migrations.0009_recovery_codes_hashed")
    migration.hash_static_tokens(apps, None)

    assert not StaticDevice.objects.exists() and not StaticToken.objects.exists()
    assert not any("abcdefgh" in value or "ijklmnop" in value for value in _every_stored_value())
    _login(client, clinician.email)
    assert client.post(reverse("clinicians:two_factor_verify"), {"token": "abcdefgh"})["Location"] == reverse("screening:home")
    client.logout()
    _login(client, clinician.email)
    assert b"did not match" in client.post(reverse("clinicians:two_factor_verify"), {"token": "abcdefgh"}).content


@pytest.mark.parametrize("wrong", ["", "x" * 8, "abcdefgh"])
def test_wrong_codes_do_not_match(clinician, wrong):
    device = RecoveryCodeDevice.objects.create(user=clinician, name="Recovery codes", confirmed=True)
    device.set_codes(["qrstuvwx"])
    assert not device.verify_token(wrong)
