from django.core.management import call_command

from clinicians.models import Clinic, User
from screening.models import Screening


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "clinician@demo.clinic" in out and "password:" in out
    counts = (Clinic.objects.count(), User.objects.count(), Screening.objects.count())
    call_command("seed_demo")
    assert (Clinic.objects.count(), User.objects.count(), Screening.objects.count()) == counts
    assert Screening.objects.completed().count() >= 5 and Screening.objects.drafts().count() == 1
    assert User.objects.get(email="clinician@demo.clinic").check_password("demo-password-2026")
    months = {s.completed_at.strftime("%Y-%m") for s in Screening.objects.completed()}
    assert len(months) >= 4
    assert any(s.scores["flags"] for s in Screening.objects.completed())
