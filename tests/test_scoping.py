"""Another clinic's client or screening is a 404 on every URL that names one, and no list leaks it.

The URL list is read from the URLconf: a new URL with a client or screening id that is missing from
CASES fails test_every_record_url_is_covered, so it cannot slip past this test.
"""

import pytest
from django.urls import get_resolver, reverse

from screening.models import Screening

# (url name, kind of object named, method)
CASES = [
    ("client_detail", "client", "get"),
    ("screening_start", "client", "post"),
    ("screening_step", "draft", "get"),
    ("screening_step", "draft", "post"),
    ("screening_complete", "draft", "post"),
    ("screening_discard", "draft", "get"),
    ("screening_discard", "draft", "post"),
    ("results", "completed", "get"),
    ("intake_pdf", "completed", "get"),
]


def _url(name, obj):
    if name == "screening_step":
        return reverse(name, args=[obj.id, "bonds"])
    return reverse(name, args=[obj.id])


@pytest.fixture
def records(client_record, clinician, make_screening, clinic):
    from screening.models import Client

    completed = make_screening(client_record, clinician)
    other = Client.objects.create(clinic=clinic, code="C-0002", created_by=clinician)
    draft = make_screening(other, clinician, complete=False)
    return {"client": client_record, "completed": completed, "draft": draft}


@pytest.mark.parametrize("name,kind,method", CASES)
def test_outsider_gets_404(client, outsider, records, name, kind, method):
    client.force_login(outsider)
    response = getattr(client, method)(_url(name, records[kind]), {"instrument": "tbsc-1", "confirm": "1"})
    assert response.status_code == 404
    assert records["client"].code not in response.content.decode()


@pytest.mark.parametrize("name,kind,method", CASES)
def test_teammate_in_same_clinic_gets_through(client, teammate, records, name, kind, method):
    client.force_login(teammate)
    response = getattr(client, method)(_url(name, records[kind]))
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize("name,kind,method", CASES)
def test_anonymous_is_sent_to_login(client, records, name, kind, method):
    response = getattr(client, method)(_url(name, records[kind]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_outsider_post_changes_nothing(client, outsider, records):
    client.force_login(outsider)
    draft = records["draft"]
    client.post(reverse("screening_discard", args=[draft.id]))
    client.post(reverse("screening_complete", args=[draft.id]), {"confirm": "1"})
    draft.refresh_from_db()
    assert draft.is_draft and Screening.objects.filter(pk=draft.pk).exists()


def test_lists_show_only_own_clinic(client, outsider, records):
    client.force_login(outsider)
    for name in ("home", "client_list"):
        body = client.get(reverse(name)).content.decode()
        assert "C-0001" not in body and "C-0002" not in body


def test_every_record_url_is_covered():
    names_with_ids = {
        p.name for p in get_resolver().url_patterns
        if getattr(p, "name", None) and ("client_id" in str(p.pattern) or "screening_id" in str(p.pattern))
    }
    assert names_with_ids == {name for name, _kind, _method in CASES}
