"""Scoring on a tiny hand-built instrument, so every figure below can be worked out by hand."""

from screening.instrument import parse_instrument
from screening.scoring import (
    DECLINED, PROTECTIVE, SAFETY, score_bond, score_screening, scores_from_dict, unanswered_items,
)
from tests.conftest import TINY



def test_abuser_bond_hand_worked(tiny):
    # abuser items: a(stage1, sign-a)=2, b(stage1)=0, c(stage2)=3, d(fear)=1 → raw 6 of 12 = 50%.
    answers = {("abuser", "a"): 2, ("abuser", "b"): 0, ("abuser", "c"): 3, ("abuser", "d"): 1}
    s = score_bond(tiny, "abuser", answers)
    assert (s.items, s.answered, s.declined, s.unanswered) == (4, 4, 0, 0)
    assert (s.raw, s.maximum, s.percent, s.scored) == (6, 12, 50.0, True)
    assert [(st.number, st.score, st.maximum, st.present) for st in s.stages] == [(1, 2, 6, True), (2, 3, 3, True)]
    assert [p.key for p in s.signs_present] == ["sign-a"]
    assert s.signs_applicable == 1  # sign-b is carried only by a v2v item
    assert [p.key for p in s.indicators_present] == ["fear"]
    assert s.indicators_applicable == 1
    assert s.stages_present == 2


def test_declined_items_leave_the_maximum(tiny):
    # v2v items a, b, c, e: e declined → raw 1+1+0 = 2 of 9 (3 answered × 3) = 22.2%; 3/4 answered < 80%.
    answers = {("v2v", "a"): 1, ("v2v", "b"): 1, ("v2v", "c"): 0, ("v2v", "e"): DECLINED}
    s = score_bond(tiny, "v2v", answers)
    assert (s.answered, s.declined) == (3, 1)
    assert s.scored is False
    assert (s.raw, s.maximum, s.percent) == (None, None, None)
    assert "3 of 4 items answered" in s.not_scored_reason
    # Stage 2: c answered 0, e declined → score 0 of 3, not present; the declined item is counted.
    stage2 = s.stages[1]
    assert (stage2.score, stage2.maximum, stage2.declined, stage2.present) == (0, 3, 1, False)
    assert [p.key for p in s.signs_present] == ["sign-a"]  # a answered "Sometimes"
    assert s.indicators_present == ()  # compete is carried only by the declined item e


def test_declined_item_does_not_lower_the_percentage():
    # With a 75% rule, 3 of 4 answered is scored: a=3, b=3, c=3, e declined → 9 of 9 = 100%, not 9 of 12.
    data = dict(TINY, scoring={"endorsed_at": 1, "min_answered_fraction": 0.75})
    answers = {("v2v", "a"): 3, ("v2v", "b"): 3, ("v2v", "c"): 3, ("v2v", "e"): DECLINED}
    s = score_bond(parse_instrument(data), "v2v", answers)
    assert (s.scored, s.raw, s.maximum, s.percent) == (True, 9, 9, 100.0)


def test_all_declined_stage_has_no_score(tiny):
    answers = {("abuser", "a"): DECLINED, ("abuser", "b"): DECLINED, ("abuser", "c"): 0, ("abuser", "d"): 0}
    s = score_bond(tiny, "abuser", answers)
    assert s.stages[0].score is None and s.stages[0].present is False
    assert s.scored is False  # 2 of 4 = 50%


def test_zero_everywhere_is_scored_and_nothing_present(tiny):
    answers = {("abuser", k): 0 for k in "abcd"}
    s = score_bond(tiny, "abuser", answers)
    assert (s.raw, s.maximum, s.percent) == (0, 12, 0.0)
    assert s.stages_present == 0


def test_safety_flags_and_protective(tiny):
    answers = {
        (SAFETY, "safety-suicide"): 1, (SAFETY, "safety-violence"): DECLINED,
        (PROTECTIVE, "p-sleep"): 1, (PROTECTIVE, "p-friends"): 0,
    }
    scores = score_screening(tiny, ["abuser"], answers)
    assert [f.flag for f in scores.flags] == ["Suicidal thoughts"]
    assert scores.flags[0].guidance == "Call 988."
    assert [p.title for p in scores.safety_declined] == ["Physical violence"]
    assert (scores.protective.count, scores.protective.answered, scores.protective.declined) == (1, 2, 0)


def test_no_flag_when_nothing_endorsed(tiny):
    answers = {(SAFETY, "safety-suicide"): 0, (SAFETY, "safety-violence"): 0}
    assert score_screening(tiny, ["v2v"], answers).flags == ()


def test_only_bonds_in_scope_are_scored_in_instrument_order(tiny):
    scores = score_screening(tiny, ["v2v", "abuser"], {})
    assert [b.bond_type for b in scores.bonds] == ["abuser", "v2v"]
    assert [b.bond_type for b in score_screening(tiny, ["v2v"], {}).bonds] == ["v2v"]
    assert scores.bond("v2v").unanswered == 4


def test_unanswered_items_in_form_order(tiny):
    answers = {("abuser", "a"): 1, ("abuser", "b"): DECLINED, (SAFETY, "safety-suicide"): 0}
    assert unanswered_items(tiny, ["abuser"], answers) == [
        ("abuser", "c"), ("abuser", "d"), (SAFETY, "safety-violence"), (PROTECTIVE, "p-sleep"), (PROTECTIVE, "p-friends"),
    ]


def test_scores_round_trip_through_json(tiny):
    import json

    answers = {("abuser", "a"): 2, ("abuser", "b"): 0, ("abuser", "c"): 3, ("abuser", "d"): 1, (SAFETY, "safety-suicide"): 1}
    scores = score_screening(tiny, ["abuser", "v2v"], answers)
    assert scores_from_dict(json.loads(json.dumps(scores.to_dict()))) == scores
