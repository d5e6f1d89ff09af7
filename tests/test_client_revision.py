"""A results page's report parts are kept under the client's revision (reports/results_page.py), which
database triggers raise on every change a report can show (screening migration 0015). These tests hold
the triggers to that on each database, and the page to showing every change at once: a follow-up, an
amendment, the clinic's crisis resources, a clinician's new name, a new day, the time of reading."""

import importlib
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reports.models import FiledReport, ReportFiling
from clinicians.actors import Actor
from clinicians.models import User
from reports import filing, results_page
from screening import flags, services
from screening.models import Amendment, Answer, Client, SafetyFlag, Screening, SelfReportLink
from tests.test_measurement import make_estimate

MIGRATION = importlib.import_module("screening.migrations.0015_client_revision")
REPORTS_MIGRATION = importlib.import_module("reports.migrations.0003_filing_revises_client")
CLINIC_MIGRATION = importlib.import_module("clinicians.migrations.0014_clinic_revision")
V2 = "tbsc-2"


def revision(record):
    """A client's or a clinic's revision as the database has it now."""
    return type(record).objects.values_list("revision", flat=True).get(pk=record.pk)


class Raises:
    """`with Raises(client):` fails unless the block (one statement, so that it names one trigger) raised
    the revision of each client or clinic given."""

    def __init__(self, *records):
        self.records = records

    def __enter__(self):
        self.before = [revision(r) for r in self.records]

    def __exit__(self, *exc):
        if exc[0] is None:
            for record, before in zip(self.records, self.before):
                assert revision(record) > before, f"revision of {record} not raised"


@pytest.fixture
def second_client(clinic, clinician):
    return Client.objects.create(clinic=clinic, code="C-0002", created_by=clinician)


@pytest.fixture
def elsewhere(other_clinic, outsider):
    return Client.objects.create(clinic=other_clinic, code="X-0001", created_by=outsider)


# The triggers -------------------------------------------------------------------------------------

def test_every_trigger_is_in_place(db):
    client_wise = {**MIGRATION.TRACKED, **REPORTS_MIGRATION.TRACKED}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {name for name, _body in MIGRATION.SQLITE + CLINIC_MIGRATION.SQLITE}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"screening_client_revision_up", "screening_reliabilityestimate_revises_clinic",
                        "clinicians_clinic_revision_up", "clinicians_user_revises_clinic"}
        found = {row[0] for row in cursor.fetchall()}
    expected |= {f"{table}_revises_client_{op.lower()}" for table in client_wise for op in MIGRATION.OPERATIONS}
    assert expected <= found, sorted(expected - found)


def test_each_change_of_a_clients_record_raises_its_revision_and_no_one_elses(
        client_record, second_client, elsewhere, clinician, make_screening, current_instrument):
    actor = Actor(clinician)
    untouched = [revision(second_client), revision(elsewhere)]
    with Raises(client_record):  # a screening inserted
        draft = make_screening(client_record, clinician, complete=False, instrument_key=V2)
    with Raises(client_record):  # answers inserted
        services.save_answers(draft, "safety", {"safety-violence": 1}, actor=actor)
    flag = SafetyFlag.objects.get(screening=draft)  # ... which raised a flag in the same transaction
    with Raises(client_record):  # an answer updated
        Answer.objects.filter(screening=draft, item_key="safety-violence").update(answered_at=timezone.now())
    with Raises(client_record):  # a follow-up inserted
        flags.record_follow_up(flag.id, SafetyFlag.objects.all(), actor, action="declined", note="Not today.",
                               submission=uuid.uuid4())
    with Raises(client_record):  # a flag updated
        SafetyFlag.objects.filter(pk=flag.pk).update(detail="checked")
    with Raises(client_record):  # an answer deleted
        Answer.objects.filter(screening=draft, item_key="safety-violence").delete()
    with Raises(client_record):  # a screening updated through a bulk update
        Screening.objects.filter(pk=draft.pk).update(notes="bulk")
    Answer.objects.filter(screening=draft).delete()
    SafetyFlag.objects.filter(screening=draft).update(screening=None)
    with Raises(client_record):  # a screening deleted
        Screening.objects.filter(pk=draft.pk).delete()
    done = make_screening(client_record, clinician, instrument_key=V2)
    with Raises(client_record):  # an amendment (its row, answers and the screening's new scores)
        services.amend_screening(done.id, Screening.objects.all(), actor, "Wrong row.",
                                 {"protective": {current_instrument.protective_items[0].key: 0}})
    with Raises(client_record):  # an amendment's own row
        Amendment.objects.filter(screening=done).update(reason="Wrong row, as the client said.")
    rescreen = make_screening(client_record, clinician, complete=False)
    with Raises(client_record):  # a self-report link
        SelfReportLink.objects.create(screening=rescreen, created_by=clinician, token_hash="0" * 64,
                                      expires_at=timezone.now() + timedelta(hours=1))
    assert [revision(second_client), revision(elsewhere)] == untouched


def test_filing_a_report_raises_the_revision(client_record, clinician, make_screening):
    done = make_screening(client_record, clinician, instrument_key=V2)
    with Raises(client_record):  # the filing row asked for
        ReportFiling.objects.get_or_create(screening=done, version=0)
    with Raises(client_record):  # the job: its row moves, the filed report is added
        assert filing.file_intake_report.call(str(done.id), 0)["outcome"] == "filed"
    with Raises(client_record):  # the filed report's own row
        FiledReport.objects.filter(screening=done).update(filed_at=timezone.now())
    with Raises(client_record):
        ReportFiling.objects.filter(screening=done).delete()


def test_a_stale_client_saved_later_never_lowers_the_revision(client_record, clinician, make_screening):
    stale = Client.objects.get(pk=client_record.pk)
    make_screening(client_record, clinician, complete=False)
    raised = revision(client_record)
    assert raised > stale.revision
    stale.rescreen_interval_days = 30
    stale.save()  # writes the old number back; the database moves past both
    assert revision(client_record) > raised


def test_what_every_report_of_a_clinic_shows_raises_the_clinics_revision_only(
        clinic, other_clinic, client_record, clinician, outsider):
    untouched = [revision(client_record), revision(other_clinic)]
    with Raises(clinic):
        clinic.crisis_resources = "Call the clinic's duty line: 0100 000 000"
        clinic.save()
    with Raises(clinic):
        clinic.name = "Riverside Renamed"
        clinic.save(update_fields=["name"])
    with Raises(clinic):  # any setting: one row, so no need to tell which ones a report shows
        clinic.rescreen_interval_days = 45
        clinic.save(update_fields=["rescreen_interval_days"])
    before = revision(clinic)
    clinician.last_login = timezone.now()
    clinician.save(update_fields=["last_login"])
    assert revision(clinic) == before
    with Raises(clinic):
        clinician.full_name = "Dr Casey New-Name"
        clinician.save()
    with Raises(clinic):
        clinician.email = "casey.new@riverside.test"
        clinician.save(update_fields=["email"])
    with Raises(clinic):
        make_estimate(clinic, n=3)
    assert [revision(client_record), revision(other_clinic)] == untouched
    with Raises(clinic, other_clinic):  # moved and renamed at once: both clinics' reports named them
        User.objects.filter(pk=clinician.pk).update(clinic=other_clinic, full_name="Dr Casey Moved")
    outsider.clinic = None
    with Raises(other_clinic):  # left every clinic and renamed
        outsider.full_name = "Olly Gone"
        User.objects.filter(pk=outsider.pk).update(clinic=None, full_name="Olly Gone")
    assert revision(client_record) == untouched[0]


# The results page ---------------------------------------------------------------------------------

def results(browser, screening):
    """The page's HTML, its per-request CSRF tokens blanked."""
    response = browser.get(reverse("reports:results", args=[screening.id]))
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', response.content.decode())


@pytest.fixture
def carried(client_record, clinician, make_screening):
    """An intake with an open flag, raised 3 days ago, and a later re-screen that carries it."""
    intake = make_screening(client_record, clinician, instrument_key=V2, safety_yes=("safety-suicidal-thoughts",))
    flag = SafetyFlag.objects.get(screening=intake)
    SafetyFlag.objects.filter(pk=flag.pk).update(raised_at=timezone.now() - timedelta(days=3))
    rescreen = make_screening(client_record, clinician, instrument_key=V2)
    return flag, rescreen


@pytest.fixture
def builds(monkeypatch):
    """How many times the report parts were built rather than read from the cache."""
    calls = []
    original = results_page.render_parts
    monkeypatch.setattr(results_page, "render_parts", lambda *args: calls.append(1) or original(*args))
    return calls


def test_the_kept_page_is_the_page_built_afresh(logged_in, carried, builds):
    _flag, rescreen = carried
    first = results(logged_in, rescreen)
    again = results(logged_in, rescreen)
    assert len(builds) == 1
    assert again == first
    results_page.caches["pages"].clear()
    assert results(logged_in, rescreen) == first
    assert len(builds) == 2
    assert "Still open from earlier" in first and "3 days ago" in first


def test_every_view_is_audited_and_checked_for_access_kept_or_not(
        client, logged_in, carried, outsider, teammate, builds):
    _flag, rescreen = carried
    results(logged_in, rescreen)
    results(logged_in, rescreen)
    assert AuditEvent.objects.filter(action="report.results_viewed", object_id=str(rescreen.pk)).count() == 2
    client.force_login(outsider)  # another clinic: a 404, though the parts are kept
    assert client.get(reverse("reports:results", args=[rescreen.id])).status_code == 404
    client.force_login(teammate)  # same clinic, client not assigned to them
    assert client.get(reverse("reports:results", args=[rescreen.id])).status_code == 404
    assert AuditEvent.objects.filter(action="report.results_viewed").count() == 2
    assert len(builds) == 1


def test_a_follow_up_recorded_a_moment_ago_shows_at_once(logged_in, carried, clinician, builds):
    flag, rescreen = carried
    assert "no follow-up recorded" in results(logged_in, rescreen)
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="declined",
                           note="Client declined to talk about it today.", submission=uuid.uuid4())
    page = results(logged_in, rescreen)
    assert "last follow-up" in page and "Client declined" in page
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="risk_assessment",
                           note="Assessed: no current intent.", resolves=True, submission=uuid.uuid4())
    assert "Still open from earlier" not in results(logged_in, rescreen)
    assert len(builds) == 3


def test_an_amendment_shows_at_once(logged_in, client_record, clinician, make_screening, current_instrument):
    done = make_screening(client_record, clinician, instrument_key=V2)
    assert "Amended." not in results(logged_in, done)
    services.amend_screening(done.id, Screening.objects.all(), Actor(clinician), "Client corrected an answer.",
                             {"protective": {current_instrument.protective_items[0].key: 0}})
    page = results(logged_in, done)
    assert "Amended." in page and "Client corrected an answer." in page


def test_clinic_and_clinician_changes_show_at_once(logged_in, carried, clinic, clinician):
    _flag, rescreen = carried
    assert "Dr Casey New-Name" not in results(logged_in, rescreen)
    clinic.name = "Riverside Renamed"
    clinic.save()
    clinician.full_name = "Dr Casey New-Name"
    clinician.save()
    page = results(logged_in, rescreen)
    assert "Riverside Renamed" in page and "Dr Casey New-Name" in page


def test_the_filed_report_shows_once_filed_and_a_lost_job_once_stale(logged_in, client_record, clinician,
                                                                      make_screening, builds):
    done = make_screening(client_record, clinician, instrument_key=V2)
    assert "This version has no filed report yet" in results(logged_in, done)
    filing.request_filing(done, 0)  # queued: being filed
    assert "The report is being filed" in results(logged_in, done)
    # The job's row last moved at 10:00 today; read at 10:05 it is being filed, at 10:16 (the records
    # kept since 10:05) it has stalled: the time is read on every request.
    ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    ReportFiling.objects.filter(screening=done).update(queued_at=ten)
    screening = Screening.objects.select_related("client__clinic").get(pk=done.pk)
    _parts, at_five_past = results_page.results_parts(screening, now=ten + timedelta(minutes=5))
    _parts, at_sixteen_past = results_page.results_parts(screening, now=ten + timedelta(minutes=16))
    assert (at_five_past.status, at_sixteen_past.status) == (at_five_past.PENDING, at_sixteen_past.STALLED)
    assert filing.file_intake_report.call(str(done.id), 0)["outcome"] == "filed"
    page = results(logged_in, done)
    assert "Filed report, version 0 (at completion)" in page and "being filed" not in page
    assert len(builds) == 4  # not filed; queued; moved to 10:00 (then kept at 10:16); filed


def test_a_new_day_rebuilds_and_the_time_of_reading_is_always_now(carried, builds):
    _flag, rescreen = carried
    screening = Screening.objects.select_related("client__clinic", "clinician", "completed_by").get(pk=rescreen.pk)
    now = timezone.localtime().replace(hour=10, minute=0)
    at_ten, _ = results_page.results_parts(screening, now=now)
    at_ten_past, _ = results_page.results_parts(screening, now=now + timedelta(minutes=7))
    assert len(builds) == 1  # the same day and revision: kept
    assert f"as of {now:%Y-%m-%d} 10:00" in at_ten.safety
    assert f"as of {now:%Y-%m-%d} 10:07" in at_ten_past.safety and "10:00" not in at_ten_past.safety
    assert results_page.AS_OF_MARK not in at_ten_past.safety + at_ten_past.about + at_ten_past.report
    assert "3 days ago" in at_ten_past.safety
    tomorrow, _ = results_page.results_parts(screening, now=now + timedelta(days=1))
    assert len(builds) == 2 and "4 days ago" in tomorrow.safety


def test_a_page_built_from_a_stale_read_is_never_served_after_the_change(carried, clinician, builds):
    """A request read the screening (and the revision) just before a follow-up committed: whatever it
    builds is kept under the old revision, which no later request reads."""
    flag, rescreen = carried

    def fetch():
        return Screening.objects.select_related("client__clinic", "clinician", "completed_by").get(pk=rescreen.pk)

    stale = fetch()
    flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action="declined",
                           note="Declined today.", submission=uuid.uuid4())
    results_page.results_parts(stale)
    fresh = fetch()
    assert fresh.client.revision > stale.client.revision
    assert "last follow-up" in results_page.results_parts(fresh)[0].safety
    assert len(builds) == 2  # the stale read's parts are still kept under the old revision, never read again


def test_queries_of_a_kept_page(logged_in, carried, django_assert_num_queries):
    _flag, rescreen = carried
    results(logged_in, rescreen)
    results_page.caches["pages"].clear()
    # Built: session, user, the screening's few fields and its client (with the scoping), the whole
    # screening, answers, flags, their follow-ups, the client's history, estimates, filed reports, the
    # filing row (the current version is not filed here: the test queue runs no job), the audit row.
    with django_assert_num_queries(12):
        results(logged_in, rescreen)
    # Kept: session, user, the screening's few fields and its client (with the scoping), the audit row.
    with django_assert_num_queries(4):
        results(logged_in, rescreen)
