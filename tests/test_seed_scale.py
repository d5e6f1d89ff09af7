import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from clinicians.models import Clinic
from screening.models import Amendment, Answer, Client, SafetyFlag, Screening


def _snapshot():
    return (
        list(Screening.objects.order_by("id").values_list("id", "status", "kind", "abuser_in_scope", "v2v_in_scope")),
        list(Answer.objects.order_by("screening_id", "section", "item_key")
             .values_list("screening_id", "item_key", "value", "state")),
        list(SafetyFlag.objects.order_by("id").values_list("id", "item_key", "recurring")),
    )


def _seed():
    call_command("seed_scale", clinics=2, clients=40, screenings_per_client=5, seed=7)


def test_seed_scale_is_deterministic(db):
    with transaction.atomic():
        _seed()
        first = _snapshot()
        transaction.set_rollback(True)
    assert not Screening.objects.exists()
    _seed()
    assert _snapshot() == first


def test_seed_scale_spreads_like_real_data(db):
    _seed()
    assert Clinic.objects.filter(synthetic=True).count() == 2 and Client.objects.count() == 40
    assert Screening.objects.count() == 200
    assert Screening.objects.drafts().count() < 20 and Screening.objects.completed().count() > 180
    assert Screening.objects.completed().filter(scores__isnull=True).count() == 0
    bonds = set(Screening.objects.values_list("abuser_in_scope", "v2v_in_scope"))
    assert {(True, False), (False, True), (True, True)} <= bonds
    assert Answer.objects.filter(state="declined").exists() and SafetyFlag.objects.exists()
    assert SafetyFlag.objects.filter(recurring=True).exists() or SafetyFlag.objects.count() < 5
    assert Client.assigned.through.objects.count() == 40
    percents = [b["percent"] for s in Screening.objects.completed() for b in s.scores["bonds"] if b["percent"] is not None]
    assert min(percents) < 30 and max(percents) > 60  # a spread, not one value
    assert Amendment.objects.count() <= 10


def test_seed_scale_refuses_a_database_with_real_clinics(clinic):
    with pytest.raises(CommandError, match="real clinic"):
        call_command("seed_scale", clinics=1, clients=1, screenings_per_client=1, seed=1)
    assert not Screening.objects.exists()
