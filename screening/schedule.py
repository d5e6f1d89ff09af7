"""When a client is due for re-screening, as pure functions over dates (no ORM).

Dates are the clinic's local calendar dates: a screening completed at 23:30 local time on 31 January
counts as 31 January, whatever the UTC date. Intervals are whole days, so month ends need no rule.
"""

from dataclasses import dataclass
from datetime import date, timedelta

NEVER = "never"
OVERDUE = "overdue"
DUE = "due"
LATER = "later"
DISCHARGED = "discharged"

DUE_SOON_DAYS = 14  # "due" from two weeks before the due date, so a session can be booked


@dataclass(frozen=True)
class Due:
    status: str
    due_on: date | None
    days: int | None  # overdue: days late; due/later: days to go

    @property
    def label(self):
        if self.status == NEVER:
            return "Never screened"
        if self.status == DISCHARGED:
            return "Discharged"
        if self.status == OVERDUE:
            return f"Overdue by {self.days} day{'s' if self.days != 1 else ''}"
        if self.days == 0:
            return "Due today"
        return f"Due in {self.days} day{'s' if self.days != 1 else ''}"


def due_status(last_completed_on, interval_days, today, discharged_on=None):
    """last_completed_on and today are local dates; discharged clients are never due."""
    if discharged_on is not None and discharged_on <= today:
        return Due(DISCHARGED, None, None)
    if last_completed_on is None:
        return Due(NEVER, None, None)
    due_on = last_completed_on + timedelta(days=interval_days)
    days = (due_on - today).days
    if days < 0:
        return Due(OVERDUE, due_on, -days)
    return Due(DUE if days <= DUE_SOON_DAYS else LATER, due_on, days)


@dataclass(frozen=True)
class CaseloadRow:
    client: object
    due: Due
    last: date | None


def group_caseload(clients, today, limit):
    """The home page's lists: overdue (longest first), due soon (soonest first) and never screened.

    clients: objects with interval_days, discharged_on and last_completed_on (a local date or None).
    Returns ({status: rows[:limit]}, {status: count}): a clinic admin's caseload can be thousands.
    """
    groups = {OVERDUE: [], DUE: [], NEVER: []}
    for client in clients:
        due = due_status(client.last_completed_on, client.interval_days, today, client.discharged_on)
        if due.status in groups:
            groups[due.status].append(CaseloadRow(client, due, client.last_completed_on))
    groups[OVERDUE].sort(key=lambda row: -row.due.days)
    groups[DUE].sort(key=lambda row: row.due.days)
    counts = {status: len(rows) for status, rows in groups.items()}
    return {status: rows[:limit] for status, rows in groups.items()}, counts
