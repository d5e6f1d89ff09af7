"""screening.estimates: which intakes go into a clinic's monthly reliability estimate, pooling, freezing,
the estimate a pair is judged against, the scheduled job, and two workers at once."""

import io
import random
import threading
import uuid
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.append_only import AppendOnlyError
from audit.models import AuditEvent
from clinicians.models import Clinic
from screening import estimates
from screening import reliability as R
from screening.instrument import load_instrument
from screening.models import Answer, Client, ReliabilityEstimate, Screening, answer_columns
from screening.scoring import DECLINED, NOT_ASKED, score_screening

AS_OF = date(2026, 11, 1)
BEFORE = timezone.make_aware(datetime(2026, 10, 15, 12, 0))


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))


def make_intakes(clinic, user, n, *, bond="abuser", instrument_key="tbsc-2", kind="intake", status="complete",
                 completed_at=BEFORE, change=None, seed=1):
    """n screenings of `bond`, each of a new client, every item answered on its scale (correlated
    answers), written in bulk; change(answers, i) may alter the answers of the i-th. Returns the answer sets."""
    instrument = load_instrument(instrument_key)
    rng = random.Random(seed)
    prefix = uuid.uuid4().hex[:6]
    clients = Client.objects.bulk_create([Client(clinic=clinic, code=f"T-{prefix}-{i}", created_by=user) for i in range(n)])
    screenings, answer_rows, sets = [], [], []
    intake = kind == "intake"
    for i, client in enumerate(clients):
        level = rng.gauss(1.4, 0.8)
        answers = {}
        for item in instrument.items_for_bond(bond, intake):
            top = max(o.value for o in instrument.section(bond, intake).item_scale(item))
            answers[(bond, item.key)] = max(0, min(top, round(level * top / 3 + rng.gauss(0, 0.6))))
        if change:
            change(answers, i)
        sets.append(answers)
        done = status == "complete"
        screening = Screening(
            client=client, clinician=user, instrument_key=instrument_key, kind=kind, status=status,
            abuser_in_scope=bond == "abuser", v2v_in_scope=bond == "v2v",
            completed_at=completed_at if done else None,
            scores=score_screening(instrument, [bond], answers, intake).to_dict() if done else None)
        screenings.append(screening)
        answer_rows += [Answer(screening=screening, section=s, item_key=k, **answer_columns(v)) for (s, k), v in answers.items()]
    Screening.objects.bulk_create(screenings)
    Answer.objects.bulk_create(answer_rows)
    return sets


def items(bond="abuser", instrument_key="tbsc-2"):
    return [i.key for i in load_instrument(instrument_key).items_for_bond(bond, intake=False)]


def estimate(clinic, bond="abuser", instrument_key="tbsc-2", as_of=AS_OF):
    return ReliabilityEstimate.objects.get(clinic=clinic, bond_type=bond, instrument_key=instrument_key, as_of=as_of)


def test_below_50_complete_intakes_there_are_no_figures_and_the_words_say_how_many_more(clinic, clinician):
    make_intakes(clinic, clinician, 12)
    result = estimates.compute_month(AS_OF)
    row = estimate(clinic)
    assert row in result.created and row.n == 12 and not row.has_figures and row.covariance == []
    assert (row.source, row.clinics, row.rule) == ("clinic", 1, R.ELIGIBILITY_RULE)
    assert row.item_stats["put-you-down"]["answered"] == 12  # descriptive figures are kept
    assert estimate(clinic, "v2v").n == 0  # every bond of the current version gets its row
    judged = R.judge({"a": 1}, {"a": 2}, row.data())
    assert judged.reason == ("An estimate needs 50 complete intakes; this clinic had 12 at the estimate of 2026-11-01: "
                             "38 more needed.")


def test_exactly_50_make_an_estimate_from_exactly_those_answers(clinic, clinician):
    sets = make_intakes(clinic, clinician, 50)
    estimates.compute_month(AS_OF)
    row = estimate(clinic)
    keys = items()
    assert row.n == 50 and row.items == keys and "fast-intense-start" not in keys  # intake-only items left out
    frame = pd.DataFrame([[answers[("abuser", k)] for k in keys] for answers in sets], columns=keys)
    assert row.alpha == pytest.approx(R.cronbach_alpha(frame), abs=1e-12)
    assert row.sd == pytest.approx(float(frame.sum(axis=1).std(ddof=1)), abs=1e-9)
    assert row.alpha_low <= row.alpha <= row.alpha_high and len(row.covariance) == len(keys)
    assert set(row.item_stats) == {i.key for i in load_instrument("tbsc-2").items_for_bond("abuser")}
    assert row.item_stats["fast-intense-start"]["item_total_r"] is None
    assert row.item_stats["put-you-down"]["item_total_r"] is not None


def test_declined_not_asked_rescreens_drafts_late_and_other_versions_are_left_out(clinic, clinician):
    def decline(answers, i):
        answers[("abuser", "put-you-down")] = DECLINED if i % 2 else NOT_ASKED

    make_intakes(clinic, clinician, 49)
    make_intakes(clinic, clinician, 6, change=decline)
    make_intakes(clinic, clinician, 5, kind="rescreen")
    make_intakes(clinic, clinician, 5, status="draft")
    make_intakes(clinic, clinician, 5, completed_at=at(AS_OF))  # completed on the estimate's day: after its midnight
    make_intakes(clinic, clinician, 5, instrument_key="tbsc-1")
    estimates.compute_month(AS_OF)
    row = estimate(clinic)
    assert row.n == 49 and not row.has_figures
    # Declined and not asked are counted over the 55 intakes that screened the bond.
    stats = row.item_stats["put-you-down"]
    assert (stats["declined_pct"], stats["not_asked_pct"]) == (round(100 * 3 / 55, 1), round(100 * 3 / 55, 1))
    assert estimate(clinic, instrument_key="tbsc-1").n == 5  # a version of its own


def test_other_clinics_are_used_only_when_both_opted_in(monkeypatch, clinic, clinician, other_clinic, outsider):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 1, 15))  # the months below have begun
    make_intakes(clinic, clinician, 30)
    make_intakes(other_clinic, outsider, 30)
    estimates.compute_month(AS_OF)
    assert estimate(clinic).n == 30 and estimate(other_clinic).n == 30

    Clinic.objects.filter(pk=clinic.pk).update(pool_reliability_estimates=True)  # one only: still its own
    estimates.compute_month(date(2026, 12, 1))
    assert (estimate(clinic, as_of=date(2026, 12, 1)).n, estimate(clinic, as_of=date(2026, 12, 1)).source) == (30, "pooled")
    assert estimate(clinic, as_of=date(2026, 12, 1)).clinics == 1
    assert estimate(other_clinic, as_of=date(2026, 12, 1)).n == 30

    Clinic.objects.filter(pk=other_clinic.pk).update(pool_reliability_estimates=True)
    synthetic = Clinic.objects.create(name="Synthetic", synthetic=True, pool_reliability_estimates=True)
    make_intakes(synthetic, outsider, 40)
    estimates.compute_month(date(2027, 1, 1))
    for c in (clinic, other_clinic):
        row = estimate(c, as_of=date(2027, 1, 1))
        assert (row.n, row.source, row.clinics) == (60, "pooled", 2) and row.has_figures
    assert estimate(clinic, as_of=date(2027, 1, 1)).alpha == estimate(other_clinic, as_of=date(2027, 1, 1)).alpha
    assert estimate(synthetic, as_of=date(2027, 1, 1)).n == 40  # synthetic clinics pool only with synthetic ones
    change = R.judge({k: 3 for k in items()}, {k: 0 for k in items()}, estimate(clinic, as_of=date(2027, 1, 1)).data())
    assert "(pooled, 2 clinics:" in change.basis


def test_a_month_is_computed_once_and_frozen(clinic, clinician):
    make_intakes(clinic, clinician, 55)
    first = estimates.compute_month(AS_OF)
    assert len(first.created) == 2
    events = AuditEvent.objects.filter(action="screening.reliability_estimated")
    assert events.count() == 1 and events.get().clinic_id == clinic.pk and events.get().actor is None
    assert "2026-11-01 (this clinic): tbsc-2 abuser n=55; tbsc-2 v2v n=0" == events.get().detail
    make_intakes(clinic, clinician, 10)  # more intakes, the same month: nothing changes
    again = estimates.compute_month(date(2026, 11, 20))
    assert again.created == [] and events.count() == 1 and estimate(clinic).n == 55
    row = estimate(clinic)
    row.n = 99
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        ReliabilityEstimate.objects.filter(pk=row.pk).update(n=99)
    with pytest.raises(AppendOnlyError):
        row.delete()
    # A month before the clinic's latest is never added (it would change the estimate of judged pairs).
    earlier = estimates.compute_month(date(2026, 10, 1))
    assert earlier.created == [] and earlier.skipped[0][0] == clinic
    assert not ReliabilityEstimate.objects.filter(as_of=date(2026, 10, 1)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_table_itself_refuses_update_and_delete(clinic, clinician):
    estimates.compute_month(AS_OF)
    table = ReliabilityEstimate._meta.db_table
    for sql in (f"UPDATE {table} SET n = 5", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert ReliabilityEstimate.objects.filter(n=0).count() == 2


def test_the_estimate_a_pair_is_judged_against(monkeypatch, clinic, clinician):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 1, 15))  # the months below have begun
    make_intakes(clinic, clinician, 10)
    for month in (date(2026, 9, 1), date(2026, 11, 1)):
        estimates.compute_month(month)
    lookup = estimates.EstimateLookup.for_clinic(clinic.pk)
    cases = {
        date(2026, 8, 20): date(2026, 9, 1),  # none before: the earliest after
        date(2026, 9, 1): date(2026, 9, 1),  # none strictly before: the earliest after
        date(2026, 9, 2): date(2026, 9, 1),
        date(2026, 10, 31): date(2026, 9, 1),
        date(2026, 11, 1): date(2026, 9, 1),  # completed on the job's own day: the month before
        date(2026, 11, 2): date(2026, 11, 1),
        date(2027, 3, 5): date(2026, 11, 1),
    }
    for completed, expected in cases.items():
        assert lookup("tbsc-2", "abuser", completed).as_of == expected, completed
        assert estimates.estimate_for_pair(clinic.pk, "tbsc-2", "abuser", completed).as_of == expected
    assert estimates.estimate_for_pair(clinic.pk, "tbsc-2", "abuser", at(date(2026, 10, 31), 23)).as_of == date(2026, 9, 1)
    # Later months never change an earlier pair's estimate.
    estimates.compute_month(date(2027, 1, 1))
    assert estimates.EstimateLookup.for_clinic(clinic.pk)("tbsc-2", "abuser", date(2026, 10, 31)).as_of == date(2026, 9, 1)
    assert lookup("tbsc-1", "abuser", date(2026, 10, 31)) is None
    assert estimates.estimate_for_pair(clinic.pk, "tbsc-1", "abuser", date(2026, 10, 31)) is None


def test_the_lookup_reads_the_clinics_estimates_in_one_query_at_first_use(clinic, clinician, django_assert_num_queries):
    for month in (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)):
        estimates.compute_month(month)
    with django_assert_num_queries(0):
        lookup = estimates.EstimateLookup.for_clinic(clinic.pk)
    with django_assert_num_queries(1):
        found = [lookup("tbsc-2", bond, date(2026, 9, 1) + timedelta(days=d)) for d in range(120) for bond in ("abuser", "v2v")]
    assert {f.as_of for f in found} == {date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)}
    latest = estimates.latest_estimates(clinic)
    assert [(r.instrument_key, r.bond_type, r.as_of) for r in latest] == [
        ("tbsc-2", "abuser", date(2026, 11, 1)), ("tbsc-2", "v2v", date(2026, 11, 1))]


def test_the_command_makes_the_month_and_says_what_it_made(clinic, clinician):
    make_intakes(clinic, clinician, 51)
    out = io.StringIO()
    call_command("estimate_reliability", "--as-of", "2026-11-17", stdout=out)
    text = out.getvalue()
    assert "Reliability estimates of 2026-11-01: 2 made for 1 clinic(s)." in text
    assert "tbsc-2 abuser, n = 51, alpha" in text and "tbsc-2 v2v, n = 0, 50 more complete intakes needed" in text
    out = io.StringIO()
    call_command("estimate_reliability", "--as-of", "2026-11-17", stdout=out)
    assert "0 made" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_write_one_set_and_one_audit_row(clinic, clinician, other_clinic, outsider):
    make_intakes(clinic, clinician, 52)
    make_intakes(other_clinic, outsider, 20)
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i):
        try:
            barrier.wait()
            results[i] = estimates.compute_month(AS_OF)
        except Exception as error:  # noqa: BLE001 (reported to the test)
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, estimates.MonthResult) for r in results), results
    assert sorted(len(r.created) for r in results) in ([0, 4], [2, 2])  # each clinic's set written by one of them
    rows = ReliabilityEstimate.objects.all()
    assert rows.count() == 4
    assert sorted(rows.values_list("n", flat=True)) == [0, 0, 20, 52]
    events = AuditEvent.objects.filter(action="screening.reliability_estimated")
    assert sorted(events.values_list("clinic_id", flat=True)) == sorted([clinic.pk, other_clinic.pk])


def test_pooling_is_a_clinic_setting_off_by_default_and_its_change_is_audited(client, clinic_admin, clinic):
    assert clinic.pool_reliability_estimates is False
    client.force_login(clinic_admin)
    page = client.get(reverse("clinicians:clinic_settings"))
    body = " ".join(page.content.decode().split())
    assert "Pool reliability estimates with other clinics" in body
    assert "Only aggregate figures are shared" in body and "no client's answers or details leave this clinic's records" in body
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    client.post(reverse("clinicians:clinic_settings"), {**data, "pool_reliability_estimates": "on"})
    clinic.refresh_from_db()
    assert clinic.pool_reliability_estimates is True
    event = AuditEvent.objects.get(action="clinic.settings_changed")
    assert event.detail == "pool_reliability_estimates" and event.actor == clinic_admin


@pytest.mark.django_db(transaction=True)
def test_the_monthly_job_runs_and_queues_itself_for_the_first_of_next_month(settings, clinic, clinician):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    make_intakes(clinic, clinician, 3, completed_at=timezone.now() - timedelta(days=40))
    call_command("schedule_jobs", stdout=io.StringIO())
    call_command("schedule_jobs", stdout=io.StringIO())  # idempotent: one run waiting
    assert DBTaskResult.objects.filter(task_path=estimates.TASK_PATH, status="READY").count() == 1
    call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    this_month = timezone.localdate().replace(day=1)
    assert estimate(clinic, as_of=this_month).n == 3
    waiting = DBTaskResult.objects.get(task_path=estimates.TASK_PATH, status="READY")
    run_at = timezone.localtime(waiting.run_after)
    assert (run_at.date(), run_at.hour, run_at.minute) == (estimates.next_month(this_month), 2, 0)
    assert AuditEvent.objects.filter(action="screening.reliability_estimated").count() == 1


def test_an_estimate_whose_alpha_is_undefined_is_stored_with_the_reason(clinic, clinician):
    def flat(answers, i):
        for key in answers:
            answers[key] = 0

    make_intakes(clinic, clinician, 50, change=flat)
    estimates.compute_month(AS_OF)
    row = estimate(clinic)
    assert row.n == 50 and not row.has_figures and row.note == R.UNDEFINED_NO_VARIATION
    assert R.judge({"a": 0}, {"a": 1}, row.data()).reason == R.UNDEFINED_NO_VARIATION


def test_a_month_that_has_not_begun_is_refused_and_nothing_is_written(clinic, clinician):
    """Rows are never deleted and no month before a clinic's latest is added: a future month written by
    mistake would block every month until then."""
    make_intakes(clinic, clinician, 50)
    next_month = estimates.next_month(timezone.localdate())
    with pytest.raises(ValueError, match="has not begun"):
        estimates.compute_month(next_month)
    with pytest.raises(CommandError, match="has not begun"):
        call_command("estimate_reliability", "--as-of", f"{next_month:%Y-%m-%d}")
    assert not ReliabilityEstimate.objects.exists() and not AuditEvent.objects.filter(
        action="screening.reliability_estimated").exists()


def test_a_failed_run_is_tried_again_in_an_hour_not_next_month(monkeypatch, settings, clinic):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    from django_tasks_db.models import DBTaskResult

    from screening import tasks

    def fails(*args, **kwargs):
        raise RuntimeError("database locked")

    monkeypatch.setattr(estimates, "compute_month", fails)
    before = timezone.now()
    with pytest.raises(RuntimeError):
        tasks.estimate_reliability.call()
    queued = DBTaskResult.objects.get(task_path=estimates.TASK_PATH, status="READY")
    assert before + timedelta(minutes=59) < queued.run_after < timezone.now() + timedelta(minutes=61)


def test_a_pair_completed_on_the_first_keeps_its_estimate_when_that_month_is_made(monkeypatch, clinic, clinician):
    """The job runs at 02:00 on the first: a screening completed at 01:30 that day was judged against the
    month before, and still is once the month's estimate exists (a PDF printed then is reproduced later)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 1, 15))
    make_intakes(clinic, clinician, 10)
    estimates.compute_month(date(2026, 10, 1))
    early = at(date(2026, 11, 1), 1.5)  # 01:30 local
    before = estimates.estimate_for_pair(clinic.pk, "tbsc-2", "abuser", early).as_of
    estimates.compute_month(date(2026, 11, 1))
    after = estimates.estimate_for_pair(clinic.pk, "tbsc-2", "abuser", early).as_of
    looked_up = estimates.EstimateLookup.for_clinic(clinic.pk)("tbsc-2", "abuser", early)
    assert before == after == looked_up.as_of == date(2026, 10, 1)
