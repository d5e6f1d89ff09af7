"""The one set of fixtures: a clinic with its admin, a clinician and a teammate, an outsider from
another clinic, a client, a draft, screenings made through the services, and two small test
instruments (tests/instruments) beside the published ones."""

import json
from pathlib import Path

import pytest
from django.db import transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicians.actors import Actor
from clinicians.models import Clinic, User
from screening import instrument as instruments
from screening import services
from screening.instrument import PROTECTIVE, SAFETY, load_instrument
from screening.models import Client, Screening

PASSWORD = "a-long-test-password"
TEST_INSTRUMENTS = Path(__file__).resolve().parent / "instruments"
if TEST_INSTRUMENTS not in instruments.INSTRUMENT_DIRS:
    instruments.INSTRUMENT_DIRS.append(TEST_INSTRUMENTS)

# A tiny instrument so every figure of scoring and change can be worked out by hand.
TINY = json.loads((TEST_INSTRUMENTS / "tiny-1.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings, tmp_path):
    """Exports and filed reports are written under the test's own folder, never under var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path / "files"}},
    }


@pytest.fixture(autouse=True, scope="session")
def _flush_lifts_sqlite_triggers():
    """Empty the test database between transactional tests despite the append-only triggers.

    Django flushes with TRUNCATE on PostgreSQL (row triggers do not fire) but with DELETE on SQLite,
    which the triggers of audit 0004 and screening 0007 refuse. Here, and only in the test suite, the
    flush drops every trigger, deletes, and creates the same triggers again from their stored SQL, in
    one transaction: the application has no way around them.
    """
    SQLiteOperations = SQLiteWrapper.ops_class
    original = SQLiteOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f"DROP TRIGGER {self.quote_name(name)}")
            original(self, sql_list)
            for _, sql in triggers:
                cursor.execute(sql)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SQLiteOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture
def instrument():
    return load_instrument("tbsc-1")


@pytest.fixture
def current_instrument():
    """The version new screenings use."""
    return load_instrument(instruments.CURRENT_KEY)


@pytest.fixture
def tiny():
    return load_instrument("tiny-1")


@pytest.fixture
def small_instrument():
    """3 stages and 4 warning signs: pages and reports must count from the instrument, not assume 7 and 10."""
    return load_instrument("small-1")


@pytest.fixture
def clinic(db):
    return Clinic.objects.create(name="Riverside Clinic")


@pytest.fixture
def other_clinic(db):
    return Clinic.objects.create(name="Hillside Clinic")


@pytest.fixture
def clinic_admin(clinic):
    return User.objects.create_user("admin@riverside.test", PASSWORD, full_name="Ada Admin", clinic=clinic, role=User.Role.ADMIN)


@pytest.fixture
def clinician(clinic):
    return User.objects.create_user("casey@riverside.test", PASSWORD, full_name="Casey Clinician", clinic=clinic)


@pytest.fixture
def teammate(clinic):
    return User.objects.create_user("terry@riverside.test", PASSWORD, full_name="Terry Teammate", clinic=clinic)


@pytest.fixture
def outsider(other_clinic):
    return User.objects.create_user("olive@hillside.test", PASSWORD, full_name="Olive Outsider", clinic=other_clinic)


@pytest.fixture
def staff(db):
    """Site staff: no clinic, may open the Django admin (/admin/)."""
    return User.objects.create_user("sam@site.test", PASSWORD, full_name="Sam Staff", is_staff=True, is_superuser=True)


def log_in_verified(client, user):
    """Log in past the second factor: the user's authenticator app (made if missing), as after its code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_record(clinic, clinician):
    client = Client.objects.create(clinic=clinic, code="C-0001", created_by=clinician)
    client.assigned.add(clinician)
    return client


@pytest.fixture
def logged_in(client, clinician):
    client.force_login(clinician)
    return client


def all_answers(instrument, bonds, value=1, safety_yes=(), protective=1):
    """Every item of the given bonds answered `value`; safety 'Yes' for the keys in safety_yes."""
    answers = {}
    for bond in bonds:
        for item in instrument.items_for_bond(bond):
            answers[(bond, item.key)] = value
    for item in instrument.safety_items:
        answers[(SAFETY, item.key)] = 1 if item.key in safety_yes else 0
    for item in instrument.protective_items:
        answers[(PROTECTIVE, item.key)] = protective
    return answers


fill = services.save_answer_set  # the demo's helper too


@pytest.fixture
def make_screening():
    """Make a screening through the services; complete=True answers everything and completes it."""

    def make(client, clinician, bonds=("abuser", "v2v"), complete=True, value=1, safety_yes=(), notes="",
             instrument_key="tbsc-1"):
        screening, _ = services.start_screening(client, Actor(clinician))
        if instrument_key != screening.instrument_key:  # set before anything is answered
            Screening.objects.filter(pk=screening.pk).update(instrument_key=instrument_key)
            screening.instrument_key = instrument_key
        services.update_draft(screening, {
            "abuser_in_scope": "abuser" in bonds, "v2v_in_scope": "v2v" in bonds,
            "abuser_label": "ex-partner" if "abuser" in bonds else "",
            "v2v_label": "friend from group" if "v2v" in bonds else "",
            "notes": notes,
        })
        if complete:
            fill(screening, all_answers(screening.instrument, bonds, value=value, safety_yes=safety_yes))
            outcome = services.complete_screening(screening.id, Screening.objects.all(), Actor(clinician))
            assert outcome.completed and outcome.problems == ()
            screening = outcome.screening
        return screening

    return make


@pytest.fixture
def draft(client_record, clinician, make_screening):
    """An unfinished screening of the abuser bond only."""
    return make_screening(client_record, clinician, bonds=("abuser",), complete=False)


@pytest.fixture(autouse=True)
def _pages_cache_emptied():
    """Each test starts with no kept page parts: ids and revisions start again in a new test database."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()
