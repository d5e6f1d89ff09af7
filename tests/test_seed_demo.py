import hashlib
import re

from django.core.management import call_command

from clinicians.models import Clinic, User
from screening.models import Answer, Screening, SelfReportLink


def _printed_link(out):
    """The self-report link printed with the logins: (url, token)."""
    match = re.search(r"Self-report link for client C-1008 \(demo\): (http://127\.0\.0\.1:8000/r/([A-Za-z0-9_-]{40,})/)", out)
    assert match, out
    return match.group(1), match.group(2)


def _link_of(token):
    return SelfReportLink.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "clinician@demo.clinic" in out and "password:" in out
    _, first_token = _printed_link(out)
    counts = (Clinic.objects.count(), User.objects.count(), Screening.objects.count())
    call_command("seed_demo")
    second_out = capsys.readouterr().out
    assert (Clinic.objects.count(), User.objects.count(), Screening.objects.count()) == counts
    assert Screening.objects.completed().count() >= 5 and Screening.objects.drafts().count() == 2
    assert User.objects.get(email="clinician@demo.clinic").check_password("demo-password-2026")
    months = {s.completed_at.strftime("%Y-%m") for s in Screening.objects.completed()}
    assert len(months) >= 4
    assert any(s.scores["flags"] for s in Screening.objects.completed())
    # A link is shown only once: each run prints a fresh one for the waiting draft, the one before cancelled.
    _, second_token = _printed_link(second_out)
    assert second_token != first_token
    assert _link_of(first_token).revoked_at is not None and _link_of(second_token).is_usable


def test_seed_demo_has_a_draft_waiting_for_its_clients_link(db, capsys):
    call_command("seed_demo")
    _, token = _printed_link(capsys.readouterr().out)
    link = _link_of(token)
    draft = link.screening
    assert draft.client.code == "C-1008" and draft.is_draft and draft.instrument_key == "tbsc-2"
    assert draft.bonds_in_scope and not draft.answers.exists()
    assert link.is_usable and link.first_opened_at is None and link.submitted_at is None
    assert draft.links.live().count() == 1


def test_seed_demo_has_a_self_report_by_link_reviewed_and_completed(db):
    call_command("seed_demo")
    screening = Screening.objects.get(client__code="C-1009")
    assert not screening.is_draft and screening.scores is not None
    assert screening.self_report == Screening.SelfReport.LINK
    link = screening.links.get()
    assert link.submitted_at is not None and link.first_opened_at is not None
    assert screening.client_finished_at == link.submitted_at
    assert screening.administration.startswith("Self-report by link, submitted ")
    assert screening.administration.endswith("reviewed and completed by Casey Clinician")
    # The client's answers, one of them changed by the clinician with the client's own kept.
    changed = [a for a in screening.answers.all() if a.changed_from_client]
    assert len(changed) == 1 and changed[0].given_by == Answer.GivenBy.CLINICIAN and changed[0].client_answer
    assert screening.answers.filter(given_by=Answer.GivenBy.CLIENT).count() == screening.answers.count() - 1


def test_seed_demo_has_synthetic_intakes_enough_for_a_reliability_estimate(db, capsys):
    from audit.models import AuditEvent
    from screening.models import Client, ReliabilityEstimate

    call_command("seed_demo")
    assert "Reliability estimates of" in capsys.readouterr().out
    synthetic = Screening.objects.filter(client__code__startswith="SYN-")
    assert synthetic.count() == 60 and Client.objects.filter(code__startswith="SYN-").count() == 60
    assert all(s.notes.startswith("Synthetic intake for the reliability demo") for s in synthetic)
    assert {(s.kind, s.status, s.abuser_in_scope, s.v2v_in_scope) for s in synthetic} == {("intake", "complete", True, True)}
    for bond in ("abuser", "v2v"):
        row = ReliabilityEstimate.objects.get(instrument_key="tbsc-2", bond_type=bond)
        assert row.n >= 60 and row.has_figures and 0.5 < row.alpha < 1 and row.clinic.synthetic
    # A re-screened demo client's change is judged against it.
    from screening.estimates import EstimateLookup
    from screening.history import bond_titles, points
    from screening.instrument import load_instrument
    from screening.progress import changes

    client = Client.objects.get(code="C-1001")
    history = points(client.screenings.completed().order_by("completed_at"))
    result = changes(history, bond_titles(load_instrument("tbsc-2")), EstimateLookup.for_clinic(client.clinic_id))
    assert all(b.reliable_change.judged for b in result.since_first.bonds)
    events = AuditEvent.objects.filter(action="screening.reliability_estimated").count()
    call_command("seed_demo")  # again: nothing added, no second estimate
    assert synthetic.count() == 60 and ReliabilityEstimate.objects.count() == 4
    assert AuditEvent.objects.filter(action="screening.reliability_estimated").count() == events
