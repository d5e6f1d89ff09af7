"""Due and overdue dates, in the clinic's local calendar, across month ends and time zones."""

from datetime import date, datetime, timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.history import local_date
from screening.models import Client, Screening
from screening.clients import discharge_date
from screening.schedule import DISCHARGED, DUE, LATER, NEVER, OVERDUE, due_status, group_caseload


@pytest.mark.parametrize("last,interval,today,status,due_on,days", [
    (None, 90, date(2026, 3, 1), NEVER, None, None),
    (date(2026, 1, 31), 30, date(2026, 3, 2), DUE, date(2026, 3, 2), 0),        # 31 Jan + 30 days crosses February
    (date(2026, 1, 31), 30, date(2026, 3, 3), OVERDUE, date(2026, 3, 2), 1),
    (date(2024, 1, 31), 30, date(2024, 3, 1), DUE, date(2024, 3, 1), 0),        # leap year
    (date(2025, 12, 31), 90, date(2026, 3, 31), DUE, date(2026, 3, 31), 0),     # across the year end
    (date(2026, 1, 1), 90, date(2026, 3, 18), DUE, date(2026, 4, 1), 14),    # 1 Jan + 90 days = 1 April;
    (date(2026, 1, 1), 90, date(2026, 3, 17), LATER, date(2026, 4, 1), 15),  # "due" from two weeks before
    (date(2026, 1, 1), 90, date(2026, 3, 10), LATER, date(2026, 4, 1), 22),
    (date(2026, 1, 1), 90, date(2026, 5, 1), OVERDUE, date(2026, 4, 1), 30),
])
def test_due_status(last, interval, today, status, due_on, days):
    due = due_status(last, interval, today)
    assert (due.status, due.due_on, due.days) == (status, due_on, days)


def test_labels():
    assert due_status(date(2026, 1, 1), 30, date(2026, 2, 1)).label == "Overdue by 1 day"
    assert due_status(date(2026, 1, 1), 30, date(2026, 2, 2)).label == "Overdue by 2 days"
    assert due_status(date(2026, 1, 1), 30, date(2026, 1, 31)).label == "Due today"
    assert due_status(None, 30, date(2026, 1, 1)).label == "Never screened"


def test_discharged_is_never_due():
    assert due_status(date(2020, 1, 1), 90, date(2026, 1, 1), discharged_on=date(2025, 1, 1)).status == DISCHARGED
    # Discharge dated in the future has not happened yet.
    assert due_status(date(2020, 1, 1), 90, date(2026, 1, 1), discharged_on=date(2026, 6, 1)).status == OVERDUE


def test_local_date_uses_the_clinic_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    late_evening = datetime(2026, 2, 1, 3, 30, tzinfo=dt_timezone.utc)  # 22:30 on 31 January in New York
    with timezone.override("America/New_York"):
        assert local_date(late_evening) == date(2026, 1, 31)
    with timezone.override("Europe/Berlin"):
        assert local_date(late_evening) == date(2026, 2, 1)


def _complete_on(screening, when):
    Screening.objects.filter(pk=screening.pk).update(completed_at=when, started_at=when)


def test_home_lists_overdue_due_and_never(logged_in, clinic, clinician, make_screening):
    now = timezone.now()
    rows = {}
    for code, days_ago in (("OVER", 120), ("SOON", 85), ("LATER", 10), ("NEVER", None), ("GONE", 200)):
        client = Client.objects.create(clinic=clinic, code=code, created_by=clinician)
        client.assigned.add(clinician)
        if days_ago is not None:
            _complete_on(make_screening(client, clinician), now - timezone.timedelta(days=days_ago))
        rows[code] = client
    rows["GONE"].discharged_on = timezone.localdate()
    rows["GONE"].save()
    body = logged_in.get(reverse("screening:home")).content.decode()
    assert "OVER" in body and "Overdue</span> by 30 days" in body
    assert "SOON" in body and "(in 5 days)" in body
    assert "NEVER" in body and "Never screened" in body
    assert "LATER" not in body and "GONE" not in body


def test_home_shows_only_the_clinicians_caseload(logged_in, clinic, clinician, teammate):
    Client.objects.create(clinic=clinic, code="THEIRS", created_by=teammate).assigned.add(teammate)
    assert "THEIRS" not in logged_in.get(reverse("screening:home")).content.decode()


def test_per_client_interval_and_discharge(logged_in, client_record, clinician, make_screening):
    _complete_on(make_screening(client_record, clinician), timezone.now() - timezone.timedelta(days=40))
    url = reverse("screening:client_schedule", args=[client_record.id])
    assert logged_in.post(url, {"rescreen_interval_days": "3"}).status_code == 200  # out of range: form error
    logged_in.post(url, {"rescreen_interval_days": "30"})
    client_record.refresh_from_db()
    assert client_record.interval_days == 30
    assert "Overdue by 10 days" in logged_in.get(reverse("screening:home")).content.decode().replace("</span>", "")
    logged_in.post(url, {"rescreen_interval_days": "", "discharged": "on"})
    client_record.refresh_from_db()
    assert client_record.discharged_on == timezone.localdate() and client_record.interval_days == 90
    assert reverse("screening:client_detail", args=[client_record.id]) not in logged_in.get(reverse("screening:home")).content.decode()


class _Row:
    def __init__(self, code, last, interval=90, discharged_on=None):
        self.code, self.last_completed_on, self.interval_days, self.discharged_on = code, last, interval, discharged_on


def test_caseload_groups_sort_and_cap():
    today = date(2026, 6, 1)
    rows = [
        _Row("late-10", date(2026, 2, 21)), _Row("late-40", date(2026, 1, 22)), _Row("soon-3", date(2026, 3, 6)),
        _Row("soon-1", date(2026, 3, 4)), _Row("never-a", None), _Row("never-b", None), _Row("later", date(2026, 5, 1)),
        _Row("gone", None, discharged_on=date(2026, 5, 1)),
    ]
    groups, counts = group_caseload(rows, today, limit=1)
    assert counts == {OVERDUE: 2, DUE: 2, NEVER: 2}
    assert [(r.client.code, r.due.days) for r in groups[OVERDUE]] == [("late-40", 40)]  # longest overdue first
    assert [(r.client.code, r.due.days) for r in groups[DUE]] == [("soon-1", 1)]        # soonest first
    assert [r.client.code for r in groups[NEVER]] == ["never-a"]
    assert groups[OVERDUE][0].last == date(2026, 1, 22)


@pytest.mark.parametrize("discharged,already,expected", [
    (False, None, None), (False, date(2026, 1, 5), None),
    (True, None, date(2026, 6, 1)), (True, date(2026, 1, 5), date(2026, 1, 5)),  # the first discharge date is kept
])
def test_discharge_rule(discharged, already, expected):
    assert discharge_date(discharged, already, date(2026, 6, 1)) == expected


def test_last_completed_on_is_the_local_date_of_the_latest_completion(client_record, clinician, make_screening):
    first = make_screening(client_record, clinician)
    second = make_screening(client_record, clinician)
    make_screening(client_record, clinician, complete=False)
    row = Client.objects.with_last_completed().get(pk=client_record.pk)
    assert row.last_completed_on == local_date(max(first.completed_at, second.completed_at))
    Client.objects.create(clinic=client_record.clinic, code="NEW", created_by=clinician)
    assert Client.objects.with_last_completed().get(code="NEW").last_completed_on is None
