"""Deterministic synthetic data at clinic-network scale, for benchmarks: bulk inserts, no real data.

    manage.py seed_scale --clinics 10 --clients 10000 --screenings-per-client 10 --seed 1

Answers come from a pool of response profiles (drawn once per seed, across intensities and bond
combinations) so scoring runs a few thousand times, not once per screening; the spread of scores,
flags, declines, drafts and amendments is still realistic.
"""

import itertools
import random
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from clinicians.models import Clinic, User
from screening.instrument import load_instrument
from screening.models import Amendment, Answer, Client, FollowUp, SafetyFlag, Screening, answer_columns
from screening.instrument import PROTECTIVE, SAFETY
from screening.scoring import DECLINED, score_screening

BOND_MIXES = [(["abuser"], 0.45), (["v2v"], 0.2), (["abuser", "v2v"], 0.35)]
PROFILES_PER_MIX = 400
BATCH = 2000
PASSWORD = "synthetic-password-2026"


def _answer_rows(answers):
    rows = []
    for (section, key), answer in answers.items():
        columns = answer_columns(answer)
        rows.append((section, key, columns["value"], columns["state"], ""))
    return rows


def _profile(instrument, bonds, intensity, rng):
    answers = {}
    for bond in bonds:
        for item in instrument.items_for_bond(bond):
            if rng.random() < 0.03:
                answers[(bond, item.key)] = DECLINED
            else:
                answers[(bond, item.key)] = max(0, min(3, round(rng.gauss(intensity, 0.9))))
    for item in instrument.safety_items:
        answers[(SAFETY, item.key)] = DECLINED if rng.random() < 0.01 else int(rng.random() < 0.02 + 0.03 * intensity)
    for item in instrument.protective_items:
        answers[(PROTECTIVE, item.key)] = int(rng.random() < 0.25 + 0.15 * (3 - intensity))
    return _answer_rows(answers), score_screening(instrument, bonds, answers).to_dict()


class Command(BaseCommand):
    help = "Create synthetic clinics, clients and screenings for benchmarks (refuses a database with real clinics)."

    def add_arguments(self, parser):
        parser.add_argument("--clinics", type=int, default=10)
        parser.add_argument("--clients", type=int, default=10000, help="in all, spread over the clinics")
        parser.add_argument("--screenings-per-client", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="run even if the database holds real clinics")

    def handle(self, *args, clinics, clients, screenings_per_client, seed, force, **options):
        if min(clinics, clients, screenings_per_client) < 1 or clients < clinics:
            raise CommandError("--clinics, --clients and --screenings-per-client must be positive, with clients ≥ clinics.")
        real = Clinic.objects.filter(synthetic=False).count()
        if real and not force:
            raise CommandError(f"This database holds {real} real clinic(s); refusing to add synthetic data. "
                               "Use an empty database, or --force if you are sure.")
        rng = random.Random(seed)
        # Ids from a counter: the same data for the same seed, and rows that append to the indexes
        # in order instead of landing at random places in them (much faster inserts).
        counter = itertools.count(1)
        self.next_id = lambda: uuid.UUID(int=(0x5EED << 112) | (seed % 2**48) << 64 | next(counter))
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with connection.cursor() as cursor:  # synthetic data: durability of each commit does not matter
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -262144")
        instrument = load_instrument()
        self.password_hash = make_password(PASSWORD)  # one hash for every synthetic login
        started = timezone.now()
        pool = {
            tuple(bonds): [_profile(instrument, bonds, rng.uniform(0.2, 2.6), rng) for _ in range(PROFILES_PER_MIX)]
            for bonds, _weight in BOND_MIXES
        }
        per_clinic = clients // clinics
        totals = {"screenings": 0, "answers": 0, "flags": 0, "amendments": 0}
        for c in range(clinics):
            with transaction.atomic():
                self._clinic(c, seed, per_clinic, screenings_per_client, instrument, pool, rng, totals)
            self.stdout.write(f"clinic {c + 1}/{clinics}: {totals['screenings']} screenings so far")
        if not connection.in_atomic_block:
            # Planner statistics for the new rows, as autovacuum (PostgreSQL) or a periodic ANALYZE
            # (SQLite) would give a database that grew over months: measured without them, PostgreSQL
            # guessed 712 completed screenings of 100,000 and chose plans several times slower. On
            # PostgreSQL a VACUUM too, as autovacuum would have run: each answer inserted raised its
            # client's revision (screening migration 0015), and the 10,000 client rows left behind
            # 5.7 million dead versions (601 MB) that every page reading a client walked through.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(self.style.SUCCESS(
            f"{clinics} clinics, {per_clinic * clinics} clients, {totals['screenings']} screenings, "
            f"{totals['answers']} answers, {totals['flags']} flags, {totals['amendments']} amendments in {seconds:.1f} s"
        ))

    def _clinic(self, c, seed, n_clients, per_client, instrument, pool, rng, totals):
        clinic = Clinic.objects.create(id=self.next_id(), name=f"Synthetic clinic {seed}-{c + 1}", synthetic=True)
        User.objects.bulk_create([User(id=self.next_id(), email=f"admin-{seed}-{c + 1}@synthetic.test", password=self.password_hash,
                                       clinic=clinic, role=User.Role.ADMIN, full_name=f"Admin {c + 1}")])
        staff = User.objects.bulk_create([
            User(id=self.next_id(), email=f"clinician-{seed}-{c + 1}-{k}@synthetic.test", password=self.password_hash, clinic=clinic,
                 full_name=f"Clinician {c + 1}.{k}") for k in range(1, 6)
        ])
        now = timezone.now()
        client_rows = [Client(id=self.next_id(), clinic=clinic, code=f"S{c + 1:02d}-{i:06d}", created_by=rng.choice(staff))
                       for i in range(n_clients)]
        Client.objects.bulk_create(client_rows, batch_size=BATCH)
        Assigned = Client.assigned.through
        Assigned.objects.bulk_create([Assigned(client_id=cl.id, user_id=cl.created_by_id) for cl in client_rows],
                                     batch_size=BATCH)
        mixes, weights = zip(*[(tuple(b), w) for b, w in BOND_MIXES])
        for start in range(0, n_clients, BATCH // per_client or 1):
            chunk = client_rows[start:start + (BATCH // per_client or 1)]
            screenings, answers, flags, amendments, follow_ups = [], [], [], [], []
            for client in chunk:
                mix = rng.choices(mixes, weights)[0]
                draft_last = rng.random() < 0.03
                previous_flags = set()
                for k in range(per_client):
                    when = now - timedelta(days=91 * (per_client - k) - rng.randint(0, 20), minutes=rng.randint(0, 600))
                    profile, scores = rng.choice(pool[mix])
                    is_draft = draft_last and k == per_client - 1
                    s = Screening(
                        id=self.next_id(), client=client, clinician_id=client.created_by_id,
                        kind=Screening.Kind.INTAKE if k == 0 else Screening.Kind.RESCREEN,
                        status=Screening.Status.DRAFT if is_draft else Screening.Status.COMPLETE,
                        abuser_in_scope="abuser" in mix, v2v_in_scope="v2v" in mix,
                        started_at=when - timedelta(minutes=30), completed_at=None if is_draft else when,
                        completed_by_id=None if is_draft else client.created_by_id,
                        scores=None if is_draft else scores,
                    )
                    screenings.append(s)
                    sid = self.uuid_value(s.id)
                    answered = self.datetime_value(when)
                    answers += [(sid, *row, answered) for row in profile[: 12 if is_draft else None]]
                    if is_draft:
                        continue
                    raised = set()
                    for flag in scores["flags"]:
                        f = SafetyFlag(id=self.next_id(), client=client, screening_id=s.id, item_key=flag["key"],
                                       title=flag["flag"], raised_at=when, recurring=flag["key"] in previous_flags,
                                       resolved_at=when + timedelta(days=7) if k < per_client - 1 else None)
                        flags.append(f)
                        raised.add(flag["key"])
                        if f.resolved_at:
                            follow_ups.append(FollowUp(flag_id=f.id, action=FollowUp.Action.SAFETY_PLAN,
                                                       note="Synthetic follow-up.", resolves=True,
                                                       recorded_by_id=client.created_by_id,
                                                       recorded_at=f.resolved_at, id=self.next_id(),
                                                       submission=self.next_id()))
                    previous_flags = raised
                    if rng.random() < 0.01:
                        s.amended_at = when + timedelta(days=3)
                        amendments.append(Amendment(id=self.next_id(), screening_id=s.id, amended_by_id=client.created_by_id,
                                                    amended_at=s.amended_at, reason="Synthetic correction.",
                                                    changes=[], previous_answers=[], previous_scores=scores))
            Screening.objects.bulk_create(screenings, batch_size=BATCH)
            self.insert_answers(answers)
            SafetyFlag.objects.bulk_create(flags, batch_size=BATCH)
            FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
            Amendment.objects.bulk_create(amendments, batch_size=BATCH)
            totals["screenings"] += len(screenings)
            totals["answers"] += len(answers)
            totals["flags"] += len(flags)
            totals["amendments"] += len(amendments)

    def insert_answers(self, rows):
        # Millions of answer rows: straight executemany, skipping model instances (bulk_create spends
        # most of its time building and preparing them). Values are already in the database's form.
        table = connection.ops.quote_name(Answer._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in
                            ("screening_id", "section", "item_key", "value", "state", "reason", "answered_at",
                             "given_by", "client_answer"))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 50_000):
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, 'clinician', '')",
                                   rows[start:start + 50_000])

    def uuid_value(self, value):
        return Answer._meta.get_field("screening").target_field.get_db_prep_value(value, connection)

    def datetime_value(self, value):
        return Answer._meta.get_field("answered_at").get_db_prep_value(value, connection)
