"""Change between screenings and the trend series, on hand-worked data (pure functions, no database)."""

from datetime import date

from screening.progress import Point, bond_series, changes, compare
from screening.scoring import DECLINED, PROTECTIVE, SAFETY, score_screening

BONDS = [("abuser", "Abuser bond"), ("v2v", "Victim-to-victim bond")]


def point(tiny, pid, when, bonds, values, kind="rescreen", safety=0, protective=(0, 0), instrument="tiny-1"):
    """values: {bond: {item: value}}; unlisted items of a bond are answered 0."""
    answers = {}
    for bond in bonds:
        for item in tiny.items_for_bond(bond):
            answers[(bond, item.key)] = values.get(bond, {}).get(item.key, 0)
    answers[(SAFETY, "safety-suicide")] = safety
    answers[(SAFETY, "safety-violence")] = 0
    answers[(PROTECTIVE, "p-sleep")], answers[(PROTECTIVE, "p-friends")] = protective
    return Point(pid, when, kind, instrument, score_screening(tiny, bonds, answers))


def test_change_since_intake_and_previous(tiny):
    # Abuser items a(stage1, sign-a) b(stage1) c(stage2) d(fear): max 12.
    intake = point(tiny, "1", date(2026, 1, 10), ["abuser"], {"abuser": {"a": 3, "b": 3, "c": 3, "d": 3}},
                   kind="intake", safety=1, protective=(0, 0))            # 12/12 = 100%
    middle = point(tiny, "2", date(2026, 4, 10), ["abuser"], {"abuser": {"a": 2, "c": 1}}, protective=(1, 0))  # 3/12 = 25%
    latest = point(tiny, "3", date(2026, 7, 10), ["abuser"], {"abuser": {"c": 3}}, protective=(1, 1))          # 3/12 = 25%
    result = changes([latest, intake, middle], BONDS)

    first = result.since_first
    assert result.first_is_intake and (first.base.id, first.current.id) == ("1", "3")
    abuser = first.bonds[0]
    assert (abuser.percent_before, abuser.percent_after, abuser.percent_delta) == (100.0, 25.0, -75.0)
    assert abuser.stages.gone == ("1. First",) and abuser.stages.still == ("2. Second",)
    assert abuser.signs.gone == ("Sign A",) and abuser.signs.appeared == ()
    assert abuser.indicators.gone == ("Fear of the person",)
    assert "Total lower: 100% → 25%" in abuser.summary and "(-75 percentage points)" in abuser.summary
    # Without reliability estimates nothing is judged, and the words say why.
    assert abuser.summary.endswith("Whether this change is beyond measurement error is not judged: no reliability "
                                   "estimate has been made yet for this checklist version and bond.")
    assert abuser.reliable_change.judged is False
    assert first.flags_before == ("Suicidal thoughts",) and first.flags_after == ()
    assert first.protective.summary == "Protective factors higher: 0 → 2 of 2."

    previous = result.since_previous
    assert previous.base.id == "2"
    abuser = previous.bonds[0]
    assert abuser.percent_delta == 0 and abuser.summary.startswith("No change in the total: 25% of the maximum both times. "
                                                                   "Whether this change is beyond measurement error is not judged")
    assert abuser.stages.gone == ("1. First",) and abuser.signs.gone == ("Sign A",)
    assert previous.protective.factors.appeared == ("Friends",)


def test_bond_screened_at_intake_but_not_later(tiny):
    intake = point(tiny, "1", date(2026, 1, 1), ["abuser", "v2v"], {}, kind="intake")
    later = point(tiny, "2", date(2026, 4, 1), ["abuser"], {"abuser": {"a": 3}})
    v2v = changes([intake, later], BONDS).since_first.bonds[1]
    assert (v2v.screened_before, v2v.screened_after) == (True, False)
    assert v2v.percent_delta is None and "not screened this time" in v2v.summary
    assert v2v.stages.gone == () and v2v.signs.appeared == ()  # nothing is claimed about an unscreened bond
    assert [p.screening_id for p in bond_series([intake, later], "v2v", "tiny-1")] == ["1"]


def test_declined_items_leave_the_total_unscored(tiny):
    intake = point(tiny, "1", date(2026, 1, 1), ["abuser"], {"abuser": {"a": 1}}, kind="intake")
    declined = point(tiny, "2", date(2026, 2, 1), ["abuser"],
                     {"abuser": {"a": DECLINED, "b": DECLINED, "c": 2}})  # 2 of 4 answered: not scored
    abuser = compare(intake, declined, BONDS).bonds[0]
    assert abuser.percent_after is None and abuser.percent_delta is None
    assert "Too many items without an answer" in abuser.summary
    assert abuser.stages.appeared == ("2. Second",)  # still reported: c was answered "Often"
    series = bond_series([intake, declined], "abuser", "tiny-1")
    assert [s.percent for s in series] == [round(100 / 12, 1), None]


def test_other_instrument_version_is_not_joined(tiny):
    old = point(tiny, "1", date(2025, 6, 1), ["abuser"], {"abuser": {"a": 3}}, kind="intake", instrument="tiny-0")
    a = point(tiny, "2", date(2026, 1, 1), ["abuser"], {"abuser": {"a": 1}})
    b = point(tiny, "3", date(2026, 4, 1), ["abuser"], {"abuser": {"a": 2}})
    result = changes([old, a, b], BONDS)
    assert result.other_versions == ("tiny-0",)
    assert result.since_first.base.id == "2" and not result.first_is_intake
    assert result.since_previous is None  # the previous of the same version is the first one
    assert [p.screening_id for p in bond_series([old, a, b], "abuser", "tiny-1")] == ["2", "3"]


def test_drafts_and_single_screening_give_no_change(tiny):
    only = point(tiny, "1", date(2026, 1, 1), ["abuser"], {}, kind="intake")
    draft = Point("2", date(2026, 3, 1), "rescreen", "tiny-1", None)
    result = changes([only, draft], BONDS)
    assert result.since_first is None and result.since_previous is None


def test_series_marks_flagged_dates(tiny):
    a = point(tiny, "1", date(2026, 1, 1), ["abuser"], {"abuser": {"a": 2, "b": 1}}, kind="intake", safety=1)
    b = point(tiny, "2", date(2026, 2, 1), ["abuser"], {})
    series = bond_series([b, a], "abuser", "tiny-1")
    assert [(s.date, s.flagged, s.stages, s.signs, s.signs_applicable) for s in series] == [
        (date(2026, 1, 1), True, 1, 1, 1), (date(2026, 2, 1), False, 0, 0, 1),
    ]


def test_same_day_screenings_keep_their_order():
    from datetime import date

    from screening.progress import Point, completed_in_order

    scores = object()
    for _ in range(20):  # ids are random: the order must not depend on them
        import uuid

        a = Point(str(uuid.uuid4()), date(2026, 3, 1), "intake", "tbsc-1", scores)
        b = Point(str(uuid.uuid4()), date(2026, 3, 1), "rescreen", "tbsc-1", scores)
        assert completed_in_order([a, b]) == [a, b]


def test_not_known_is_never_reported_as_change(tiny):
    # Stage 1 (items a, b) and sign A (item a): endorsed at intake, every item declined later.
    intake = point(tiny, "1", date(2026, 1, 1), ["abuser"], {"abuser": {"a": 3, "b": 2, "c": 1, "d": 1}}, kind="intake")
    later = point(tiny, "2", date(2026, 4, 1), ["abuser"], {"abuser": {"a": DECLINED, "b": "not_asked", "c": 1, "d": 1}})
    abuser = compare(intake, later, BONDS).bonds[0]
    assert "1. First" not in abuser.stages.gone and "1. First" in abuser.stages.not_known
    assert "Sign A" not in abuser.signs.gone and "Sign A" in abuser.signs.not_known
    assert later.scores.bond("abuser").stages[0].status == "not_known"
    # The other way round: declined at intake, endorsed now, is not "newly endorsed" either.
    back = compare(later, intake, BONDS).bonds[0]
    assert back.stages.appeared == () and back.signs.appeared == () and "Sign A" in back.signs.not_known


def test_equal_printed_values_are_no_change():
    from screening.progress import percent_change
    from screening.scoring import BondScore

    def bond(raw, maximum, percent):
        return BondScore("abuser", "Abuser bond", 10, 10, 0, 0, raw, maximum, percent, True, "", (), (), 0, (), 0)

    # 58/89 = 65.17% and 73/112 = 65.18%: both print as 65.2%, so the change is 0, never "+0.1".
    assert percent_change(bond(58, 89, 65.2), bond(73, 112, 65.2)) == 0


def test_protective_factors_are_described_neutrally(tiny):
    history = [point(tiny, str(i), date(2026, 1 + i, 1), ["abuser"], {}, kind="intake" if i == 0 else "rescreen",
                     protective=p) for i, p in enumerate([(0, 0), (1, 1), (1, 0), (1, 1)])]
    for base in history:
        for current in history:
            words = compare(base, current, BONDS).protective.summary
            assert "good" not in words.lower() and "improv" not in words.lower() and "worse" not in words.lower()


def test_a_new_relationship_is_not_joined_to_the_old_one(tiny):
    from dataclasses import replace

    intake = replace(point(tiny, "1", date(2026, 1, 1), ["abuser"], {"abuser": {"a": 3}}, kind="intake"),
                     labels=(("abuser", "ex-partner"),))
    later = replace(point(tiny, "2", date(2026, 4, 1), ["abuser"], {"abuser": {"a": 0}}),
                    labels=(("abuser", "new partner"),))
    abuser = compare(intake, later, BONDS).bonds[0]
    assert abuser.percent_delta is None and abuser.stages.gone == () and "different relationship" in abuser.summary
    from screening.progress import relationships

    assert relationships([intake, later], "abuser", "tiny-1") == ["ex-partner", "new partner"]
    assert [p.screening_id for p in bond_series([intake, later], "abuser", "tiny-1", "new partner")] == ["2"]


def test_declined_protective_factors_are_not_reported_as_change(tiny):
    intake = point(tiny, "1", date(2026, 1, 1), ["abuser"], {}, kind="intake", protective=(1, 1))
    later = point(tiny, "2", date(2026, 4, 1), ["abuser"], {}, protective=(DECLINED, 1))
    change = compare(intake, later, BONDS).protective
    assert change.factors.gone == () and change.factors.not_known == ("Regular sleep",)
    assert (change.before, change.after, change.items) == (1, 1, 1)
    assert change.summary.startswith("Protective factors: no change, 1 of 1 both times.")
    assert "not known at one of the two: Regular sleep" in change.summary
