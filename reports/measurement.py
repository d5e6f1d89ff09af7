"""The Measurement page's figures, as plain data: the clinic's latest reliability estimate of each checklist
version and bond, its items' statistics, and n over time. Aggregate figures only (an estimate holds nothing
that identifies a client, a screening or, when pooled, a clinic)."""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from reports.spreadsheet import safe_frame
from screening import reliability as R
from screening.instrument import CURRENT_KEY, load_instrument
from screening.models import ReliabilityEstimate


@dataclass(frozen=True)
class ItemRow:
    key: str
    text: str
    intake_only: bool
    answered: int | None
    mean: float | None
    sd: float | None
    declined_pct: float | None
    not_asked_pct: float | None
    not_applicable_pct: float | None
    item_total_r: float | None


@dataclass(frozen=True)
class BondEstimate:
    instrument_key: str
    instrument_title: str
    bond_type: str
    bond_title: str
    estimate: object  # ReliabilityEstimate
    data: R.EstimateData
    items: tuple[ItemRow, ...]
    history: tuple[tuple[date, int, float | None], ...]  # (as_of, n, alpha), oldest first

    @property
    def needed_words(self):
        return self.data.needed_words if self.data.needed else ""


def _items(instrument, bond_type, stats):
    rows = []
    for item in instrument.items_for_bond(bond_type, intake=True):
        s = stats.get(item.key) or {}
        rows.append(ItemRow(item.key, item.text, item.intake_only, s.get("answered"), s.get("mean"), s.get("sd"),
                            s.get("declined_pct"), s.get("not_asked_pct"), s.get("not_applicable_pct"),
                            s.get("item_total_r")))
    return tuple(rows)


def measurement(clinic_id):
    """[BondEstimate] of the clinic's latest estimates, the current checklist version first (then the others
    in version order), from one query."""
    rows = list(ReliabilityEstimate.objects.filter(clinic_id=clinic_id).order_by("as_of"))
    latest, history = {}, {}
    for row in rows:
        key = (row.instrument_key, row.bond_type)
        latest[key] = row
        history.setdefault(key, []).append((row.as_of, row.n, row.alpha))
    result = []
    for key in sorted(latest, key=lambda k: (k[0] != CURRENT_KEY, k[0], k[1])):
        row = latest[key]
        instrument = load_instrument(row.instrument_key)
        result.append(BondEstimate(
            instrument_key=row.instrument_key, instrument_title=instrument.title, bond_type=row.bond_type,
            bond_title=instrument.bond_type(row.bond_type).title, estimate=row, data=row.data(),
            items=_items(instrument, row.bond_type, row.item_stats), history=tuple(reversed(history[key])),
        ))
    return result


COLUMNS = ["checklist version", "bond", "estimate of", "source", "item", "wording", "intake only, not in the total",
           "answered", "mean", "SD", "% declined", "% not asked", "% not applicable", "corrected item-total r"]


def item_frame(bonds):
    """The page's item table as one DataFrame (one row per item of each bond), text cells made safe."""
    records = [
        [b.instrument_key, b.bond_title, b.estimate.as_of.isoformat(), b.data.source_text, i.key, i.text,
         "yes" if i.intake_only else "no", i.answered, i.mean, i.sd, i.declined_pct, i.not_asked_pct,
         i.not_applicable_pct, i.item_total_r]
        for b in bonds for i in b.items
    ]
    frame = pd.DataFrame(records, columns=COLUMNS)
    for column in ("mean", "SD", "corrected item-total r"):
        frame[column] = frame[column].astype(float).round(3)
    return safe_frame(frame)
