"""Risk reports: vintage curves, default rate by grade, concentration, rule rates, scorecard monitoring.

All read risk's own tables and lending's loans with a few grouped queries;
none replays history: the first day each loan went past 30/60/90 days is
recorded from lending's events (:class:`plugins.risk.models.DelinquencyMark`).

* **Vintage**: for each disbursement month, the share of its loans that had
  gone past 30 (60, 90) days by each month on book.
* **Default rate by grade**: disbursed loans whose review gave each grade;
  a default is a loan past 90 days or written off.
* **Scorecard monitoring**: PSI between the expected distribution over the
  grades (the version's stored ``sample``, else its first 200 applicants)
  and the last 90 days' applicants; Gini on loans with a known outcome
  (bad: past 60 days or written off; good: closed).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from core import context
from plugins.lending.models import Installment, Loan
from plugins.risk.models import DelinquencyMark, Review, Scorecard
from plugins.risk.scoring import gini, psi, psi_verdict


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def vintage(session, threshold: int = 30, months: int = 12) -> list[dict]:
    """[{month, loans, curve: [share reaching threshold by month on book 1..months]}], oldest first."""
    today = context.today(session)
    loans = session.execute(select(Loan.id, Loan.disbursed_on)).all()
    marks = dict(session.execute(select(DelinquencyMark.loan_id, DelinquencyMark.reached_on)
                                 .where(DelinquencyMark.threshold == threshold)).all())
    by_month: dict[date, list] = defaultdict(list)
    for loan_id, disbursed in loans:
        by_month[disbursed.replace(day=1)].append((disbursed, marks.get(loan_id)))
    out = []
    for month in sorted(by_month):
        rows = by_month[month]
        age = _months_between(month, today)
        curve: list[float | None] = []
        for mob in range(1, months + 1):
            if mob > age:
                curve.append(None)
                continue
            bad = sum(1 for disbursed, reached in rows if reached is not None and
                      _months_between(disbursed, reached) + (reached.day >= disbursed.day) <= mob)
            curve.append(bad / len(rows))
        out.append({"month": month, "loans": len(rows), "curve": curve})
    return out


def default_by_grade(session) -> list[dict]:
    defaulted = select(DelinquencyMark.loan_id).where(DelinquencyMark.threshold == 90)
    rows = session.execute(
        select(Review.grade, func.count(Loan.id),
               func.sum(case((Loan.id.in_(defaulted) | (Loan.status == "written_off"), 1), else_=0)))
        .join(Loan, Loan.application_id == Review.application_id).group_by(Review.grade).order_by(Review.grade)).all()
    return [{"grade": grade or "-", "loans": count, "defaults": int(bad or 0),
             "rate": (int(bad or 0) / count) if count else 0.0} for grade, count, bad in rows]


def concentration(session, by: str) -> list[tuple[str, Decimal]]:
    """Open principal of active loans by ``region`` or ``industry``, largest first."""
    column = {"region": Loan.region, "industry": Loan.industry}[by]
    left = func.sum(Installment.principal_due - Installment.principal_paid)
    rows = session.execute(select(column, left).join(Installment, Installment.loan_id == Loan.id)
                           .where(Loan.status == "active").group_by(column).order_by(left.desc())).all()
    return [(name or "-", Decimal(str(amount or 0))) for name, amount in rows]


def rule_rates(session) -> list[dict]:
    """For each rule: reviews it fired on, and how many of those were approved or declined."""
    counts: dict[str, dict] = {}
    total = 0
    for results, status in session.execute(select(Review.rule_results, Review.status)):
        total += 1
        for row in results or ():
            entry = counts.setdefault(row["code"], {"code": row["code"], "fired": 0, "approved": 0, "declined": 0})
            if row.get("result") == "fired":
                entry["fired"] += 1
                if status in ("approved", "declined"):
                    entry[status] += 1
    for entry in counts.values():
        entry["fire_rate"] = entry["fired"] / total if total else 0.0
    return sorted(counts.values(), key=lambda e: e["code"])


def decisions(session) -> dict[str, int]:
    return dict(session.execute(select(Review.status, func.count(Review.id)).group_by(Review.status)).all())


def stability(session, scorecard: Scorecard, recent_days: int = 90) -> dict:
    """PSI over the grades between the expected and the recent applicants of ``scorecard``."""
    grades = [b["grade"] for b in sorted(scorecard.bands, key=lambda b: Decimal(str(b["min_score"])), reverse=True)]
    since = context.today(session) - timedelta(days=recent_days)
    recent = dict(session.execute(select(Review.grade, func.count(Review.id))
                                  .where(Review.scorecard_id == scorecard.id, Review.opened_on >= since)
                                  .group_by(Review.grade)).all())
    if scorecard.sample:
        expected = {row["grade"]: float(row["share"]) for row in scorecard.sample}
    else:
        first = select(Review.grade).where(Review.scorecard_id == scorecard.id).order_by(Review.id).limit(200)
        expected = defaultdict(float)
        for grade in session.scalars(first):
            expected[grade] += 1
    e = [float(expected.get(g, 0)) for g in grades]
    a = [float(recent.get(g, 0)) for g in grades]
    value = psi(e, a)
    return {"grades": grades, "expected": e, "actual": a, "psi": value, "verdict": psi_verdict(value),
            "recent": int(sum(a))}


def scorecard_gini(session, scorecard_id: int) -> tuple[float | None, int]:
    """Gini of the card's scores on its loans with a known outcome, and how many loans that is."""
    bad_loans = set(session.scalars(select(DelinquencyMark.loan_id).where(DelinquencyMark.threshold == 60)))
    rows = session.execute(select(Review.score, Loan.id, Loan.status)
                           .join(Loan, Loan.application_id == Review.application_id)
                           .where(Review.scorecard_id == scorecard_id)).all()
    scores, bad = [], []
    for score, loan_id, status in rows:
        is_bad = loan_id in bad_loans or status == "written_off"
        if is_bad or status == "closed":
            scores.append(float(score))
            bad.append(is_bad)
    return gini(scores, bad), len(scores)
