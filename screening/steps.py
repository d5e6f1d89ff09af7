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


def steps_for(instrument, bonds_in_scope, intake=True):
    steps = [Step(BONDS, "Bonds in scope")]
    steps += [Step(section.key, section.title) for section in instrument.sections(bonds_in_scope, intake)]
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


def section_progress(instrument, bonds_in_scope, answers, intake=True):
    """How many items of each section have an answer (or say why not), for the review step; a
    conditional safety question not asked is not counted."""
    progress = []
    for section in instrument.sections(bonds_in_scope, intake):
        asked = [item for item in section.items if section.key != "safety" or instrument.is_asked(item, answers)]
        done = sum(1 for item in asked if (section.key, item.key) in answers)
        progress.append(SectionProgress(Step(section.key, section.title), done, len(asked)))
    return progress
