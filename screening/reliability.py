"""Reliability estimated from the clinic's own intakes, and reliable change judged against it: pure
functions over plain data (numpy and pandas, no ORM). screening/estimates.py feeds and stores them.

The checklist has no published reliability or norms, and none are invented here. What can be done
honestly is to estimate reliability from the completed screenings the clinic (or the clinics that
pool their figures) already has, say so each time, and judge a change against that estimate.

The rule, stated once here and stored on every estimate (ELIGIBILITY_RULE, printed with it):
- Items: the bond's items that are asked at every administration (not those asked only at intake),
  because a change can only ever be computed over items asked both times.
- Screenings: the completed *intake* screenings of that checklist version that screened that bond
  and answered every one of those items on its scale (none declined, not asked, does not apply or
  unanswered), completed before the estimate's date (midnight, the installation's time zone).
- From MIN_N (50) such screenings on: Cronbach's alpha of those items, with a bootstrap 95 %
  percentile interval (BOOTSTRAP_RESAMPLES resamples of screenings, seeded from the estimate's
  identity so a recomputation gives the same interval), the standard deviation of their raw total,
  and their covariance matrix (from which alpha and SD of any subset of the items follow exactly).
  Below that there are no figures, only how many more complete intakes are needed.

Reliable change (Jacobson & Truax, 1991): RCI = (x2 - x1) / (SD * sqrt(2) * sqrt(1 - alpha)) on the
bond's raw total over the items answered on the scale at both screenings (and in the estimate); alpha
and SD are those of exactly these items, from the stored covariance. |RCI| > 1.96 reads "lower / higher
beyond measurement error", otherwise "within measurement error". It says nothing about improvement or
worsening, and nothing clinical: only whether the difference is larger than the checklist's own noise,
as far as the local estimate can tell.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

MIN_N = 50
THRESHOLD = 1.96
BOOTSTRAP_RESAMPLES = 2000
INTERVAL_LEVEL = 0.95
PROVISIONAL = "provisional, estimated locally"
CLINIC, POOLED = "clinic", "pooled"

ELIGIBILITY_RULE = (
    "Estimated from this checklist version's completed intake screenings that screened this bond and answered "
    "every one of its items asked at every screening (items asked only at intake are left out) on the scale: "
    "none declined, not asked or not applicable. Screenings completed before the estimate's date only. "
    f"No figures below {MIN_N} such screenings. These are local estimates, not published norms."
)

# Why an estimate from MIN_N complete intakes on still has no figures (stored as its note).
UNDEFINED_FEW_ITEMS = "fewer than 2 of the bond's items are asked at every screening, so alpha is undefined."
UNDEFINED_NO_VARIATION = "the total of the bond's items was the same in every complete intake, so alpha is undefined."

LOWER = "lower beyond measurement error"
HIGHER = "higher beyond measurement error"
WITHIN = "within measurement error"


# Figures ------------------------------------------------------------------------------------------

def _matrix(frame):
    return np.asarray(frame, dtype=float)


def covariance(frame):
    """The items' sample covariance matrix (n - 1 in the denominator), as a numpy array."""
    return np.cov(_matrix(frame), rowvar=False, ddof=1).reshape(frame.shape[1], frame.shape[1])


def alpha_from_covariance(cov):
    """Cronbach's alpha from the items' covariance matrix: k/(k-1) * (1 - sum of item variances /
    variance of the total), the variance of the total being the sum of the whole matrix. None when it
    is undefined (fewer than 2 items, or a total that never varies)."""
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    total = float(cov.sum())
    if k < 2 or total <= 0:
        return None
    return k / (k - 1) * (1 - float(np.trace(cov)) / total)


def sd_from_covariance(cov):
    """The standard deviation of the raw total of the items (the square root of the matrix's sum)."""
    total = float(np.asarray(cov, dtype=float).sum())
    return math.sqrt(total) if total > 0 else 0.0


def cronbach_alpha(frame):
    """Cronbach's alpha of a complete table: one row per screening, one column per item."""
    return alpha_from_covariance(covariance(frame))


def seed_for(*parts):
    """A fixed seed from the estimate's identity ("tbsc-2", "abuser", "2026-11-01", …)."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _alphas(samples):
    """Alpha of each resample: samples has shape (resamples, n, k)."""
    k = samples.shape[2]
    item_vars = samples.var(axis=1, ddof=1).sum(axis=1)
    total_vars = samples.sum(axis=2).var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alphas = k / (k - 1) * (1 - item_vars / total_vars)
    return alphas


def bootstrap_interval(frame, seed, resamples=BOOTSTRAP_RESAMPLES, level=INTERVAL_LEVEL):
    """Percentile bootstrap interval of alpha, resampling screenings (rows) with replacement; the same
    seed gives the same interval. Resamples whose total never varies (alpha undefined) are left out."""
    data = _matrix(frame)
    n = data.shape[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, 4_000_000 // max(1, data.size)))
    alphas = []
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        alphas.append(_alphas(data[rng.integers(0, n, size=(size, n))]))
        done += size
    values = np.concatenate(alphas)
    values = values[np.isfinite(values)]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def corrected_item_total(frame):
    """{item: correlation of the item with the total of the other items} (None where either never varies)."""
    data = _matrix(frame)
    total = data.sum(axis=1)
    result = {}
    for i, key in enumerate(frame.columns):
        item, rest = data[:, i], total - data[:, i]
        if item.std() == 0 or rest.std() == 0:
            result[key] = None
        else:
            result[key] = float(np.corrcoef(item, rest)[0, 1])
    return result


def is_value(answer):
    """An answer on the scale (an int), not a state or nothing."""
    return isinstance(answer, (int, np.integer)) and not isinstance(answer, bool)


def estimate_figures(answer_sets, all_items, items, seed, resamples=BOOTSTRAP_RESAMPLES, min_n=MIN_N):
    """Everything an estimate stores, from plain data.

    answer_sets: one {item_key: int | "declined" | "not_asked" | "not_applicable"} per completed intake
    in scope that screened the bond (an item without an entry is unanswered). all_items: the bond's items
    at intake, in order (item_stats covers them all); items: those asked at every administration (alpha,
    SD, covariance and item-total correlations cover these, over the eligible screenings only).

    Returns a dict: n, items, alpha, alpha_low, alpha_high, sd, covariance (lists), item_stats, note. The
    figures are None (covariance empty, item-total correlations None) below min_n eligible screenings, and
    when alpha is undefined (note says why).
    """
    items = list(items)
    rows = list(answer_sets)
    eligible = [row for row in rows if all(is_value(row.get(key)) for key in items)]
    n = len(eligible)
    figures = {"n": n, "items": items, "alpha": None, "alpha_low": None, "alpha_high": None, "sd": None,
               "covariance": [], "item_stats": item_stats(rows, all_items), "note": ""}
    if n < min_n:
        return figures
    if len(items) < 2:
        figures["note"] = UNDEFINED_FEW_ITEMS
        return figures
    frame = pd.DataFrame([[row[key] for key in items] for row in eligible], columns=items, dtype=float)
    cov = covariance(frame)
    alpha = alpha_from_covariance(cov)
    if alpha is None:  # a total that never varies: nothing can be judged against it
        figures["note"] = UNDEFINED_NO_VARIATION
        return figures
    low, high = bootstrap_interval(frame, seed, resamples)
    # The percentile interval is widened to hold the estimate itself in the rare case a strongly skewed
    # bootstrap distribution leaves it outside (the stored row requires low <= alpha <= high).
    figures.update(alpha=alpha, alpha_low=min(low, alpha), alpha_high=max(high, alpha), sd=sd_from_covariance(cov),
                   covariance=cov.tolist())
    for key, r in corrected_item_total(frame).items():
        figures["item_stats"][key]["item_total_r"] = r
    return figures


def item_stats(rows, all_items):
    """Per item: answered on the scale (count), mean and SD of those answers, and the % of the screenings
    declined, not asked and not applicable. item_total_r is filled in by estimate_figures when it can be."""
    total = len(rows)
    stats = {}
    for key in all_items:
        values = [row[key] for row in rows if is_value(row.get(key))]
        states = [row.get(key) for row in rows]

        def share(state):
            return round(100 * states.count(state) / total, 1) if total else None

        stats[key] = {
            "answered": len(values),
            "mean": float(np.mean(values)) if values else None,
            "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
            "declined_pct": share("declined"),
            "not_asked_pct": share("not_asked"),
            "not_applicable_pct": share("not_applicable"),
            "item_total_r": None,
        }
    return stats


# Judgement ----------------------------------------------------------------------------------------

def rci(x1, x2, sd, alpha):
    """Jacobson & Truax's reliable change index: (x2 - x1) / S_diff, S_diff = sqrt(2) * SE and
    SE = SD * sqrt(1 - alpha)."""
    return (x2 - x1) / (sd * math.sqrt(2) * math.sqrt(1 - alpha))


def judgement(index):
    if index > THRESHOLD:
        return HIGHER
    if index < -THRESHOLD:
        return LOWER
    return WITHIN


def source_text(source, clinics):
    if source == POOLED:
        return f"pooled, {clinics} clinic{'' if clinics == 1 else 's'}"
    return "this clinic"


@dataclass(frozen=True)
class EstimateData:
    """What a judgement needs of a stored estimate (screening.models.ReliabilityEstimate.data())."""

    id: object
    instrument: str
    bond_type: str
    as_of: date
    source: str  # CLINIC or POOLED
    clinics: int
    n: int
    alpha: float | None
    alpha_low: float | None
    alpha_high: float | None
    sd: float | None
    items: tuple[str, ...] = ()
    covariance: tuple[tuple[float, ...], ...] = ()
    note: str = ""  # why there are no figures from MIN_N intakes on (alpha undefined)

    @property
    def has_figures(self):
        return self.alpha is not None and self.sd is not None

    @property
    def needed(self):
        """How many more complete intakes an estimate needs (0 when it has figures)."""
        return max(0, MIN_N - self.n)

    @property
    def source_text(self):
        return source_text(self.source, self.clinics)

    def subset_figures(self, positions):
        """(alpha, SD) of the raw total over the items at these positions of `items` (a tuple), from the
        stored covariance; remembered per set of positions, as an export judges thousands of pairs against
        one estimate (kept beside the fields: it takes no part in equality or the stored estimate)."""
        known = self.__dict__.get("_subsets")
        if known is None or len(known) > 10_000:  # bounded: answered item sets can be many
            known = self.__dict__["_subsets"] = {}
        figures = known.get(positions)
        if figures is None:
            matrix = self.__dict__.get("_covariance")
            if matrix is None:
                matrix = self.__dict__["_covariance"] = np.asarray(self.covariance, dtype=float)
            cov = matrix[np.ix_(positions, positions)]
            figures = known[positions] = (alpha_from_covariance(cov), sd_from_covariance(cov))
        return figures

    @property
    def needed_words(self):
        whose = "this clinic" if self.source == CLINIC else f"the pooled clinics ({self.clinics})"
        return (f"An estimate needs {MIN_N} complete intakes; {whose} had {self.n} at the estimate of "
                f"{self.as_of:%Y-%m-%d}: {self.needed} more needed.")


@dataclass(frozen=True)
class NotJudged:
    """No judgement of reliable change, and why, in words. needed: how many more complete intakes an
    estimate needs, when that is the reason."""

    reason: str
    estimate_id: object = None
    estimate_date: date | None = None
    source: str = ""
    n: int | None = None
    needed: int | None = None

    judged = False
    rci = None

    @property
    def words(self):
        return f"Whether this change is beyond measurement error is not judged: {self.reason}"

    @property
    def basis(self):
        return ""

    @property
    def basis_parts(self):
        """The estimate this would have been judged against, when there is one."""
        if self.estimate_date is None:
            return ()
        parts = (f"estimate of {self.estimate_date:%Y-%m-%d}", f"source: {self.source}")
        return parts if self.needed is not None else (*parts, f"n = {self.n} complete intakes")

    @property
    def text(self):
        return self.words


NO_ESTIMATE = NotJudged("no reliability estimate has been made yet for this checklist version and bond.")
NO_VALUES = NotJudged("the item answers of one of the two screenings are not stored with its scores.")


@dataclass(frozen=True)
class ReliableChange:
    """A judgement of one pair of screenings of one bond against one stored estimate."""

    rci: float  # unrounded; rci_display for print
    x1: int  # raw total over items_used, earlier screening
    x2: int
    items_used: int
    items_total: int  # the estimate's items
    all_items_shared: bool
    alpha: float  # for exactly the items used
    sd: float  # of the raw total over exactly the items used
    n: int
    estimate_id: object
    estimate_date: date
    source: str  # "this clinic" / "pooled, 3 clinics"
    # The estimate's own alpha over all its items and its 95 % interval (alpha above is of the items used).
    estimate_alpha: float | None = None
    alpha_low: float | None = None
    alpha_high: float | None = None

    judged = True

    @property
    def difference(self):
        return self.x2 - self.x1

    @property
    def items_words(self):
        if self.all_items_shared:
            return f"all {self.items_total} items asked at every screening"
        return f"{self.items_used} of {self.items_total} items: judged on the items both share"

    @property
    def alpha_words(self):
        interval = (f"95% interval {self.alpha_low:.2f} to {self.alpha_high:.2f}"
                    if self.alpha_low is not None and self.alpha_high is not None else "")
        if self.all_items_shared or self.estimate_alpha is None:
            return f"α = {self.alpha:.2f}" + (f" ({interval})" if interval else "")
        return (f"α = {self.alpha:.2f} for these items (over all {self.items_total}: {self.estimate_alpha:.2f}"
                + (f", {interval}" if interval else "") + ")")

    @property
    def basis_parts(self):
        """The figures behind the judgement, one short part each, for a small line under it."""
        return (f"reliable change index {self.rci_display:+.2f}", f"n = {self.n} complete intakes", self.alpha_words,
                f"SD = {self.sd:.1f}", self.items_words, f"estimate of {self.estimate_date:%Y-%m-%d}",
                f"source: {self.source}", PROVISIONAL)

    @property
    def rci_display(self):
        return round(self.rci, 2)

    @property
    def judgement(self):
        # On the index as printed, so "+1.96" never reads "beyond": the rule is |RCI| > 1.96.
        return judgement(self.rci_display)

    @property
    def words(self):
        return (f"Total of the {self.items_used} items judged: {self.x1} → {self.x2} ({self.x2 - self.x1:+d}): {self.judgement} "
                f"(reliable change index {self.rci_display:+.2f}).")

    @property
    def basis(self):
        items = (f"all {self.items_total} items asked at every screening" if self.all_items_shared
                 else f"the {self.items_used} items answered both times (of {self.items_total})")
        these = "" if self.all_items_shared else " for these items"
        return (f"Judged on {items}, against the reliability estimate of {self.estimate_date:%Y-%m-%d} "
                f"({self.source}: n = {self.n} complete intakes, α = {self.alpha:.2f}, SD = {self.sd:.1f}{these}); "
                f"{PROVISIONAL}.")

    @property
    def text(self):
        return f"{self.words} {self.basis}"


def judge(values_before, values_after, estimate):
    """The reliable change of one bond between two screenings (earlier first), or why not.

    values_*: {item_key: int} of the items answered on the scale (BondScore.values as a dict);
    estimate: EstimateData, a NotJudged (passed through), or None (no estimate at all)."""
    if estimate is None:
        return NO_ESTIMATE
    if isinstance(estimate, NotJudged):
        return estimate
    if not estimate.has_figures:
        return NotJudged(estimate.note or estimate.needed_words, estimate.id, estimate.as_of, estimate.source_text, estimate.n,
                         estimate.needed)
    if not values_before or not values_after:
        return NO_VALUES
    before = values_before if isinstance(values_before, dict) else dict(values_before)
    after = values_after if isinstance(values_after, dict) else dict(values_after)
    shared, x1, x2 = [], 0, 0  # the estimate's items answered both times, and their raw totals
    for i, key in enumerate(estimate.items):
        if key in before and key in after:
            shared.append(i)
            x1 += before[key]
            x2 += after[key]
    if len(shared) < 2:
        return NotJudged(f"fewer than 2 of the bond's items asked at every screening were answered both times "
                         f"({len(shared)} of {len(estimate.items)}).", estimate.id, estimate.as_of,
                         estimate.source_text, estimate.n)
    alpha, sd = estimate.subset_figures(tuple(shared))
    if alpha is None or alpha >= 1 or sd <= 0:
        return NotJudged("the estimate shows no measurement error for these items (α of 1 or more, or a total "
                         "that never varies), so a change cannot be weighed against it.", estimate.id,
                         estimate.as_of, estimate.source_text, estimate.n)
    if alpha <= 0:
        return NotJudged(f"these items do not measure one thing consistently in the estimate (α = {alpha:.2f} for "
                         "them), so a change cannot be weighed against it.", estimate.id, estimate.as_of,
                         estimate.source_text, estimate.n)
    return ReliableChange(
        rci=rci(x1, x2, sd, alpha), x1=x1, x2=x2, items_used=len(shared), items_total=len(estimate.items),
        all_items_shared=len(shared) == len(estimate.items), alpha=alpha, sd=sd, n=estimate.n,
        estimate_id=estimate.id, estimate_date=estimate.as_of, source=estimate.source_text,
        estimate_alpha=estimate.alpha, alpha_low=estimate.alpha_low, alpha_high=estimate.alpha_high,
    )

