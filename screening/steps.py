"""The steps of an administration, in order: bonds, then the instrument's sections, then review."""

from dataclasses import dataclass

from screening.instrument import SECTION_KEYS

BONDS = "bonds"
REVIEW = "review"


@dataclass(frozen=True)
class Step:
    slug: str
    title: str

    @property
    def is_item_step(self):
        return self.slug in SECTION_KEYS


def steps_for(instrument, bonds_in_scope):
    steps = [Step(BONDS, "Bonds in scope")]
    steps += [Step(section.key, section.title) for section in instrument.sections(bonds_in_scope)]
    steps.append(Step(REVIEW, "Review and complete"))
    return steps


def all_step_slugs():
    return [BONDS, *SECTION_KEYS, REVIEW]


def neighbours(steps, slug):
    slugs = [s.slug for s in steps]
    i = slugs.index(slug)
    previous = steps[i - 1] if i > 0 else None
    following = steps[i + 1] if i + 1 < len(steps) else None
    return previous, following


@dataclass(frozen=True)
class SectionProgress:
    step: Step
    done: int
    total: int


def section_progress(instrument, bonds_in_scope, answers):
    """How many items of each section have an answer (or "declined"), for the review step."""
    answered = {}
    for section, _key in answers:
        answered[section] = answered.get(section, 0) + 1
    return [
        SectionProgress(Step(section.key, section.title), answered.get(section.key, 0), len(section.items))
        for section in instrument.sections(bonds_in_scope)
    ]
