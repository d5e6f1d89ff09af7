"""A client's screenings as plain data for screening.progress (the one place that reads them)."""

from django.utils import timezone

from screening.progress import Point


def local_date(moment):
    return timezone.localtime(moment).date()


def points(screenings):
    """Points of completed screenings and drafts, from Screening rows (scores as stored)."""
    return [
        Point(
            id=str(s.id),
            date=local_date(s.completed_at or s.started_at),
            kind=s.kind,
            instrument=s.instrument_key,
            scores=s.stored_scores(),
            amended=s.amended_at is not None,
        )
        for s in screenings
    ]


def bond_titles(instrument):
    return [(b.key, b.title) for b in instrument.bond_types]


def history_row(screening, instrument):
    """One line of a client's history: per bond total, stages and signs, and the flags."""
    scores = screening.stored_scores()
    bonds = [scores.bond(b.key) if scores else None for b in instrument.bond_types]
    return {"screening": screening, "bonds": bonds, "flags": [f.flag for f in scores.flags] if scores else []}
