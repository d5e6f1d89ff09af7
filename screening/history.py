"""A client's screenings as plain data for screening.progress (the one place that reads them)."""

from django.utils import timezone

from screening.progress import Point


def local_date(moment):
    return timezone.localtime(moment).date()


def timepoints(screenings):
    """{screening id: (label, days since intake)} for completed screenings: "Intake", then
    "Re-screen 1", "Re-screen 2", … in completion order; days count from the intake's local date."""
    done = sorted((s for s in screenings if s.completed_at), key=lambda s: s.completed_at)
    intake = next((s for s in done if s.kind == "intake"), None)
    start = local_date(intake.completed_at) if intake else None
    result, n = {}, 0
    for s in done:
        if s.kind == "intake":
            label = "Intake"
        else:
            n += 1
            label = f"Re-screen {n}"
        days = (local_date(s.completed_at) - start).days if start else None
        result[s.id] = (label, days)
    return result


def points(screenings, marks=None):
    """Points of completed screenings and drafts, from Screening rows (scores as stored); marks:
    timepoints() of the client's whole history, when `screenings` is only part of it."""
    screenings = list(screenings)
    marks = marks if marks is not None else timepoints(screenings)
    return [
        Point(
            id=str(s.id),
            date=local_date(s.completed_at or s.started_at),
            kind=s.kind,
            instrument=s.instrument_key,
            scores=s.stored_scores(),
            amended=s.amended_at is not None,
            labels=(("abuser", s.abuser_label), ("v2v", s.v2v_label)),
            contacts=(("abuser", s.bond_contact("abuser")), ("v2v", s.bond_contact("v2v"))),
            timepoint=marks.get(s.id, ("Draft", None))[0],
            days_since_intake=marks.get(s.id, ("", None))[1],
            clinician=s.clinician_names,
        )
        for s in screenings
    ]


def bond_titles(instrument):
    return [(b.key, b.title) for b in instrument.bond_types]


def history_row(screening, instrument, marks=None):
    """One line of a client's history: per bond total, stages and signs, and the flags."""
    scores = screening.stored_scores()
    bonds = [{"score": scores.bond(b.key) if scores else None, "label": screening.bond_label(b.key)}
             for b in instrument.bond_types]
    label, days = (marks or {}).get(screening.id, ("Draft" if screening.is_draft else "", None))
    return {"screening": screening, "bonds": bonds, "flags": [f.flag for f in scores.flags] if scores else [],
            "not_assessed": [p.title for p in scores.safety_declined] if scores else [],
            "timepoint": label, "days": days}
