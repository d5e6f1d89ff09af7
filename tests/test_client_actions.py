"""Client actions (screening.clients) and the counts on the client list: each action writes its audit
row when it changes something, and nothing when nothing changed."""

from datetime import date

import pytest

from audit.models import AuditEvent
from clinicians.actors import Actor
from screening import clients
from screening.forms.clients import ClientForm
from screening.models import Client, Screening


def _rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id").values_list("client_id", "detail"))


def test_create_assigns_the_creator_and_audits(clinic, clinician):
    form = ClientForm({"code": "N-1"}, clinic=clinic)
    assert form.is_valid()
    client = clients.create_client(form, Actor(clinician, "10.0.0.1"))
    assert list(client.assigned.all()) == [clinician]
    event = AuditEvent.objects.get(action="client.created")
    assert (event.client_id, event.actor_id, event.ip_address, event.clinic_id) == (client.id, clinician.id, "10.0.0.1", clinic.id)


def test_assign_audits_changes_only(client_record, clinic_admin, clinician, teammate):
    actor = Actor(clinic_admin)
    assert clients.assign(client_record, [clinician, teammate], actor) is True
    assert clients.assign(client_record, [teammate, clinician], actor) is False  # the same people
    assert set(client_record.assigned.all()) == {clinician, teammate}
    assert len(_rows("client.assigned")) == 1


def test_schedule_audits_changes_only(client_record, clinician):
    actor, today = Actor(clinician), date(2026, 6, 1)
    assert clients.set_schedule(client_record, 30, False, actor, today) is True
    assert clients.set_schedule(client_record, 30, False, actor, today) is False
    assert clients.set_schedule(client_record, 30, True, actor, today) is True
    assert clients.set_schedule(client_record, 30, True, actor, date(2026, 7, 1)) is False  # stays discharged on 1 June
    client_record.refresh_from_db()
    assert (client_record.rescreen_interval_days, client_record.discharged_on) == (30, today)
    assert _rows("client.schedule_changed") == [
        (client_record.id, "every 30 days"), (client_record.id, "every 30 days, discharged 2026-06-01"),
    ]


@pytest.mark.django_db
def test_counts_by_client(client_record, clinician, make_screening):
    other = Client.objects.create(clinic=client_record.clinic, code="C-0002", created_by=clinician)
    done = [make_screening(client_record, clinician) for _ in range(2)]
    make_screening(client_record, clinician, complete=False)
    counts = Screening.objects.counts_by_client([client_record.id, other.id])
    assert counts == {client_record.id: {"completed": 2, "drafts": 1, "last_screened": max(s.completed_at for s in done)}}
