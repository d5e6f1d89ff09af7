"""How a judgement of reliable change is laid out: its parts (figures, judgement, basis) as pages and the
progress PDF print them, on hand-made estimates (no database)."""

from datetime import date

from screening import reliability as R
from screening.progress import BondChange, list_change

COV = ((4.0, 2.0, 2.0), (2.0, 4.0, 2.0), (2.0, 2.0, 4.0))
ESTIMATE = R.EstimateData(id=7, instrument="tbsc-2", bond_type="abuser", as_of=date(2026, 10, 1), source=R.CLINIC,
                          clinics=1, n=64, alpha=0.75, alpha_low=0.61, alpha_high=0.84, sd=6.0,
                          items=("a", "b", "c"), covariance=COV)


def test_a_judged_change_has_its_parts_with_the_interval_and_all_items():
    change = R.judge({"a": 3, "b": 3, "c": 3}, {"a": 0, "b": 0, "c": 0}, ESTIMATE)
    assert change.judgement == R.LOWER and change.difference == -9
    assert change.basis_parts == (
        f"reliable change index {change.rci_display:+.2f}", "n = 64 complete intakes", "α = 0.75 (95% interval 0.61 to 0.84)",
        "SD = 4.9", "all 3 items asked at every screening", "estimate of 2026-10-01", "source: this clinic",
        "provisional, estimated locally")


def test_a_pair_with_different_items_is_judged_on_the_items_both_share_and_says_so():
    change = R.judge({"a": 3, "b": 3, "c": 3}, {"a": 3, "b": 3}, ESTIMATE)
    assert (change.items_used, change.x1, change.x2) == (2, 6, 6) and change.judgement == R.WITHIN
    assert "2 of 3 items: judged on the items both share" in change.basis_parts
    # Alpha of the two items used, and the estimate's own alpha with its interval, named as such.
    assert change.alpha_words == "α = 0.67 for these items (over all 3: 0.75, 95% interval 0.61 to 0.84)"


def test_below_50_the_reason_says_how_many_more_and_names_the_source():
    few = R.EstimateData(id=8, instrument="tbsc-2", bond_type="abuser", as_of=date(2026, 10, 1), source=R.POOLED,
                         clinics=3, n=41, alpha=None, alpha_low=None, alpha_high=None, sd=None)
    result = R.judge({"a": 1}, {"a": 2}, few)
    assert result.needed == 9 and "9 more needed" in result.words
    assert result.basis_parts == ("estimate of 2026-10-01", "source: pooled, 3 clinics")


def test_the_summary_prints_the_judgement_once_and_figures_leave_it_out():
    change = R.judge({"a": 3, "b": 3, "c": 3}, {"a": 0, "b": 0, "c": 0}, ESTIMATE)
    bond = BondChange("abuser", "Abuser bond", True, True, 100.0, 0.0, -100.0, list_change((), ()),
                      list_change((), ()), list_change((), ()), reliable_change=change)
    assert "beyond measurement error" not in bond.figures
    assert bond.summary == f"{bond.figures} {change.text}" and bond.summary.count("beyond measurement error") == 1
