"""screening.reliability: alpha and reliable change against published worked examples, properties that
must hold for any data (hypothesis), and the words a judgement prints."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import reliability as R


# Published worked examples ------------------------------------------------------------------------

def test_alpha_of_the_statology_worked_example():
    # Statology, "How to Calculate Cronbach's Alpha in Python": a restaurant survey, 10 customers rating 3
    # questions from 1 to 3. Published answer (pingouin.cronbach_alpha): 0.7734375, "turns out to be 0.773".
    survey = pd.DataFrame({"Q1": [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
                           "Q2": [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
                           "Q3": [1, 1, 2, 1, 2, 3, 3, 3, 2, 3]})
    assert R.cronbach_alpha(survey) == pytest.approx(0.7734375, abs=1e-12)


def test_alpha_from_the_definition_on_a_hand_worked_table():
    # Bland & Altman (BMJ 1997;314:572): alpha = k/(k-1) * (1 - sum s_i^2 / s_T^2). Worked by hand here:
    # items x=(1,2,3), y=(2,4,6): s_x^2 = 1, s_y^2 = 4, total (3,6,9) s_T^2 = 9; alpha = 2 * (1 - 5/9) = 8/9.
    assert R.cronbach_alpha(pd.DataFrame({"x": [1, 2, 3], "y": [2, 4, 6]})) == pytest.approx(8 / 9, abs=1e-12)
    # Identical items: alpha is 1; independent (orthogonal, centred) items: alpha is 0 (Bland & Altman's two limits).
    assert R.cronbach_alpha(pd.DataFrame({"x": [1, 2, 3, 4], "y": [1, 2, 3, 4]})) == pytest.approx(1.0)
    assert R.cronbach_alpha(pd.DataFrame({"x": [1, -1, 1, -1], "y": [1, 1, -1, -1]})) == pytest.approx(0.0, abs=1e-12)


def test_rci_by_jacobson_and_truax_formula_on_a_documented_example():
    # Jacobson & Truax (1991), J Consult Clin Psychol 59:12-19: RC = (x2 - x1) / S_diff, S_diff = sqrt(2 SE^2),
    # SE = s1 sqrt(1 - r_xx); |RC| > 1.96 is reliable change. Their own numeric example could not be
    # retrieved; this is the worked use of the same formula in a thesis on the Leeds Dependence Questionnaire
    # (s1 = 7.6, r_xx = 0.95, per Raistrick et al. 1994): SE = 7.6 * sqrt(0.05) = 1.699, S_diff = 2.403,
    # so a change needs more than 1.96 * 2.403 = 4.71 points.
    se = 7.6 * math.sqrt(1 - 0.95)
    s_diff = math.sqrt(2 * se ** 2)
    assert se == pytest.approx(1.699, abs=5e-4) and s_diff == pytest.approx(2.403, abs=5e-4)
    assert R.rci(20, 10, 7.6, 0.95) == pytest.approx(-10 / 2.403, abs=1e-3)
    assert R.rci(20, 10, 7.6, 0.95) == pytest.approx(-4.161, abs=1e-3)
    assert R.judgement(R.rci(20, 15, 7.6, 0.95)) == R.LOWER  # 5 points: beyond 4.71
    assert R.judgement(R.rci(20, 16, 7.6, 0.95)) == R.WITHIN  # 4 points: within
    assert R.judgement(R.rci(16, 21, 7.6, 0.95)) == R.HIGHER


def test_the_threshold_is_strict():
    # |RCI| > 1.96, not >=: exactly 1.96 is within measurement error.
    assert R.judgement(1.96) == R.WITHIN and R.judgement(-1.96) == R.WITHIN
    assert R.judgement(1.9600001) == R.HIGHER and R.judgement(-1.9600001) == R.LOWER


# Properties ---------------------------------------------------------------------------------------

def _parallel(n, k, true_sd, error_sd, seed):
    """k exactly parallel items over n people: a common true score plus k errors of equal variance, all
    sample-uncorrelated with the true score, the constant and each other (orthonormal columns)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), rng.normal(size=(n, k + 1))]))
    true = true_sd * q[:, 1]
    return pd.DataFrame({f"i{j}": 3 + true + error_sd * q[:, 2 + j] for j in range(k)})


@settings(max_examples=60, deadline=None)
@given(k=st.integers(2, 8), extra=st.integers(3, 40), true_sd=st.floats(0.2, 10), error_sd=st.floats(0.2, 10),
       seed=st.integers(0, 2**32 - 1))
def test_alpha_of_parallel_items_is_the_spearman_brown_value(k, extra, true_sd, error_sd, seed):
    # For parallel items alpha = k rho / (1 + (k - 1) rho), rho = var(true) / (var(true) + var(error)); with
    # exactly uncorrelated samples the sample alpha equals it, whatever n.
    data = _parallel(k + extra, k, true_sd, error_sd, seed)
    rho = true_sd ** 2 / (true_sd ** 2 + error_sd ** 2)
    assert R.cronbach_alpha(data) == pytest.approx(k * rho / (1 + (k - 1) * rho), rel=1e-9, abs=1e-9)


@given(x1=st.integers(0, 100), x2=st.integers(0, 100), sd=st.floats(0.1, 50), alpha=st.floats(-2, 0.999))
def test_rci_is_antisymmetric(x1, x2, sd, alpha):
    assert R.rci(x1, x2, sd, alpha) == -R.rci(x2, x1, sd, alpha)
    assert R.judgement(R.rci(x1, x2, sd, alpha)) == {R.LOWER: R.HIGHER, R.HIGHER: R.LOWER, R.WITHIN: R.WITHIN}[
        R.judgement(R.rci(x2, x1, sd, alpha))]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(5, 40), k=st.integers(3, 8))
def test_alpha_and_sd_of_a_subset_from_the_covariance_equal_those_of_its_columns(data, n, k):
    table = pd.DataFrame(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=k, max_size=k), min_size=n, max_size=n)),
                         columns=[f"i{j}" for j in range(k)])
    subset = sorted(data.draw(st.sets(st.integers(0, k - 1), min_size=2, max_size=k)))
    cov = R.covariance(table)[np.ix_(subset, subset)]
    columns = table.iloc[:, subset]
    direct = R.cronbach_alpha(columns)
    if direct is None:
        assert R.alpha_from_covariance(cov) is None
    else:
        assert R.alpha_from_covariance(cov) == pytest.approx(direct, rel=1e-9, abs=1e-9)
    assert R.sd_from_covariance(cov) == pytest.approx(float(columns.sum(axis=1).std(ddof=1)), rel=1e-9, abs=1e-9)


# Estimates and judgements -------------------------------------------------------------------------

ITEMS = ["a", "b", "c", "d"]


def _answers(n, seed=0, declined_every=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        level = rng.normal(1.5, 0.8)
        row = {key: int(np.clip(round(level + rng.normal(0, 0.5)), 0, 3)) for key in ITEMS}
        row["intake-only"] = int(rng.integers(0, 2))
        if declined_every and i % declined_every == 0:
            row["b"] = "declined"
        rows.append(row)
    return rows


def test_figures_need_50_complete_screenings():
    figures = R.estimate_figures(_answers(49), ["intake-only", *ITEMS], ITEMS, seed=1, resamples=200)
    assert figures["n"] == 49 and figures["alpha"] is figures["sd"] is figures["alpha_low"] is None
    assert figures["covariance"] == [] and figures["item_stats"]["a"]["item_total_r"] is None
    assert figures["item_stats"]["a"]["answered"] == 49  # descriptive figures are there below 50
    figures = R.estimate_figures(_answers(50), ["intake-only", *ITEMS], ITEMS, seed=1, resamples=200)
    assert figures["n"] == 50 and figures["alpha_low"] <= figures["alpha"] <= figures["alpha_high"]
    assert figures["alpha"] == R.cronbach_alpha(pd.DataFrame(_answers(50))[ITEMS])
    assert set(figures["item_stats"]) == {"intake-only", *ITEMS}
    assert figures["item_stats"]["intake-only"]["item_total_r"] is None  # not among the estimate's items
    assert -1 <= figures["item_stats"]["a"]["item_total_r"] <= 1


def test_a_declined_item_leaves_the_screening_out_and_is_counted():
    rows = _answers(60, declined_every=6)  # 10 of 60 declined item b
    figures = R.estimate_figures(rows, ITEMS, ITEMS, seed=1, resamples=200)
    assert figures["n"] == 50
    stats = figures["item_stats"]["b"]
    assert stats["answered"] == 50 and stats["declined_pct"] == round(100 * 10 / 60, 1) and stats["not_asked_pct"] == 0
    complete = pd.DataFrame([r for r in rows if r["b"] != "declined"])[ITEMS]
    assert figures["alpha"] == R.cronbach_alpha(complete)


def test_the_bootstrap_interval_is_the_same_for_the_same_seed():
    frame = pd.DataFrame(_answers(80))[ITEMS]
    assert R.bootstrap_interval(frame, 7, 300) == R.bootstrap_interval(frame, 7, 300)
    assert R.bootstrap_interval(frame, 7, 300) != R.bootstrap_interval(frame, 8, 300)
    assert R.seed_for("tbsc-2", "abuser", "2026-11-01") == R.seed_for("tbsc-2", "abuser", "2026-11-01")


def _estimate(rows=None, **changes):
    figures = R.estimate_figures(rows or _answers(80), ITEMS, ITEMS, seed=3, resamples=200)
    fields = dict(id=7, instrument="tbsc-2", bond_type="abuser", as_of=date(2026, 11, 1), source=R.CLINIC, clinics=1,
                  n=figures["n"], alpha=figures["alpha"], alpha_low=figures["alpha_low"],
                  alpha_high=figures["alpha_high"], sd=figures["sd"], items=tuple(ITEMS),
                  covariance=tuple(tuple(row) for row in figures["covariance"]))
    return R.EstimateData(**{**fields, **changes})


def test_with_every_item_shared_the_judgement_uses_the_stored_alpha_and_sd_exactly():
    estimate = _estimate()
    before, after = {"a": 3, "b": 3, "c": 2, "d": 3, "intake-only": 1}, {"a": 0, "b": 1, "c": 0, "d": 1}
    change = R.judge(before, after, estimate)
    assert change.judged and change.all_items_shared and (change.items_used, change.items_total) == (4, 4)
    assert change.alpha == estimate.alpha and change.sd == estimate.sd  # exactly, not approximately
    assert (change.x1, change.x2) == (11, 2)  # the intake-only item is not in the estimate, so not summed
    assert change.rci == R.rci(11, 2, estimate.sd, estimate.alpha)
    assert change.estimate_id == 7 and change.estimate_date == date(2026, 11, 1) and change.n == 80


def test_a_pair_with_different_items_is_judged_on_those_it_shares_and_says_so():
    estimate = _estimate()
    change = R.judge({"a": 3, "b": 3, "c": 3}, {"a": 0, "c": 1, "d": 2}, estimate)
    assert not change.all_items_shared and (change.items_used, change.items_total) == (2, 4)
    assert (change.x1, change.x2) == (6, 1)
    cov = np.asarray(estimate.covariance)[np.ix_([0, 2], [0, 2])]
    assert change.alpha == R.alpha_from_covariance(cov) and change.alpha != estimate.alpha
    assert "judged on the 2 items answered both times (of 4)".lower() in change.basis.lower()
    assert "for these items" in change.basis


def test_the_words_of_a_judgement():
    estimate = _estimate()
    change = R.judge({"a": 3, "b": 3, "c": 3, "d": 3}, {"a": 0, "b": 0, "c": 0, "d": 0}, estimate)
    assert change.judgement == R.LOWER
    assert change.words == f"Total of the {change.items_used} items judged: 12 → 0 (-12): lower beyond measurement error (reliable change index {change.rci:+.2f})."
    for part in ("provisional, estimated locally", "n = 80 complete intakes", f"α = {estimate.alpha:.2f}",
                 f"SD = {estimate.sd:.1f}", "estimate of 2026-11-01", "(this clinic:", "all 4 items"):
        assert part in change.basis, part
    assert change.text == f"{change.words} {change.basis}"
    pooled = R.judge({"a": 1, "b": 1, "c": 1, "d": 1}, {"a": 1, "b": 1, "c": 2, "d": 1},
                     _estimate(source=R.POOLED, clinics=3))
    assert pooled.judgement == R.WITHIN and "(pooled, 3 clinics:" in pooled.basis
    for words in (change.text, pooled.text):
        assert not any(word in words.lower() for word in ("improve", "worse", "better", "diagnos"))


def test_no_judgement_below_50_says_how_many_more_are_needed():
    below = _estimate(_answers(12))
    result = R.judge({"a": 1, "b": 1}, {"a": 2, "b": 2}, below)
    assert not result.judged and result.needed == 38
    assert result.reason == ("An estimate needs 50 complete intakes; this clinic had 12 at the estimate of 2026-11-01: "
                             "38 more needed.")
    pooled = R.judge({"a": 1, "b": 1}, {"a": 2, "b": 2}, _estimate(_answers(12), source=R.POOLED, clinics=2))
    assert "the pooled clinics (2) had 12" in pooled.reason


def test_other_reasons_not_to_judge():
    estimate = _estimate()
    assert R.judge({"a": 1}, {"a": 2}, None) is R.NO_ESTIMATE
    assert "no reliability estimate has been made yet" in R.NO_ESTIMATE.words
    assert R.judge({}, {"a": 2, "b": 1}, estimate) is R.NO_VALUES  # scores filed before values were stored
    few = R.judge({"a": 1, "b": 2}, {"a": 2, "c": 1}, estimate)
    assert not few.judged and "fewer than 2" in few.reason and "(1 of 4)" in few.reason
    flat = _estimate(covariance=((1.0, 1.0, 1.0, 1.0),) * 4)  # identical items: alpha 1, no measurement error
    assert "no measurement error" in R.judge({k: 1 for k in ITEMS}, {k: 2 for k in ITEMS}, flat).reason
    none = _estimate(covariance=((0.0,) * 4,) * 4)
    assert not R.judge({k: 1 for k in ITEMS}, {k: 2 for k in ITEMS}, none).judged


def test_from_50_intakes_an_undefined_alpha_is_stored_as_a_note_and_never_judged_on():
    same = [{key: 1 for key in ITEMS} for _ in range(60)]
    figures = R.estimate_figures(same, ITEMS, ITEMS, seed=1, resamples=100)
    assert figures["n"] == 60 and figures["alpha"] is None and figures["note"] == R.UNDEFINED_NO_VARIATION
    one = R.estimate_figures(_answers(60), ITEMS, ["a"], seed=1, resamples=100)
    assert one["alpha"] is None and one["note"] == R.UNDEFINED_FEW_ITEMS
    assert R.estimate_figures(_answers(60), ITEMS, ITEMS, seed=1, resamples=100)["note"] == ""
    result = R.judge({"a": 1, "b": 1}, {"a": 2, "b": 2}, _estimate(same, note=figures["note"]))
    assert not result.judged and result.reason == R.UNDEFINED_NO_VARIATION


def test_items_with_an_alpha_of_zero_or_less_are_not_judged():
    # Two shared items that move against each other: var(sum) = 1 + 1 - 2 * 0.5 = 1, so
    # alpha = 2 * (1 - 2 / 1) = -2. A judgement against it would mean nothing.
    estimate = _estimate(items=("a", "b"), covariance=((1.0, -0.5), (-0.5, 1.0)))
    change = R.judge({"a": 3, "b": 0}, {"a": 0, "b": 3}, estimate)
    assert not change.judged and "do not measure one thing consistently" in change.reason
    assert "α = -2.00" in change.reason


def test_the_judgement_follows_the_index_as_printed():
    from dataclasses import replace

    change = R.judge({"a": 3, "b": 3, "c": 3, "d": 3}, {"a": 0, "b": 0, "c": 0, "d": 0}, _estimate())
    assert replace(change, rci=1.961).rci_display == 1.96 and replace(change, rci=1.961).judgement == R.WITHIN
    assert replace(change, rci=-1.964).judgement == R.WITHIN
    assert replace(change, rci=1.966).judgement == R.HIGHER and replace(change, rci=-1.966).judgement == R.LOWER
