"""Reliability estimates, computed once a month and frozen, and the look-ups that judge change with them.

- compute_month(as_of) writes, for every clinic, one ReliabilityEstimate per checklist version and bond
  type for the month starting on as_of (the rule and the figures are screening.reliability's). A clinic
  that opted in to pooling gets the estimate of all opted-in clinics' intakes (synthetic clinics pool only
  with synthetic clinics); the others their own. Rows are written with one audit row per clinic and month
  (screening.reliability_estimated), in one transaction; a second run for the same month finds them there
  and does nothing, and two workers at once write one set (the clinic's row is locked while writing, and
  the unique constraint stands behind it).
- estimate_for_pair() and EstimateLookup pick the estimate a pair of screenings is judged against: the
  latest of the clinic's estimates for that version and bond whose as_of is before the later screening's
  completion date, or, when there is none, the earliest after it. Strictly before: the job runs at 02:00
  on the first, so a pair completed on the first itself is judged against the month before, whether the
  job has run yet or not. A pair once judged therefore keeps its estimate as later months are added: a
  progress PDF printed in March is reproduced in June. (A month whose job ran more than a day late
  judges the pairs completed before it ran against the month before until it runs; compute_month
  therefore never adds a month earlier than a clinic's latest estimate.)
- EstimateLookup.for_clinic() reads all of a clinic's estimates in one query, then judges any number of
  pairs (an export's hundred thousand) by plain look-up; its `lookup` is the callable that
  screening.progress.compare() and changes() take.
"""

import logging
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.trail import record
from clinicians.actors import Actor
from clinicians.models import Clinic
from screening import audit_actions as A
from screening import reliability as R
from screening import task_queue
from screening.instrument import BOND_TYPES, CURRENT_KEY, load_instrument
from screening.models import Answer, ReliabilityEstimate, Screening, plain_answer

logger = logging.getLogger(__name__)


def first_of_month(day):
    return day.replace(day=1)


def next_month(day):
    day = first_of_month(day)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def cutoff(as_of):
    """The moment the month's data ends: midnight at the start of as_of, in the installation's time zone."""
    return timezone.make_aware(datetime.combine(as_of, time.min), timezone.get_default_timezone())


# Computing -----------------------------------------------------------------------------------------

def _scopes(clinics):
    """[(clinic ids whose intakes go in, source, the clinics it serves)]: one per pool, one per other clinic."""
    scopes = []
    for synthetic in (False, True):
        pooled = [c for c in clinics if c.pool_reliability_estimates and c.synthetic == synthetic]
        if pooled:
            scopes.append(([c.pk for c in pooled], R.POOLED, pooled))
    scopes += [([c.pk], R.CLINIC, [c]) for c in clinics if not c.pool_reliability_estimates]
    return scopes


def _instrument_keys(clinic_ids, before):
    keys = set(Screening.objects.filter(
        client__clinic_id__in=clinic_ids, status=Screening.Status.COMPLETE, kind=Screening.Kind.INTAKE,
        completed_at__lt=before).values_list("instrument_key", flat=True).distinct())
    return sorted(keys | {CURRENT_KEY})


ANSWER_CHUNK = 5000


def _answer_sets(clinic_ids, instrument_key, bond_type, before):
    """({screening id: {item_key: int | state}}, {screening id: clinic id}) of the scope's completed intakes
    of this version that screened this bond, completed before `before`."""
    screenings = dict(Screening.objects.filter(
        client__clinic_id__in=clinic_ids, status=Screening.Status.COMPLETE, kind=Screening.Kind.INTAKE,
        instrument_key=instrument_key, completed_at__lt=before, **{f"{bond_type}_in_scope": True},
    ).values_list("id", "client__clinic_id"))
    sets = {sid: {} for sid in screenings}
    ids = list(screenings)
    # In chunks: a pool can hold more intakes than a statement may bind parameters (65,535 on PostgreSQL).
    for start in range(0, len(ids), ANSWER_CHUNK):
        rows = Answer.objects.filter(screening_id__in=ids[start:start + ANSWER_CHUNK], section=bond_type).values_list(
            "screening_id", "item_key", "value", "state")
        for sid, key, value, state in rows.iterator(chunk_size=20_000):
            sets[sid][key] = plain_answer(value, state)
    return sets, screenings


def figures_for(clinic_ids, instrument_key, bond_type, as_of, resamples=R.BOOTSTRAP_RESAMPLES):
    """The stored figures of one estimate (a dict of ReliabilityEstimate fields) from the scope's intakes."""
    instrument = load_instrument(instrument_key)
    all_items = [item.key for item in instrument.items_for_bond(bond_type, intake=True)]
    items = [item.key for item in instrument.items_for_bond(bond_type, intake=False)]
    sets, clinic_of = _answer_sets(clinic_ids, instrument_key, bond_type, cutoff(as_of))
    seed = R.seed_for(instrument_key, bond_type, as_of.isoformat(), *sorted(str(c) for c in clinic_ids))
    figures = R.estimate_figures(list(sets.values()), all_items, items, seed, resamples)
    eligible = {clinic_of[sid] for sid, answers in sets.items()
                if all(R.is_value(answers.get(key)) for key in items)}
    figures["contributors"] = max(1, len(eligible))
    return figures


@dataclass
class MonthResult:
    as_of: date
    created: list = field(default_factory=list)  # new ReliabilityEstimate rows
    skipped: list = field(default_factory=list)  # (clinic, why)


def compute_month(as_of=None, resamples=R.BOOTSTRAP_RESAMPLES):
    """Write this month's estimates for every clinic that has none yet (as_of: any day of the month;
    default this month). Returns a MonthResult; running it again for the same month writes nothing."""
    as_of = first_of_month(as_of or timezone.localdate())
    if as_of > first_of_month(timezone.localdate()):
        # Rows are never deleted, and no month earlier than a clinic's latest is ever added: a future
        # month written now would block every month until then.
        raise ValueError(f"Estimates cannot be made for a month that has not begun ({as_of:%Y-%m}).")
    result = MonthResult(as_of)
    clinics = list(Clinic.objects.order_by("pk"))
    for clinic_ids, source, served in _scopes(clinics):
        keys = [(key, bond) for key in _instrument_keys(clinic_ids, cutoff(as_of)) for bond in BOND_TYPES]
        waiting = [c for c in served if _missing(c, as_of, keys, result)]
        if not waiting:
            continue
        computed = {(key, bond): figures_for(clinic_ids, key, bond, as_of, resamples) for key, bond in keys}
        for clinic in waiting:
            result.created += _write(clinic, as_of, source, computed)
    return result


def _missing(clinic, as_of, keys, result):
    """Whether the clinic still needs estimates for this month (and may get them: never a month before its latest)."""
    existing = ReliabilityEstimate.objects.filter(clinic=clinic)
    latest = existing.order_by("-as_of").values_list("as_of", flat=True).first()
    if latest is not None and latest > as_of:
        result.skipped.append((clinic, f"it has estimates of {latest:%Y-%m-%d}, later than {as_of:%Y-%m-%d}"))
        return False
    have = set(existing.filter(as_of=as_of).values_list("instrument_key", "bond_type"))
    return not set(keys) <= have


def _write(clinic, as_of, source, computed):
    """This month's missing rows of one clinic and their audit row, in one transaction; [] when another
    worker wrote them first."""
    try:
        with transaction.atomic():
            Clinic.objects.select_for_update().filter(pk=clinic.pk).first()  # one writer per clinic at a time
            have = set(ReliabilityEstimate.objects.filter(clinic=clinic, as_of=as_of)
                       .values_list("instrument_key", "bond_type"))
            now = timezone.now()
            rows = [
                ReliabilityEstimate(
                    clinic=clinic, instrument_key=key, bond_type=bond, as_of=as_of, computed_at=now, source=source,
                    clinics=figures["contributors"] if source == R.POOLED else 1, n=figures["n"],
                    alpha=figures["alpha"], alpha_low=figures["alpha_low"], alpha_high=figures["alpha_high"],
                    sd=figures["sd"], items=figures["items"], covariance=figures["covariance"],
                    item_stats=figures["item_stats"], rule=R.ELIGIBILITY_RULE, note=figures["note"],
                )
                for (key, bond), figures in computed.items() if (key, bond) not in have
            ]
            if not rows:
                return []
            ReliabilityEstimate.objects.bulk_create(rows)
            summary = "; ".join(f"{r.instrument_key} {r.bond_type} n={r.n}" for r in rows)
            record(A.RELIABILITY_ESTIMATED, Actor(for_clinic_id=clinic.pk), ref=("reliabilityestimate", as_of.isoformat()),
                   clinic_id=clinic.pk, detail=f"{as_of:%Y-%m-%d} ({R.source_text(source, rows[0].clinics)}): {summary}")
            return rows
    except IntegrityError:
        # Only another worker's rows of the same month may stand in the way (the lock makes that all but
        # impossible); anything else is a fault to report, never to pass over.
        if set(computed) <= set(ReliabilityEstimate.objects.filter(clinic=clinic, as_of=as_of)
                                .values_list("instrument_key", "bond_type")):
            logger.info("Reliability estimates of %s for %s were written by another worker", as_of, clinic.pk)
            return []
        raise


# Looking up ----------------------------------------------------------------------------------------

def estimate_for_pair(clinic_id, instrument_key, bond_type, completed_at):
    """The estimate (EstimateData) that judges a pair whose later screening was completed at
    `completed_at` (a datetime, or the clinic's local date), or None when the clinic has none yet."""
    day = timezone.localtime(completed_at).date() if isinstance(completed_at, datetime) else completed_at
    rows = ReliabilityEstimate.objects.filter(clinic_id=clinic_id, instrument_key=instrument_key, bond_type=bond_type)
    chosen = rows.filter(as_of__lt=day).order_by("-as_of").first() or rows.order_by("as_of").first()
    return chosen.data() if chosen else None


class EstimateLookup:
    """All of one clinic's estimates from one query, for judging any number of pairs without another.

        lookup = EstimateLookup.for_clinic(client.clinic_id)
        changes(points, bond_types, lookup)          # screening.progress
        lookup(instrument_key, bond_type, completed_on)  # -> EstimateData | None
    """

    def __init__(self, estimates):
        """estimates: EstimateData, or a callable returning them (read at the first look-up, so a page
        that compares nothing makes no query)."""
        self._source = estimates
        self._by_key = None

    def _load(self):
        estimates = self._source() if callable(self._source) else self._source
        self._by_key = {}
        for estimate in sorted(estimates, key=lambda e: e.as_of):
            self._by_key.setdefault((estimate.instrument, estimate.bond_type), []).append(estimate)
        self._dates = {key: [e.as_of for e in rows] for key, rows in self._by_key.items()}

    @classmethod
    def for_clinic(cls, clinic_id):
        """The clinic's estimates, read in one query at the first look-up."""
        return cls(lambda: [row.data() for row in ReliabilityEstimate.objects.filter(clinic_id=clinic_id)])

    def __call__(self, instrument_key, bond_type, completed_on):
        if self._by_key is None:
            self._load()
        rows = self._by_key.get((instrument_key, bond_type))
        if not rows:
            return None
        if isinstance(completed_on, datetime):
            completed_on = timezone.localtime(completed_on).date()
        position = bisect_left(self._dates[(instrument_key, bond_type)], completed_on)  # as_of < completed_on
        return rows[position - 1] if position else rows[0]


def latest_estimates(clinic):
    """The clinic's latest estimate of each checklist version and bond (ReliabilityEstimate rows, with
    item_stats), for the Measurement page; oldest version first."""
    latest = {}
    for row in ReliabilityEstimate.objects.filter(clinic=clinic).order_by("as_of"):
        latest[(row.instrument_key, row.bond_type)] = row
    return [latest[key] for key in sorted(latest)]


def n_over_time(clinic):
    """[(as_of, instrument_key, bond_type, n)] of every estimate of the clinic, oldest first (the
    Measurement page's "n over time")."""
    return list(ReliabilityEstimate.objects.filter(clinic=clinic).order_by("as_of", "instrument_key", "bond_type")
                .values_list("as_of", "instrument_key", "bond_type", "n"))


# Scheduling (the same way as reports.jobs schedules its clean-up) -----------------------------------

TASK_PATH = "screening.tasks.estimate_reliability"
RUN_AT = time(2, 0)  # local time, on the first day of each month


def next_run(now=None):
    """02:00 local time on the first day of next month."""
    today = timezone.localtime(now or timezone.now()).date()
    return timezone.make_aware(datetime.combine(next_month(today), RUN_AT), timezone.get_default_timezone())


def is_scheduled():
    """Whether a run is already waiting in the queue (so schedule_jobs adds no second one)."""
    from screening.tasks import estimate_reliability

    return task_queue.is_waiting(estimate_reliability)


RETRY_AFTER = timedelta(hours=1)


def schedule_next(now=None, at_once=False, retry=False):
    """Queue the next run (02:00 on the first of next month; at_once: now; retry: in an hour, after a
    run that failed, so its month is not lost), unless one is already waiting. A backend that cannot
    run a job later (the immediate one) gets none."""
    from screening.tasks import estimate_reliability

    backend = estimate_reliability.get_backend()
    if not at_once and not backend.supports_defer:
        return None
    if is_scheduled():
        return None
    if at_once:
        return estimate_reliability.enqueue()
    if retry:
        return estimate_reliability.using(run_after=(now or timezone.now()) + RETRY_AFTER).enqueue()
    return estimate_reliability.using(run_after=next_run(now)).enqueue()
