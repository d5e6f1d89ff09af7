"""A demo clinic with logins, clients and screenings over several months. Safe to run again."""

import random
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinicians.actors import Actor
from clinicians.models import Clinic, User
from screening import flags, services
from screening.instrument import PROTECTIVE, SAFETY, load_instrument
from screening.models import Client, FollowUp, SafetyFlag, Screening
from screening.scoring import DECLINED

DEMO_CLINIC = "Demo Clinic"
DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [
    ("admin@demo.clinic", "Alex Admin", User.Role.ADMIN),
    ("clinician@demo.clinic", "Casey Clinician", User.Role.CLINICIAN),
]

BOTH = ["abuser", "v2v"]
# (client code, [(days ago, bonds in scope, intensity 0..3, safety "yes" item indexes)], draft?, discharged?)
DEMO_CLIENTS = [
    ("C-1001", [(390, BOTH, 2.4, [1, 4]), (300, BOTH, 2.1, [4]), (200, BOTH, 1.8, [4]), (110, BOTH, 1.4, []),
                (20, BOTH, 1.0, [])], False, False),
    ("C-1002", [(80, ["abuser"], 1.8, [])], False, False),
    ("C-1003", [(130, ["v2v"], 2.0, [0]), (35, ["v2v"], 1.4, [])], False, False),
    ("C-1004", [], False, False),
    ("C-1005", [], True, False),
    ("C-1006", [(400, BOTH, 2.2, [2]), (290, ["abuser"], 2.0, []), (190, BOTH, 1.9, [3]), (100, BOTH, 1.7, [])],
     False, False),
    ("C-1007", [(250, ["abuser"], 1.2, []), (160, ["abuser"], 0.6, [])], False, True),
]


def demo_answers(instrument, bonds, intensity, safety_yes, rng):
    answers = {}
    for bond in bonds:
        for item in instrument.items_for_bond(bond):
            if rng.random() < 0.04:
                answers[(bond, item.key)] = DECLINED
            else:
                answers[(bond, item.key)] = max(0, min(3, round(rng.gauss(intensity, 0.9))))
    for index, item in enumerate(instrument.safety_items):
        answers[(SAFETY, item.key)] = 1 if index in safety_yes else 0
    for item in instrument.protective_items:
        answers[(PROTECTIVE, item.key)] = 1 if rng.random() < 0.3 + 0.15 * (3 - intensity) else 0
    return answers


class Command(BaseCommand):
    help = "Create (or leave as it is) a demo clinic with two logins, clients and screenings."

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(2026)
        instrument = load_instrument()
        clinic, _ = Clinic.objects.get_or_create(name=DEMO_CLINIC, defaults={"synthetic": True})
        users = {}
        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, clinic=clinic, role=role)
            users[role] = user
        clinician = users[User.Role.CLINICIAN]
        now = timezone.now()
        for code, history, with_draft, discharged in DEMO_CLIENTS:
            client, created = Client.objects.get_or_create(
                clinic=clinic, code=code, defaults={"created_by": clinician}
            )
            if not created:
                continue
            client.assigned.add(clinician)
            for days_ago, bonds, intensity, safety_yes in history:
                screening, _ = services.start_screening(client, Actor(clinician))
                screening.abuser_in_scope = "abuser" in bonds
                screening.v2v_in_scope = "v2v" in bonds
                screening.abuser_label = "ex-partner" if "abuser" in bonds else ""
                screening.v2v_label = "friend from group" if "v2v" in bonds else ""
                screening.notes = "Demo data: not a real client."
                screening.save()
                services.save_answer_set(screening, demo_answers(instrument, bonds, intensity, safety_yes, rng))
                services.complete_screening(screening.id, Screening.objects.all(), Actor(clinician))
                when = now - timedelta(days=days_ago)
                Screening.objects.filter(pk=screening.pk).update(
                    started_at=when - timedelta(minutes=25), completed_at=when
                )
                SafetyFlag.objects.filter(screening=screening).update(raised_at=when)
            if discharged:
                client.discharged_on = (now - timedelta(days=30)).date()
                client.save(update_fields=["discharged_on"])
            if code == "C-1001":
                self.amend_one(client, clinician, instrument)
                self.follow_up_flags(client, clinician)
            if with_draft:
                screening, _ = services.start_screening(client, Actor(clinician))
                screening.abuser_in_scope = True
                screening.save()
                answers = demo_answers(instrument, ["abuser"], 1.5, [], rng)
                partial = dict(list(answers.items())[:8])
                services.save_answer_set(screening, partial)
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {clinic.name}"))
        for email, name, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<13} {email}  password: {DEMO_PASSWORD}")

    def amend_one(self, client, clinician, instrument):
        """A correction on the second screening, so the demo shows what an amendment looks like."""
        screening = client.screenings.completed().order_by("completed_at")[1]
        item = instrument.protective_items[0]
        current = screening.answer_map().get((PROTECTIVE, item.key))
        services.amend_screening(
            screening.id, Screening.objects.all(), Actor(clinician),
            "Client clarified at the next session that they did have someone to talk to.",
            {PROTECTIVE: {item.key: 0 if current == 1 else 1}},
        )
        when = screening.completed_at + timedelta(days=7)
        Screening.objects.filter(pk=screening.pk).update(amended_at=when)
        screening.amendments.update(amended_at=when)

    def follow_up_flags(self, client, clinician):
        """Resolve the flags of the first two screenings; later ones stay open, as in a real caseload."""
        first, second = list(client.screenings.completed().order_by("completed_at")[:2])
        for flag in first.safety_flags.all():
            for action, note, resolves in (
                (FollowUp.Action.RESOURCES, "Gave 988 and the hotline number; client saved them in their phone.", False),
                (FollowUp.Action.SAFETY_PLAN, "Safety plan made together; reviewed at the next session.", True),
            ):
                flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action=action, note=note,
                                       resolves=resolves, submission=uuid.uuid4())
        for flag in second.safety_flags.all():
            flags.record_follow_up(flag.id, SafetyFlag.objects.all(), Actor(clinician), action=FollowUp.Action.REFERRAL,
                                   referral_to="Local domestic violence advocacy service",
                                   note="Referred for safety planning support; waiting for their call.",
                                   submission=uuid.uuid4())
