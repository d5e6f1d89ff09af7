import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Max, Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.timesince import timesince

from audit.append_only import AppendOnlyModel
from screening.instrument import ACT_NOW, BOND_ABUSER, BOND_V2V, CURRENT_KEY, FOLLOW_UP, load_instrument
from screening.reliability import EstimateData
from screening.scoring import ANSWER_STATES, ANSWERED, DECLINED, NOT_APPLICABLE, NOT_ASKED, scores_from_dict


class ClientQuerySet(models.QuerySet):
    def lock(self, client_id):
        """Lock one client's row until the transaction ends (PostgreSQL; SQLite writes one at a time).

        The revision triggers (migration 0015) lock the client's row at the first write to any of its
        records. So an action that writes a safety flag locks the client first, after the screening and
        before the flag: transactions then always meet in the order screening, client, flag, and two of
        them (an autosave raising or withdrawing a flag, a follow-up on it) cannot deadlock."""
        list(self.select_for_update().filter(pk=client_id).values_list("pk", flat=True))

    def with_last_completed(self):
        """Each client's last completed screening time as `last_completed` (see last_completed_on)."""
        return self.annotate(last_completed=Max("screenings__completed_at", filter=Q(screenings__status="complete")))


class Client(models.Model):
    """A person being screened, known to this system only by the clinic's own code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("clinicians.Clinic", on_delete=models.PROTECT, related_name="clients")
    code = models.CharField(
        "client code", max_length=40,
        help_text="The clinic's own reference for this client. Do not use names or other identifying details.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    assigned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_clients",
        help_text="Clinicians who see this client (unless the clinic opens every client to everyone).",
    )
    rescreen_interval_days = models.PositiveSmallIntegerField(
        "re-screen every (days)", null=True, blank=True, validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="Leave empty to use the clinic's interval.",
    )
    discharged_on = models.DateField(
        null=True, blank=True, help_text="A discharged client is no longer due for re-screening.",
    )
    # Raised by database triggers (migration 0015) whenever anything this client's reports show changes:
    # a page built at one revision can be served again while the revision stands (reports/results_page.py).
    revision = models.PositiveBigIntegerField(
        default=0, editable=False,
        help_text="Raised by database triggers whenever anything this client's reports show changes.")

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        # The client list's order: a page of 50 is read from the index, not sorted out of the whole clinic.
        indexes = [models.Index(fields=["clinic", "code"], name="client_clinic_code")]
        constraints = [
            models.UniqueConstraint(Lower("code"), "clinic", name="client_code_unique_in_clinic"),
            models.CheckConstraint(condition=~Q(code=""), name="client_code_not_blank"),
            models.CheckConstraint(
                condition=Q(rescreen_interval_days__isnull=True)
                | Q(rescreen_interval_days__gte=7, rescreen_interval_days__lte=730),
                name="client_rescreen_interval_range",
            ),
        ]

    @property
    def audit_client_id(self):
        return self.pk

    @property
    def last_completed_on(self):
        """The clinic's local date of the last completed screening (needs with_last_completed())."""
        return timezone.localtime(self.last_completed).date() if self.last_completed else None

    @property
    def interval_days(self):
        return self.rescreen_interval_days or self.clinic.rescreen_interval_days

    def __str__(self):
        return self.code


CONTACT_CHOICES = [
    ("regular", "Regular contact"),
    ("reduced", "Reduced contact"),
    ("none", "No contact"),
]
CONTACT_LABELS = dict(CONTACT_CHOICES)
NOTES_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 200  # a short reason a safety question was declined or not asked  # a page or two of notes; also bounds the work of drawing a report


class ScreeningQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(status=Screening.Status.DRAFT)

    def completed(self):
        return self.filter(status=Screening.Status.COMPLETE)

    def counts_by_client(self, client_ids):
        """{client_id: {"completed", "last_screened", "drafts"}} for the given clients, in one statement.

        Plain SQL: the client list asks this for its 50 rows on every view, and the ORM took longer to
        build the same statement (fifty UUID parameters, three filtered aggregates) than to run it: 1.66
        against 0.68 ms on PostgreSQL, 1.34 against 0.33 ms on SQLite (bench/RESULTS.md). It reads every
        screening of those clients: call it on Screening.objects, never on a filtered queryset."""
        if self.query.has_filters():
            raise TypeError("counts_by_client counts every screening of the clients: call it on Screening.objects")
        if not client_ids:
            return {}
        connection = connections[self.db]
        pk = Client._meta.pk
        marks = ", ".join(["%s"] * len(client_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT client_id, COUNT(*) FILTER (WHERE status = 'complete'), "
                "MAX(completed_at) FILTER (WHERE status = 'complete'), COUNT(*) FILTER (WHERE status = 'draft') "
                f"FROM {self.model._meta.db_table} WHERE client_id IN ({marks}) GROUP BY client_id",
                [pk.get_db_prep_value(client_id, connection) for client_id in client_ids],
            )
            rows = cursor.fetchall()
        return {_as_uuid(client_id): {"completed": completed, "last_screened": _as_datetime(last), "drafts": drafts}
                for client_id, completed, last, drafts in rows}


def _as_uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)  # SQLite keeps UUIDs as text


def _as_datetime(value):
    if isinstance(value, str):  # SQLite keeps times as text, in UTC
        value = datetime.fromisoformat(value).replace(tzinfo=dt_timezone.utc)
    return value


class Screening(models.Model):
    class Kind(models.TextChoices):
        INTAKE = "intake", "Intake"
        RESCREEN = "rescreen", "Re-screen"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETE = "complete", "Completed"

    class SelfReport(models.TextChoices):
        TABLET = "tablet", "Self-report on clinic tablet"
        LINK = "link", "Self-report by link"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="screenings")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screenings")
    instrument_key = models.CharField(max_length=20, default=CURRENT_KEY)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    abuser_in_scope = models.BooleanField("bond with a person who harmed the client", default=False)
    abuser_label = models.CharField(max_length=60, blank=True)
    v2v_in_scope = models.BooleanField("unhealthy bond with another survivor", default=False)
    v2v_label = models.CharField(max_length=60, blank=True)
    # With no contact, items about the other person fall whatever happened to the bond: shown beside
    # each bond's results and trend, so a lower total is read with it.
    abuser_contact = models.CharField("contact with this person", max_length=8, blank=True, choices=CONTACT_CHOICES)
    v2v_contact = models.CharField("contact with this person", max_length=8, blank=True, choices=CONTACT_CHOICES)
    notes = models.TextField("clinician notes", blank=True, max_length=NOTES_MAX_LENGTH)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    amended_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Who completed it, when not the clinician who started it (a resumed draft).",
    )
    resources_given = models.BooleanField(
        "crisis resources were given to the client", default=False,
        help_text="Unticked, reports say the resources were shown to the clinician.",
    )
    # The clinic's crisis resources as shown when the screening was completed: a report printed
    # later shows what the clinician gave, whatever the clinic's settings say by then.
    crisis_resources = models.TextField(blank=True, editable=False)
    # How the client answered on their own, if they did ("" : the clinician asked every question),
    # and when the client's part ended (stopped, handed back or submitted).
    self_report = models.CharField(max_length=6, blank=True, choices=SelfReport.choices)
    client_finished_at = models.DateTimeField(null=True, blank=True)
    # Written at completion (and again at each amendment) so lists, trends and reports never recompute them.
    scores = models.JSONField(null=True, blank=True, editable=False)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["client", "-started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", completed_at__isnull=True, scores__isnull=True)
                | Q(status="complete", completed_at__isnull=False, scores__isnull=False),
                name="screening_completion_consistent",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(abuser_in_scope=True) | Q(v2v_in_scope=True),
                name="screening_complete_has_a_bond",
            ),
            models.CheckConstraint(
                condition=Q(abuser_contact__in=["", "regular", "reduced", "none"])
                & Q(v2v_contact__in=["", "regular", "reduced", "none"]),
                name="screening_contact_valid",
            ),
            models.CheckConstraint(condition=Q(kind__in=["intake", "rescreen"]), name="screening_kind_valid"),
            # One unfinished screening per client: a second "start" resumes the first.
            models.UniqueConstraint(fields=["client"], condition=Q(status="draft"), name="one_draft_per_client"),
            models.CheckConstraint(condition=Q(status__in=["draft", "complete"]), name="screening_status_valid"),
            models.CheckConstraint(condition=Q(amended_at__isnull=True) | Q(status="complete"), name="screening_amended_only_if_complete"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("notes"), NOTES_MAX_LENGTH), name="screening_notes_length"),
            models.CheckConstraint(condition=Q(self_report__in=["", "tablet", "link"]), name="screening_self_report_valid"),
            models.CheckConstraint(
                condition=Q(client_finished_at__isnull=True) | ~Q(self_report=""), name="screening_client_finished_only_if_self_report",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.client.code} ({self.started_at:%Y-%m-%d})"

    @property
    def instrument(self):
        return load_instrument(self.instrument_key)

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_intake(self):
        return self.kind == self.Kind.INTAKE

    def sections(self):
        """The instrument's sections for this administration (bonds in scope; intake-only items at intake)."""
        return self.instrument.sections(self.bonds_in_scope, self.is_intake)

    @property
    def bonds_in_scope(self):
        return [bond for bond, on in ((BOND_ABUSER, self.abuser_in_scope), (BOND_V2V, self.v2v_in_scope)) if on]

    @property
    def administration(self):
        """How the screening was given, in a line for results, reports and the summary."""
        if not self.self_report:
            return f"Given by {self.clinician_names}" if self.completed_at else f"Being given by {self.clinician.get_full_name()}"
        parts = [self.get_self_report_display()]
        if self.self_report == self.SelfReport.LINK:
            sent = self.links.exclude(submitted_at=None).order_by("-submitted_at").values_list("submitted_at", flat=True).first()
            if sent:
                parts.append(f"submitted {timezone.localtime(sent):%Y-%m-%d %H:%M}")
            elif self.client_finished_at:
                parts.append(f"not sent by the client (the link ended {timezone.localtime(self.client_finished_at):%Y-%m-%d %H:%M})")
            else:
                parts.append("not yet sent by the client")
        if self.completed_at:
            parts.append(f"reviewed and completed by {self.clinician_names}")
        return ", ".join(parts)

    @property
    def clinician_names(self):
        """Who gave the screening: one name, or both when a colleague completed a resumed draft."""
        started = self.clinician.get_full_name()
        if self.completed_by_id and self.completed_by_id != self.clinician_id:
            return f"{self.completed_by.get_full_name()} (started by {started})"
        return started

    def bond_label(self, bond_type):
        return {BOND_ABUSER: self.abuser_label, BOND_V2V: self.v2v_label}[bond_type]

    def bond_contact(self, bond_type):
        """The contact recorded for this bond, in words ("" when not recorded)."""
        code = {BOND_ABUSER: self.abuser_contact, BOND_V2V: self.v2v_contact}[bond_type]
        return CONTACT_LABELS.get(code, "")

    @property
    def audit_client_id(self):
        return self.client_id

    def answer_map(self):
        """The answers as plain data for scoring: {(section, item_key): value or its state}."""
        return self.answers_and_reasons()[0]

    def answer_reasons(self):
        """{(section, item_key): reason} for the questions declined or not asked with a reason."""
        return self.answers_and_reasons()[1]

    def answers_and_reasons(self):
        """Both of the above from one query (its rows as plain tuples: a page reads a hundred)."""
        rows = list(self.answers.values_list("section", "item_key", "value", "state", "reason"))
        return ({(section, key): plain_answer(value, state) for section, key, value, state, _ in rows},
                {(section, key): reason for section, key, _, _, reason in rows if reason})

    def stored_scores(self):
        return scores_from_dict(self.scores) if self.scores else None


def plain_answer(value, state):
    """The stored columns (value, state) as plain data: an int on the scale, or the state of a
    question without one (DECLINED, NOT_ASKED, NOT_APPLICABLE)."""
    return value if state == ANSWERED else state


def answer_columns(answer):
    """Plain data as the stored columns: the other way round."""
    if isinstance(answer, str):
        return {"value": None, "state": answer}
    return {"value": answer, "state": ANSWERED}


class Answer(models.Model):
    """One item's answer in one section (a bond type, 'safety' or 'protective') of a screening."""

    class Section(models.TextChoices):
        ABUSER = BOND_ABUSER, "Abuser bond"
        V2V = BOND_V2V, "Victim-to-victim bond"
        SAFETY = "safety", "Safety"
        PROTECTIVE = "protective", "Protective factors"

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="answers")
    section = models.CharField(max_length=12, choices=Section.choices)
    item_key = models.CharField(max_length=60)
    class State(models.TextChoices):
        ANSWERED = ANSWERED, "Answered"
        DECLINED = DECLINED, "Client declined"
        NOT_ASKED = NOT_ASKED, "Not asked"
        NOT_APPLICABLE = NOT_APPLICABLE, "Does not apply"

    class GivenBy(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        CLIENT = "client", "Client (self-report)"

    value = models.SmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=ANSWERED)
    given_by = models.CharField(max_length=10, choices=GivenBy.choices, default=GivenBy.CLINICIAN)
    # The client's own answer in self-report (its plain form: "2", "declined"), kept when the
    # clinician changes the answer afterwards, so the original is never lost.
    client_answer = models.CharField(max_length=16, blank=True)
    reason = models.CharField(
        max_length=REASON_MAX_LENGTH, blank=True,
        help_text="Why a safety question was declined or not asked (required for those, from tbsc-2 on).",
    )
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "section", "item_key"], name="answer_once_per_item"),
            # Either a value on the scale, or a state that says why there is none: never both, never neither.
            models.CheckConstraint(
                condition=Q(state=ANSWERED, value__isnull=False) | (~Q(state=ANSWERED) & Q(value__isnull=True)),
                name="answer_value_or_state",
            ),
            models.CheckConstraint(condition=Q(state__in=[s for s in ANSWER_STATES]), name="answer_state_valid"),
            # "Does not apply" fits a question about the other person only (a bond item).
            models.CheckConstraint(
                condition=~Q(state=NOT_APPLICABLE) | Q(section__in=[BOND_ABUSER, BOND_V2V]),
                name="answer_not_applicable_only_for_bond_items",
            ),
            models.CheckConstraint(
                condition=Q(reason="") | Q(state__in=[DECLINED, NOT_ASKED]), name="answer_reason_only_without_answer",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("reason"), REASON_MAX_LENGTH), name="answer_reason_length",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0, value__lte=3), name="answer_value_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(section__in=["safety", "protective"], value__isnull=True)
                | Q(section__in=["safety", "protective"], value__lte=1)
                | Q(section__in=[BOND_ABUSER, BOND_V2V]),
                name="answer_yes_no_sections_are_0_or_1",
            ),
            models.CheckConstraint(
                condition=Q(section__in=[BOND_ABUSER, BOND_V2V, "safety", "protective"]),
                name="answer_section_valid",
            ),
            models.CheckConstraint(
                condition=Q(given_by="clinician") | Q(given_by="client") & ~Q(client_answer=""),
                name="answer_given_by_valid",
            ),
        ]

    def __str__(self):
        return f"{self.section}/{self.item_key}"

    @property
    def plain(self):
        return plain_answer(self.value, self.state)

    @property
    def client_plain(self):
        """The client's own answer as plain data, or None when the client gave none."""
        if not self.client_answer:
            return None
        return int(self.client_answer) if self.client_answer.isdigit() else self.client_answer

    @property
    def changed_from_client(self):
        """The clinician changed what the client answered (the client's answer is client_plain)."""
        return self.client_answer != "" and self.client_plain != self.plain


class Amendment(models.Model):
    """A correction to a completed screening: why, by whom, and the answers and scores it replaced."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="amendments")
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(max_length=1000)
    # [{"section", "item_key", "before", "after"}]: what this amendment changed.
    changes = models.JSONField()
    # The whole answer set and scores as they stood before, so the original is never lost.
    previous_answers = models.JSONField()
    previous_scores = models.JSONField()

    class Meta:
        ordering = ["amended_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="amendment_has_reason")]

    def __str__(self):
        return f"Amendment of {self.screening_id} at {self.amended_at:%Y-%m-%d}"


class SafetyFlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True, withdrawn_at__isnull=True)

    def in_tier_order(self):
        """"Act this session" first, then "Follow up"; oldest first within each."""
        return self.order_by("tier", "raised_at", "title")


class SafetyFlag(models.Model):
    """A safety question answered "Yes" (a disclosure), or safety questions left without an answer
    (not fully assessed). Raised as soon as the answer is saved, open until a follow-up resolves it.
    A "Yes" changed before completion withdraws its flag as entered in error; the flag stays in the
    history. A flag outlives a discarded draft."""

    class Tier(models.TextChoices):
        ACT_NOW = ACT_NOW, "Act this session"
        FOLLOW_UP = FOLLOW_UP, "Follow up"

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", "Disclosure"
        NOT_ASSESSED = "not_assessed", "Safety not fully assessed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="safety_flags")
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_flags",
        help_text="Empty when the draft it was raised in was discarded (the flag is kept).",
    )
    item_key = models.CharField(max_length=60)
    title = models.CharField(max_length=120)
    tier = models.CharField(max_length=12, choices=Tier.choices, default=ACT_NOW)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DISCLOSURE)
    detail = models.CharField(max_length=1000, blank=True, help_text="For 'not fully assessed': which questions, and why.")
    raised_at = models.DateTimeField(default=timezone.now)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recurring = models.BooleanField(default=False, help_text="Also raised at the client's previous screening.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="Entered in error: the answer changed before completion.")
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawn_reason = models.CharField(max_length=200, blank=True)
    draft_discarded_at = models.DateTimeField(null=True, blank=True)

    objects = SafetyFlagQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "title"]
        indexes = [models.Index(fields=["client", "resolved_at"])]
        constraints = [
            # One open flag per question and screening; a withdrawn one may be followed by a new one.
            models.UniqueConstraint(
                fields=["screening", "item_key"], condition=Q(withdrawn_at__isnull=True),
                name="one_live_flag_per_item_and_screening",
            ),
            models.CheckConstraint(condition=Q(tier__in=[ACT_NOW, FOLLOW_UP]), name="flag_tier_valid"),
            models.CheckConstraint(condition=Q(kind__in=["disclosure", "not_assessed"]), name="flag_kind_valid"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(resolved_at__isnull=True), name="flag_withdrawn_or_resolved",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="flag_withdrawal_names_who",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.client.code})"

    @property
    def is_open(self):
        return self.resolved_at is None and self.withdrawn_at is None

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def age(self):
        """"just now", or how long ago it was raised ("3 days, 2 hours ago")."""
        if timezone.now() - self.raised_at < timedelta(minutes=1):
            return "just now"
        return f"{timesince(self.raised_at)} ago"

    @property
    def acts_now(self):
        return self.tier == ACT_NOW

    @property
    def audit_client_id(self):
        return self.client_id


class FollowUp(AppendOnlyModel):
    """What a clinician did about a safety flag. Never edited or deleted: a correction is a new entry."""

    class Action(models.TextChoices):
        RISK_ASSESSMENT = "risk_assessment", "Risk assessment completed"
        SAFETY_PLAN = "safety_plan", "Safety plan made or updated"
        RESOURCES = "resources", "Crisis resources given (988; National Domestic Violence Hotline 1-800-799-7233)"
        REFERRAL = "referral", "Referral made"
        EMERGENCY = "emergency", "Emergency services contacted"
        DECLINED = "declined", "Client declined"
        OTHER = "other", "Other"

    # An "act this session" flag is resolved only by one of these; "client declined" records the
    # attempt and keeps the flag open.
    RESOLVES_ACT_NOW = (Action.RISK_ASSESSMENT, Action.SAFETY_PLAN, Action.REFERRAL, Action.EMERGENCY)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flag = models.ForeignKey(SafetyFlag, on_delete=models.PROTECT, related_name="follow_ups")
    action = models.CharField(max_length=20, choices=Action.choices)
    referral_to = models.CharField("referred to", max_length=200, blank=True)
    note = models.TextField(max_length=4000)
    resolves = models.BooleanField("this resolves the flag", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # From the form, so a double submit records one entry.
    submission = models.UUIDField()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="follow_up_has_note"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("note"), 4000), name="follow_up_note_length"),
            models.CheckConstraint(condition=~Q(action="referral") | ~Q(referral_to=""), name="referral_names_whom"),
            models.UniqueConstraint(fields=["flag", "submission"], name="follow_up_once_per_submission"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} ({self.recorded_at:%Y-%m-%d})"


class SelfReportLinkQuerySet(models.QuerySet):
    def live(self):
        """Neither submitted nor revoked (it may still have expired: see is_usable)."""
        return self.filter(submitted_at__isnull=True, revoked_at__isnull=True)


class SelfReportLink(models.Model):
    """A one-time link a client opens on their own device to answer a draft. Only the SHA-256 of its
    random token is stored: the link itself is shown once, to the clinician who made it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = SelfReportLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A new link for the same draft cancels the one before.
            models.UniqueConstraint(
                fields=["screening"], condition=Q(submitted_at__isnull=True, revoked_at__isnull=True),
                name="one_live_link_per_screening",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="link_expires_after_creation"),
            models.CheckConstraint(condition=Q(submitted_at__isnull=True) | Q(revoked_at__isnull=True), name="link_submitted_or_revoked"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="link_revocation_consistent",
            ),
            models.CheckConstraint(condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="link_token_hash_is_sha256"),
        ]

    def __str__(self):
        return f"Self-report link for {self.screening_id} ({self.status_label})"

    @property
    def audit_client_id(self):
        return self.screening.client_id

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self):
        return self.submitted_at is None and self.revoked_at is None and not self.is_expired

    @property
    def status_label(self):
        if self.submitted_at:
            return "submitted"
        if self.revoked_at:
            return "cancelled"
        if self.is_expired:
            return "expired"
        return "opened, not yet submitted" if self.first_opened_at else "not opened yet"


class ReliabilityEstimate(AppendOnlyModel):
    """Reliability of one bond's items in one checklist version, estimated at the start of a month from the
    completed intakes of the clinic (or of the clinics that pool their estimates), for judging change at
    re-screens. Written by screening.estimates.compute_month; never changed or deleted afterwards, so every
    judgement that names an estimate can be reproduced. The rule it follows is stored on it (`rule`).

    Holds aggregate figures only: nothing that identifies a client or a screening.
    """

    class Source(models.TextChoices):
        CLINIC = "clinic", "This clinic"
        POOLED = "pooled", "Pooled across clinics"

    clinic = models.ForeignKey("clinicians.Clinic", on_delete=models.PROTECT, related_name="reliability_estimates",
                               help_text="The clinic whose judgements this estimate serves.")
    instrument_key = models.CharField(max_length=20)
    bond_type = models.CharField(max_length=12, choices=[(BOND_ABUSER, "Abuser bond"), (BOND_V2V, "Victim-to-victim bond")])
    as_of = models.DateField(help_text="The first day of a month: intakes completed before its midnight went in.")
    computed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=8, choices=Source.choices)
    clinics = models.PositiveIntegerField(help_text="How many clinics' intakes went in.")
    n = models.PositiveIntegerField(help_text="Complete intakes used (every item asked at every screening answered).")
    alpha = models.FloatField(null=True, blank=True)
    alpha_low = models.FloatField(null=True, blank=True)
    alpha_high = models.FloatField(null=True, blank=True)
    sd = models.FloatField("SD of the total", null=True, blank=True)
    items = models.JSONField(default=list, help_text="The item keys alpha and SD are over, in order.")
    covariance = models.JSONField(default=list, help_text="The items' covariance matrix, in the order of items.")
    item_stats = models.JSONField(default=dict, help_text="Per item of the bond: mean, SD, % declined / not asked / "
                                                          "not applicable, corrected item-total r.")
    rule = models.TextField(help_text="Which screenings and items went in, as printed with the estimate.")
    note = models.CharField(max_length=200, blank=True,
                            help_text="Why there are no figures from 50 complete intakes on (alpha undefined).")

    class Meta:
        ordering = ["clinic", "instrument_key", "bond_type", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "instrument_key", "bond_type", "as_of"],
                                    name="reliability_estimate_once_per_month"),
            models.CheckConstraint(condition=Q(n__gte=0), name="reliability_estimate_n_not_negative"),
            models.CheckConstraint(condition=Q(clinics__gte=1), name="reliability_estimate_has_clinics"),
            models.CheckConstraint(
                condition=Q(source="clinic", clinics=1) | Q(source="pooled"), name="reliability_estimate_source_valid",
            ),
            models.CheckConstraint(condition=Q(bond_type__in=[BOND_ABUSER, BOND_V2V]),
                                   name="reliability_estimate_bond_type_valid"),
            models.CheckConstraint(condition=Q(as_of__day=1), name="reliability_estimate_as_of_first_of_month"),
            # Figures from 50 complete intakes on, and only then (unless alpha is undefined, and the note says why).
            models.CheckConstraint(
                condition=Q(n__gte=50, alpha__isnull=False, alpha_low__isnull=False, alpha_high__isnull=False,
                            sd__isnull=False, note="")
                | Q(n__lt=50, alpha__isnull=True, alpha_low__isnull=True, alpha_high__isnull=True, sd__isnull=True,
                    note="")
                | Q(n__gte=50, alpha__isnull=True, alpha_low__isnull=True, alpha_high__isnull=True, sd__isnull=True)
                & ~Q(note=""),
                name="reliability_estimate_figures_from_50",
            ),
            models.CheckConstraint(
                condition=Q(alpha__isnull=True) | Q(alpha_low__lte=models.F("alpha"), alpha__lte=models.F("alpha_high")),
                name="reliability_estimate_alpha_within_interval",
            ),
            models.CheckConstraint(condition=Q(sd__isnull=True) | Q(sd__gte=0), name="reliability_estimate_sd_not_negative"),
        ]

    def __str__(self):
        return f"Reliability {self.instrument_key} {self.bond_type} {self.as_of:%Y-%m-%d} ({self.clinic_id})"

    @property
    def has_figures(self):
        return self.alpha is not None

    def data(self):
        """The estimate as plain data for screening.reliability (judgements, pages)."""
        return EstimateData(
            id=self.pk, instrument=self.instrument_key, bond_type=self.bond_type, as_of=self.as_of,
            source=self.source, clinics=self.clinics, n=self.n, alpha=self.alpha, alpha_low=self.alpha_low,
            alpha_high=self.alpha_high, sd=self.sd, items=tuple(self.items),
            covariance=tuple(tuple(row) for row in self.covariance), note=self.note,
        )
