"""The steps of an administration, in order: bonds → each bond in scope → safety → protective → review."""

from dataclasses import dataclass

from screening.instrument import BOND_TYPES
from screening.scoring import PROTECTIVE, SAFETY

BONDS = "bonds"
REVIEW = "review"


@dataclass(frozen=True)
class Step:
    slug: str
    title: str

    @property
    def is_item_step(self):
        return self.slug in BOND_TYPES or self.slug in (SAFETY, PROTECTIVE)


def steps_for(instrument, bonds_in_scope):
    steps = [Step(BONDS, "Bonds in scope")]
    steps += [Step(b.key, b.title) for b in instrument.bond_types if b.key in bonds_in_scope]
    steps += [Step(SAFETY, "Safety"), Step(PROTECTIVE, "Protective factors"), Step(REVIEW, "Review and complete")]
    return steps


def all_step_slugs():
    return [BONDS, *BOND_TYPES, SAFETY, PROTECTIVE, REVIEW]


def neighbours(steps, slug):
    slugs = [s.slug for s in steps]
    i = slugs.index(slug)
    previous = steps[i - 1] if i > 0 else None
    following = steps[i + 1] if i + 1 < len(steps) else None
    return previous, following
