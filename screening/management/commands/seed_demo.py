"""A demo clinic with logins, clients and screenings over several months. Safe to run again.

Every rule of the reports can be seen in it: checklist version 2 (tbsc-2) screenings across months
with contact changes and a relabelled relationship, a flag carried over to a later re-screen, safety
questions declined with a reason ("not fully assessed"), a draft whose "Yes" raised its flag before
completion, flags followed up to resolution, an amendment, and one client with a tbsc-1 history.

Self-report: one intake the client answered by a one-time link (one answer changed by the clinician,
then completed), and one draft waiting for the client, whose link is printed with the logins. A link
is shown only when it is made (the database keeps its hash), so each run makes that draft a fresh
link and cancels the one before; nothing else changes on a second run.

Reliability (issue 15): SYNTHETIC_INTAKES intakes of both bonds, every item answered, made up (client codes
SYN-001…, noted "Synthetic intake for the reliability demo") so the demo clinic has enough complete intakes
for a reliability estimate; this month's estimate is then made, and the demo's re-screens show a judgement.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinicians.actors import Actor
from clinicians.models import Clinic, User
from screening import estimates, flags, selfreport, services
from screening.instrument import PROTECTIVE, SAFETY, load_instrument
from screening.models import Answer, Client, FollowUp, SafetyFlag, Screening, answer_columns
from screening.scoring import DECLINED, NOT_APPLICABLE, score_screening

DEMO_CLINIC = "Demo Clinic"
DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [
    ("admin@demo.clinic", "Alex Admin", User.Role.ADMIN),
    ("clinician@demo.clinic", "Casey Clinician", User.Role.CLINICIAN),
]
BOTH = ("abuser", "v2v")
# Self-report (tbsc-2, abuser bond): a draft whose link waits for the client (printed at each run),
# and an intake the client answered by link, reviewed and completed by the clinician.
SELF_REPORT_WAITING = "C-1008"
SELF_REPORT_DONE = "C-1009"
DEMO_BASE_URL = "http://127.0.0.1:8000"
SYNTHETIC_INTAKES = 60
SYNTHETIC_NOTE = "Synthetic intake for the reliability demo: made-up answers, not a real client."


@dataclass
class Visit:
    days_ago: int
    bonds: tuple
    intensity: float  # 0..3: how often the bond items are endorsed, on average
    safety_yes: tuple = ()
    declined: dict = field(default_factory=dict)  # safety item key → the reason it was not answered
    contact: dict = field(default_factory=dict)  # bond → "regular" | "reduced" | "none"
    labels: dict = field(default_factory=dict)  # bond → label (default: ex-partner / friend from group)
    instrument: str = "tbsc-2"


@dataclass
class DemoClient:
    code: str
    visits: list
    draft: Visit | None = None  # an unfinished screening after the visits
    discharged: bool = False


DEMO_CLIENTS = [
    # Re-screened every few months; contact reduced then stopped; early flags followed up and resolved,
    # a later safety question declined with a reason; one amendment.
    DemoClient("C-1001", [
        Visit(390, BOTH, 2.4, ("safety-violence", "safety-substance-use"), contact={"abuser": "regular", "v2v": "regular"}),
        Visit(300, BOTH, 2.1, ("safety-violence",), contact={"abuser": "reduced", "v2v": "regular"}),
        Visit(200, BOTH, 1.8, contact={"abuser": "none", "v2v": "regular"}),
        Visit(110, BOTH, 1.4, declined={"safety-daily-life": "ran out of time; ask at the next session"},
              contact={"abuser": "none", "v2v": "reduced"}),
        Visit(20, BOTH, 1.0, contact={"abuser": "none", "v2v": "reduced"}),
    ]),
    # One intake with an open suicidal-thoughts flag and no follow-up yet.
    DemoClient("C-1002", [Visit(80, ("abuser",), 1.8, ("safety-suicidal-thoughts",), contact={"abuser": "regular"})]),
    # The intake's flag is still open at the re-screen, which answered every safety question "No":
    # the re-screen's report carries it over instead of saying "no flags".
    DemoClient("C-1003", [
        Visit(130, ("v2v",), 2.0, ("safety-self-harm",), contact={"v2v": "regular"}),
        Visit(35, ("v2v",), 1.4, contact={"v2v": "reduced"}),
    ]),
    DemoClient("C-1004", []),  # never screened
    # An unfinished intake whose safety "Yes" has already raised its flag.
    DemoClient("C-1005", [], draft=Visit(0, ("abuser",), 1.5, ("safety-unsafe-to-leave",))),
    # A new relationship part-way through (relabelled): a new trend line, never joined to the old one;
    # the last re-screen's violence question was declined (not alone): "not fully assessed".
    DemoClient("C-1006", [
        Visit(400, BOTH, 2.2, ("safety-unsafe-to-leave",), contact={"abuser": "regular", "v2v": "regular"}),
        Visit(290, ("abuser",), 2.0, contact={"abuser": "reduced"}),
        Visit(190, BOTH, 1.9, ("safety-violence",), contact={"abuser": "regular", "v2v": "regular"},
              labels={"abuser": "new partner"}),
        Visit(100, BOTH, 1.7, declined={"safety-violence": "partner in the waiting room"},
              contact={"abuser": "regular", "v2v": "reduced"}, labels={"abuser": "new partner"}),
    ]),
    # Screened with version 1 of the checklist; discharged since.
    DemoClient("C-1007", [Visit(250, ("abuser",), 1.2, instrument="tbsc-1"),
                          Visit(160, ("abuser",), 0.6, instrument="tbsc-1")], discharged=True),
]


def demo_answers(instrument, visit, intake, rng):
    """Answers for one visit, each on its item's own scale; a few bond items declined or not applicable."""
    answers, reasons = {}, {}
    for section in instrument.sections(visit.bonds, intake):
        for item in section.items:
            key = (section.key, item.key)
            if section.key == SAFETY:
                if not instrument.is_asked(item, answers):
                    continue
                if item.key in visit.declined:
                    answers[key], reasons[key] = DECLINED, visit.declined[item.key]
                else:
                    answers[key] = 1 if item.key in visit.safety_yes else 0
            elif section.key == PROTECTIVE:
                answers[key] = 1 if rng.random() < 0.3 + 0.15 * (3 - visit.intensity) else 0
            else:
                top = max(option.value for option in section.item_scale(item))
                roll = rng.random()
                if roll < 0.03:
                    answers[key] = DECLINED
                elif roll < 0.05 and instrument.schema >= 2:
                    answers[key] = NOT_APPLICABLE
                else:
                    answers[key] = max(0, min(top, round(rng.gauss(visit.intensity * top / 3, 0.9))))
    return answers, reasons


class Command(BaseCommand):
    help = ("Create (or leave as it is) a demo clinic with two logins, clients and screenings; print the "
            "logins and a fresh self-report link for the demo draft waiting for its client.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=DEMO_BASE_URL,
                            help=f"where the site is served, for the printed self-report link (default {DEMO_BASE_URL})")

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(2026)
        clinic, _ = Clinic.objects.get_or_create(name=DEMO_CLINIC, defaults={"synthetic": True})
        users = {}
        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, clinic=clinic, role=role)
            users[role] = user
        actor = Actor(users[User.Role.CLINICIAN])
        now = timezone.now()
        for demo in DEMO_CLIENTS:
            client, created = Client.objects.get_or_create(
                clinic=clinic, code=demo.code, defaults={"created_by": actor.user}
            )
            if not created:
                continue
            client.assigned.add(actor.user)
            for visit in demo.visits:
                screening = self.give(client, visit, actor, rng)
                outcome = services.complete_screening(screening.id, Screening.objects.all(), actor)
                assert outcome.completed, outcome.problems
                when = now - timedelta(days=visit.days_ago)
                Screening.objects.filter(pk=screening.pk).update(started_at=when - timedelta(minutes=25), completed_at=when)
                SafetyFlag.objects.filter(screening=screening).update(raised_at=when - timedelta(minutes=15))
            if demo.discharged:
                client.discharged_on = (now - timedelta(days=30)).date()
                client.save(update_fields=["discharged_on"])
            if demo.code == "C-1001":
                self.amend_one(client, actor)
                self.follow_up_flags(client, actor)
            if demo.draft:
                self.give(client, demo.draft, actor, rng, partial=True)
        waiting = self.self_report_waiting(clinic, actor)
        self.self_report_done(clinic, actor, rng)
        self.synthetic_intakes(clinic, actor, now)
        made = estimates.compute_month(timezone.localdate()).created
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {clinic.name}"))
        if made:
            self.stdout.write(f"  Reliability estimates of {made[0].as_of:%Y-%m-%d} made from the demo's "
                              f"{SYNTHETIC_INTAKES} synthetic intakes (SYN-001…).")
        for email, name, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<13} {email}  password: {DEMO_PASSWORD}")
        self.stdout.write(self.new_link_line(waiting, actor, options["base_url"]))

    def synthetic_intakes(self, clinic, actor, now):
        """SYNTHETIC_INTAKES complete tbsc-2 intakes of both bonds, every question answered, written in bulk
        (made once): a level per client plus noise, so the items hang together as a real scale's would."""
        codes = [f"SYN-{i:03d}" for i in range(1, SYNTHETIC_INTAKES + 1)]
        if Client.objects.filter(clinic=clinic, code__in=codes).exists():
            return
        rng = random.Random(15)
        instrument = load_instrument("tbsc-2")
        clients = Client.objects.bulk_create([Client(clinic=clinic, code=code, created_by=actor.user) for code in codes])
        Client.assigned.through.objects.bulk_create(
            [Client.assigned.through(client_id=c.id, user_id=actor.user.id) for c in clients])
        screenings, answers = [], []
        for client in clients:
            level = rng.uniform(0.3, 2.7)
            visit = Visit(rng.randint(40, 400), BOTH, level)
            given = {}
            for section in instrument.sections(BOTH, True):
                for item in section.items:
                    if section.key == SAFETY:
                        if instrument.is_asked(item, given):
                            given[(SAFETY, item.key)] = 0
                    elif section.key == PROTECTIVE:
                        given[(PROTECTIVE, item.key)] = int(rng.random() < 0.3 + 0.15 * (3 - level))
                    else:
                        top = max(option.value for option in section.item_scale(item))
                        given[(section.key, item.key)] = max(0, min(top, round(rng.gauss(level * top / 3, 1.0))))
            when = now - timedelta(days=visit.days_ago)
            screening = Screening(
                client=client, clinician=actor.user, instrument_key="tbsc-2", kind=Screening.Kind.INTAKE,
                status=Screening.Status.COMPLETE, abuser_in_scope=True, v2v_in_scope=True,
                abuser_label="ex-partner", v2v_label="friend from group", notes=SYNTHETIC_NOTE,
                started_at=when - timedelta(minutes=25), completed_at=when, completed_by=actor.user,
                crisis_resources=clinic.crisis_resources,
                scores=score_screening(instrument, BOTH, given, True).to_dict(),
            )
            screenings.append(screening)
            answers += [Answer(screening=screening, section=section, item_key=key, answered_at=when, **answer_columns(value))
                        for (section, key), value in given.items()]
        Screening.objects.bulk_create(screenings)
        Answer.objects.bulk_create(answers, batch_size=2000)

    def give(self, client, visit, actor, rng, partial=False):
        """Start a screening of this visit and save its answers (through the services, so flags are raised)."""
        screening, _ = services.start_screening(client, actor)
        if screening.instrument_key != visit.instrument:  # a version 1 history: set before anything is answered
            Screening.objects.filter(pk=screening.pk).update(instrument_key=visit.instrument)
            screening.instrument_key = visit.instrument
        labels = {"abuser": "ex-partner", "v2v": "friend from group", **visit.labels}
        services.update_draft(screening, {
            "abuser_in_scope": "abuser" in visit.bonds, "v2v_in_scope": "v2v" in visit.bonds,
            "abuser_label": labels["abuser"] if "abuser" in visit.bonds else "",
            "v2v_label": labels["v2v"] if "v2v" in visit.bonds else "",
            "abuser_contact": visit.contact.get("abuser", ""), "v2v_contact": visit.contact.get("v2v", ""),
            "notes": "Demo data: not a real client.",
        })
        answers, reasons = demo_answers(screening.instrument, visit, screening.is_intake, rng)
        if partial:  # the safety questions and a few more: the rest is left for the next session
            answers = dict(list(answers.items())[:len(screening.instrument.safety_items) + 5])
        services.save_answer_set(screening, answers, actor, reasons)
        return screening

    def self_report_client(self, clinic, code, actor):
        """(client, created): a demo client of the self-report examples, assigned to the clinician."""
        client, created = Client.objects.get_or_create(clinic=clinic, code=code, defaults={"created_by": actor.user})
        if created:
            client.assigned.add(actor.user)
        return client, created

    def self_report_draft(self, client, actor):
        """A tbsc-2 intake draft of the abuser bond, nothing answered: what the client answers on their own."""
        screening, _ = services.start_screening(client, actor)
        assert screening.instrument_key == "tbsc-2", screening.instrument_key  # the client's wording is tbsc-2's
        services.update_draft(screening, {
            "abuser_in_scope": True, "v2v_in_scope": False, "abuser_label": "ex-partner", "v2v_label": "",
            "abuser_contact": "reduced", "v2v_contact": "", "notes": "Demo data: not a real client.",
        })
        return screening

    def self_report_waiting(self, clinic, actor):
        """The draft waiting for its client's link (made once; its link is made fresh at every run)."""
        client, created = self.self_report_client(clinic, SELF_REPORT_WAITING, actor)
        if created:
            return self.self_report_draft(client, actor)
        return client.screenings.drafts().first()  # None once someone completed or discarded it in the demo

    def new_link_line(self, screening, actor, base_url):
        """A new one-time link for the waiting draft (cancelling the one of the run before), as a line to print."""
        if screening is None or screening.client_finished_at is not None:
            return (f"  Self-report link for client {SELF_REPORT_WAITING} (demo): none made, its draft was sent, "
                    "completed or discarded since; make one from a draft's Self-report page.")
        link, token = selfreport.create_link(screening, actor)
        url = base_url.rstrip("/") + reverse("selfreport:link_start", args=[token])
        return (f"  Self-report link for client {SELF_REPORT_WAITING} (demo): {url}  "
                f"(one use, until {timezone.localtime(link.expires_at):%Y-%m-%d %H:%M})")

    def self_report_done(self, clinic, actor, rng):
        """An intake the client answered on their phone by link and sent; the clinician went through it,
        changed one answer with them (the client's own is kept beside it) and completed it."""
        client, created = self.self_report_client(clinic, SELF_REPORT_DONE, actor)
        if not created:
            return
        screening = self.self_report_draft(client, actor)
        link, _token = selfreport.create_link(screening, actor)
        on_phone = Actor(email="client (self-report)", for_clinic_id=clinic.id)  # as selfreport.client_actor
        selfreport.note_opened(link, on_phone)
        answers, _ = demo_answers(screening.instrument, Visit(0, ("abuser",), 1.6), screening.is_intake, rng)
        for section in selfreport.client_sections(screening):
            values = {key: value for (section_key, key), value in answers.items() if section_key == section.key}
            selfreport.save_client_answers(screening, section.key, values, selfreport.LINK, on_phone, link=link)
        assert selfreport.finish(screening, selfreport.LINK, on_phone, link=link)
        # Gone through together: one answer changed by the clinician, the client's own kept beside it.
        bond = screening.instrument.section("abuser", screening.is_intake)
        item = next(i for i in bond.items  # a "how often" question the client put above "Never"
                    if max(o.value for o in bond.item_scale(i)) > 1
                    and isinstance(answers.get(("abuser", i.key)), int) and answers[("abuser", i.key)] > 0)
        services.save_answers(screening, "abuser", {item.key: answers[("abuser", item.key)] - 1}, actor=actor)
        outcome = services.complete_screening(screening.id, Screening.objects.all(), actor)
        assert outcome.completed, outcome.problems

    def amend_one(self, client, actor):
        """A correction on the second screening, so the demo shows what an amendment looks like."""
        screening = client.screenings.completed().order_by("completed_at")[1]
        item = screening.instrument.protective_items[0]
        current = screening.answer_map().get((PROTECTIVE, item.key))
        services.amend_screening(
            screening.id, Screening.objects.all(), actor,
            "Client clarified at the next session that they did have someone to talk to.",
            {PROTECTIVE: {item.key: 0 if current == 1 else 1}},
        )
        when = screening.completed_at + timedelta(days=7)
        Screening.objects.filter(pk=screening.pk).update(amended_at=when)
        screening.amendments.update(amended_at=when)

    def follow_up_flags(self, client, actor):
        """Resolve the flags of the first two screenings; later ones stay open, as in a real caseload."""
        first, second = list(client.screenings.completed().order_by("completed_at")[:2])
        for flag in first.safety_flags.open():
            for action, note, resolves in (
                (FollowUp.Action.RESOURCES, "Gave 988 and the hotline number; client saved them in their phone.", False),
                (FollowUp.Action.SAFETY_PLAN, "Safety plan made together; reviewed at the next session.", True),
            ):
                flags.record_follow_up(flag.id, SafetyFlag.objects.all(), actor, action=action, note=note,
                                       resolves=resolves, submission=uuid.uuid4())
        for flag in second.safety_flags.open():
            flags.record_follow_up(flag.id, SafetyFlag.objects.all(), actor, action=FollowUp.Action.REFERRAL,
                                   referral_to="Local domestic violence advocacy service",
                                   note="Referred for safety planning support; waiting for their call.",
                                   submission=uuid.uuid4())
