"""Shared fixtures: a clinic with its admin and a clinician, and an outsider from another clinic."""

import pytest

from clinicians.models import Clinic, User
from screening import services
from screening.instrument import load_instrument
from screening.models import Client, Screening
from screening.scoring import PROTECTIVE, SAFETY

PASSWORD = "a-long-test-password"


@pytest.fixture
def instrument():
    return load_instrument("tbsc-1")


@pytest.fixture
def clinic(db):
    return Clinic.objects.create(name="Riverside Clinic")


@pytest.fixture
def other_clinic(db):
    return Clinic.objects.create(name="Hillside Clinic")


@pytest.fixture
def clinic_admin(clinic):
    return User.objects.create_user("admin@riverside.test", PASSWORD, full_name="Ada Admin", clinic=clinic, role=User.Role.ADMIN)


@pytest.fixture
def clinician(clinic):
    return User.objects.create_user("casey@riverside.test", PASSWORD, full_name="Casey Clinician", clinic=clinic)


@pytest.fixture
def teammate(clinic):
    return User.objects.create_user("terry@riverside.test", PASSWORD, full_name="Terry Teammate", clinic=clinic)


@pytest.fixture
def outsider(other_clinic):
    return User.objects.create_user("olive@hillside.test", PASSWORD, full_name="Olive Outsider", clinic=other_clinic)


@pytest.fixture
def client_record(clinic, clinician):
    client = Client.objects.create(clinic=clinic, code="C-0001", created_by=clinician)
    client.assigned.add(clinician)
    return client


@pytest.fixture
def logged_in(client, clinician):
    client.force_login(clinician)
    return client


def all_answers(instrument, bonds, value=1, safety_yes=(), protective=1):
    """Every item of the given bonds answered `value`; safety 'Yes' for the keys in safety_yes."""
    answers = {}
    for bond in bonds:
        for item in instrument.items_for_bond(bond):
            answers[(bond, item.key)] = value
    for item in instrument.safety_items:
        answers[(SAFETY, item.key)] = 1 if item.key in safety_yes else 0
    for item in instrument.protective_items:
        answers[(PROTECTIVE, item.key)] = protective
    return answers


def fill(screening, answers):
    by_section = {}
    for (section, key), value in answers.items():
        by_section.setdefault(section, {})[key] = value
    for section, values in by_section.items():
        services.save_answers(screening, section, values)


@pytest.fixture
def make_screening(instrument):
    """Make a screening for a client; complete=True answers everything and completes it."""

    def make(client, clinician, bonds=("abuser", "v2v"), complete=True, value=1, safety_yes=(), notes=""):
        screening, _ = services.start_screening(client, clinician)
        screening.abuser_in_scope = "abuser" in bonds
        screening.v2v_in_scope = "v2v" in bonds
        screening.abuser_label = "ex-partner" if "abuser" in bonds else ""
        screening.v2v_label = "friend from group" if "v2v" in bonds else ""
        screening.notes = notes
        screening.save()
        if complete:
            fill(screening, all_answers(instrument, bonds, value=value, safety_yes=safety_yes))
            screening, problems = services.complete_screening(screening.id, Screening.objects.all())
            assert problems == []
        return screening

    return make

