"""The supervisors' reports: a few aggregate queries each, never a loop over cases in SQL.

Every report returns a :class:`Report` (title, columns, rows, a chart series)
so one template and one CSV writer serve them all. Definitions:

* **Recovery rate by stage** — for the stage entries of the period (a case
  entering early, mid or late): what was repaid while the case stayed in that
  entry ÷ what was overdue when it entered.
* **Roll rates** — for each pair of consecutive month ends, of the loans in a
  bucket at the first, the share in each bucket (or closed) at the second. The
  bucket of a loan at a date is the last change lending reported up to it
  (``collections_bucket_change``), ``current`` for a loan active then without one.
* **Right-party contact rate** — contacts whose outcome reached the debtor
  (right-party contact, promise to pay, refused, dispute, claims paid) ÷ all
  contact attempts of the period.
* **Promise-kept rate** — kept ÷ (kept + broken) of the promises settled in the period.
* **Per-collector performance** — open cases and overdue amount now; contacts,
  RPC rate, promises, kept rate, recovered and target of the month.
* **Breakdowns** by region, product or industry — open cases and overdue
  amount now; cases opened and amount recovered in the period; recovery rate.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from core.models.user import User
from core.money import ZERO, money
from plugins.collections.i18n import _, code
from plugins.collections.models import (
    OPEN_STATUSES,
    RPC_OUTCOMES,
    STAGES,
    BucketChange,
    Case,
    Contact,
    Promise,
    Recovery,
    StageEntry,
)
from plugins.collections.services.targets import month_end, parse_month
from plugins.lending.models import CURRENT, Loan
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings
from plugins.products.models import LoanProduct, ProductVersion

PLACES = Decimal("0.0001")


def rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(PLACES)


class Percent(Decimal):
    """A rate in a report row: a percentage on the page (``h.percent``), ``12.5 %`` in the CSV export."""

    def __str__(self) -> str:
        return f"{Decimal(self) * 100:.1f} %"


@dataclass
class Report:
    """Titles, columns and notes are TranslationStrings (shown in the user's language, English in CSV)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: list[tuple[str, object]] = field(default_factory=list)  # (label, value) for the bar chart
    chart_title: str = ""
    note: str = ""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def month(cls, text=None, today: date | None = None) -> Period:
        first = parse_month(text) if text else (today or date.today()).replace(day=1)
        return cls(first, month_end(first))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def show_rate(value: Decimal | None):
    """A rate for a report cell (see :class:`Percent`); blank when there is nothing to divide by."""
    return "" if value is None else Percent(value)


# -- recovery by stage ------------------------------------------------------------------

def recovery_by_stage(session, period: Period) -> Report:
    entries = (select(StageEntry.stage, func.count(StageEntry.id), func.sum(StageEntry.overdue_at_entry))
               .where(StageEntry.entered_on >= period.start, StageEntry.entered_on <= period.end)
               .group_by(StageEntry.stage))
    base = {stage: (int(n), money(total or 0)) for stage, n, total in session.execute(entries)}
    recovered = dict(session.execute(
        select(StageEntry.stage, func.sum(Recovery.amount)).join(Recovery, Recovery.stage_entry_id == StageEntry.id)
        .where(StageEntry.entered_on >= period.start, StageEntry.entered_on <= period.end)
        .group_by(StageEntry.stage)).all())
    report = Report("recovery", _("Recovery rate by stage — cases entering a stage in ${month}",
                                  mapping={"month": period.label}),
                    [_("Stage"), _("Cases entering"), _("Overdue at entry"), _("Recovered since"),
                     _("Recovery rate")],
                    chart_title=_("Recovery rate by stage (%)"))
    for stage in STAGES:
        n, owed = base.get(stage, (0, ZERO))
        got = money(recovered.get(stage) or 0)
        value = rate(got, owed)
        report.rows.append([code(stage), n, owed, got, show_rate(value)])
        report.chart.append((code(stage), (value or ZERO) * 100))
    return report


# -- roll rates ------------------------------------------------------------------------------

def buckets_at(session, day: date) -> dict[int, str]:
    """Loan id -> bucket at the end of ``day`` (``closed`` / ``written_off`` once no longer active)."""
    last = (select(BucketChange.loan_id, func.max(BucketChange.id).label("last_id"))
            .where(BucketChange.changed_on <= day).group_by(BucketChange.loan_id).subquery())
    changed = dict(session.execute(select(BucketChange.loan_id, BucketChange.new_bucket)
                                   .join(last, last.c.last_id == BucketChange.id)).all())
    out = {}
    for loan_id, status, closed_on in session.execute(
            select(Loan.id, Loan.status, Loan.closed_on).where(Loan.disbursed_on <= day)):
        if status != "active" and closed_on is not None and closed_on <= day:
            out[loan_id] = status
        else:
            out[loan_id] = changed.get(loan_id, CURRENT)
    return out


def roll_rates(session, period: Period, months: int = 3, buckets: list[str] | None = None) -> Report:
    """Month-over-month roll rates for the ``months`` month ends up to the end of ``period``."""
    buckets = buckets or bucket_names(buckets_from_settings({}))
    ends = []
    first = period.start
    for _month in range(months + 1):
        ends.append(month_end(first))
        first = (first - timedelta(days=1)).replace(day=1)
    ends.reverse()
    states = [buckets_at(session, day) for day in ends]
    targets = buckets + ["closed", "written_off"]
    report = Report("roll-rates", _("Roll rates between buckets, month over month, up to ${month}",
                                    mapping={"month": period.label}),
                    [_("From month end"), _("To month end"), _("From bucket"), _("Loans"),
                     *[_("→ ${bucket}", mapping={"bucket": code(b)}) for b in targets], _("Rolled forward")],
                    chart_title=_("Share rolling to a worse bucket, ${start} → ${end} (%)",
                                  mapping={"start": f"{ends[-2]:%Y-%m}", "end": f"{ends[-1]:%Y-%m}"}))
    order = {b: i for i, b in enumerate(buckets)}
    for (day_from, before), (day_to, after) in zip(zip(ends, states), list(zip(ends, states))[1:]):
        moves: dict[str, Counter] = defaultdict(Counter)
        for loan_id, bucket in before.items():
            if bucket in order:
                moves[bucket][after.get(loan_id, bucket)] += 1
        for bucket in buckets:
            total = sum(moves[bucket].values())
            worse = sum(n for b, n in moves[bucket].items() if b in order and order[b] > order[bucket])
            shares = [show_rate(rate(moves[bucket][b], total)) for b in targets]
            report.rows.append([day_from, day_to, code(bucket), total, *shares, show_rate(rate(worse, total))])
            if day_to == ends[-1] and bucket != buckets[-1]:
                report.chart.append((code(bucket), (rate(worse, total) or ZERO) * 100))
    report.note = _("A loan's bucket at a month end is the last change lending reported up to that day; "
                    "loans active then without any change are current.")
    return report


# -- contacts and promises ----------------------------------------------------------------------

def _names(session, ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _contact_stats(session, period: Period) -> dict:
    """Collector id -> (attempts, right-party contacts, promises to pay) in the period."""
    rpc = func.sum(sql_case((Contact.outcome.in_(RPC_OUTCOMES), 1), else_=0))
    promised = func.sum(sql_case((Contact.outcome == "promise_to_pay", 1), else_=0))
    rows = session.execute(select(Contact.collector_id, func.count(Contact.id), rpc, promised)
                           .where(Contact.contacted_on >= period.start, Contact.contacted_on <= period.end)
                           .group_by(Contact.collector_id))
    return {uid: (int(n), int(reached or 0), int(p or 0)) for uid, n, reached, p in rows}


def _promise_stats(session, period: Period) -> dict:
    """Collector id -> (kept, broken, amount kept) of the promises settled in the period."""
    kept = func.sum(sql_case((Promise.status == "kept", 1), else_=0))
    broken = func.sum(sql_case((Promise.status == "broken", 1), else_=0))
    kept_amount = func.sum(sql_case((Promise.status == "kept", Promise.amount), else_=0))
    rows = session.execute(select(Promise.collector_id, kept, broken, kept_amount)
                           .where(Promise.resolved_on >= period.start, Promise.resolved_on <= period.end,
                                  Promise.status.in_(("kept", "broken")))
                           .group_by(Promise.collector_id))
    return {uid: (int(k or 0), int(b or 0), money(a or 0)) for uid, k, b, a in rows}


def contact_rates(session, period: Period) -> Report:
    stats = _contact_stats(session, period)
    names = _names(session, stats)
    report = Report("contacts", _("Right-party contact rate — ${month}", mapping={"month": period.label}),
                    [_("Collector"), _("Attempts"), _("Right-party contacts"), _("RPC rate"), _("Promises to pay")],
                    chart_title=_("Right-party contact rate by collector (%)"))
    for uid in sorted(stats, key=lambda i: names.get(i, "")):
        attempts, reached, promises = stats[uid]
        value = rate(reached, attempts)
        report.rows.append([names.get(uid, "—"), attempts, reached, show_rate(value), promises])
        report.chart.append((names.get(uid, "—"), (value or ZERO) * 100))
    total = [sum(v[i] for v in stats.values()) for i in range(3)]
    report.rows.append([_("All"), total[0], total[1], show_rate(rate(total[1], total[0])), total[2]])
    return report


def promise_rates(session, period: Period) -> Report:
    stats = _promise_stats(session, period)
    names = _names(session, stats)
    report = Report("promises", _("Promise-kept rate — promises settled in ${month}", mapping={"month": period.label}),
                    [_("Collector"), _("Kept"), _("Broken"), _("Kept rate"), _("Amount promised (kept)")],
                    chart_title=_("Promise-kept rate by collector (%)"))
    for uid in sorted(stats, key=lambda i: names.get(i, "")):
        kept, broken, amount = stats[uid]
        value = rate(kept, kept + broken)
        report.rows.append([names.get(uid, "—"), kept, broken, show_rate(value), amount])
        report.chart.append((names.get(uid, "—"), (value or ZERO) * 100))
    kept, broken = sum(v[0] for v in stats.values()), sum(v[1] for v in stats.values())
    report.rows.append([_("All"), kept, broken, show_rate(rate(kept, kept + broken)),
                        sum((v[2] for v in stats.values()), ZERO)])
    return report


# -- per collector ----------------------------------------------------------------------------------

def collector_performance(session, period: Period) -> Report:
    from plugins.collections.services.targets import get_target, recovered_by_collector

    open_rows = {uid: (int(n), money(total or 0)) for uid, n, total in session.execute(
        select(Case.collector_id, func.count(Case.id), func.sum(Case.overdue_amount))
        .where(Case.status.in_(OPEN_STATUSES), Case.collector_id.is_not(None)).group_by(Case.collector_id))}
    contacts, promises = _contact_stats(session, period), _promise_stats(session, period)
    recovered = recovered_by_collector(session, period.start)
    target = get_target(session, period.start)
    shares = {s.collector_id: s.amount for s in (target.shares if target else [])}
    ids = {i for i in (*open_rows, *contacts, *promises, *recovered, *shares) if i is not None}
    names = _names(session, ids)
    report = Report("collectors", _("Per-collector performance — ${month}", mapping={"month": period.label}),
                    [_("Collector"), _("Open cases"), _("Overdue amount"), _("Contacts"), _("RPC rate"),
                     _("Promises kept rate"), _("Recovered"), _("Target"), _("Achievement")],
                    chart_title=_("Recovered in ${month}", mapping={"month": period.label}))
    for uid in sorted(ids, key=lambda i: names.get(i, "")):
        n, owed = open_rows.get(uid, (0, ZERO))
        attempts, reached, _made = contacts.get(uid, (0, 0, 0))
        kept, broken, _amount = promises.get(uid, (0, 0, ZERO))
        got, share = recovered.get(uid, ZERO), shares.get(uid)
        report.rows.append([names.get(uid) or _("user ${id}", mapping={"id": uid}), n, owed, attempts, show_rate(rate(reached, attempts)),
                            show_rate(rate(kept, kept + broken)), got, "" if share is None else share,
                            show_rate(rate(got, share))])
        report.chart.append((names.get(uid) or _("user ${id}", mapping={"id": uid}), got))
    return report


# -- breakdowns ---------------------------------------------------------------------------------------

BREAKDOWNS = {"region": _("Region"), "product": _("Product"), "industry": _("Industry")}
#: Each breakdown's own sentences (one whole sentence per message, the grouping named in it).
BREAKDOWN_TITLES = {
    "region": (_("By region — open now, and entering a stage / recovered in ${month}"),
               _("Overdue amount by region")),
    "product": (_("By product — open now, and entering a stage / recovered in ${month}"),
                _("Overdue amount by product")),
    "industry": (_("By industry — open now, and entering a stage / recovered in ${month}"),
                 _("Overdue amount by industry")),
}


def breakdown(session, by: str, period: Period) -> Report:
    key = {"region": Loan.region, "industry": Loan.industry, "product": LoanProduct.code}[by]
    base = (select(key.label("key")).select_from(Case).join(Loan, Loan.id == Case.loan_id)
            .join(ProductVersion, ProductVersion.id == Loan.product_version_id)
            .join(LoanProduct, LoanProduct.id == ProductVersion.product_id))
    now = {k: (int(n), money(t or 0)) for k, n, t in session.execute(
        base.add_columns(func.count(Case.id), func.sum(Case.overdue_amount))
        .where(Case.status.in_(OPEN_STATUSES)).group_by(key))}
    opened = {k: (int(n), money(t or 0)) for k, n, t in session.execute(
        base.join(StageEntry, StageEntry.case_id == Case.id).add_columns(func.count(StageEntry.id),
                                                                         func.sum(StageEntry.overdue_at_entry))
        .where(StageEntry.entered_on >= period.start, StageEntry.entered_on <= period.end).group_by(key))}
    got = {k: money(t or 0) for k, t in session.execute(
        base.join(Recovery, Recovery.case_id == Case.id).add_columns(func.sum(Recovery.amount))
        .where(Recovery.paid_on >= period.start, Recovery.paid_on <= period.end).group_by(key))}
    title = BREAKDOWNS[by]
    heading, chart_title = BREAKDOWN_TITLES[by]
    report = Report(by, _(heading, mapping={"month": period.label}),
                    [title, _("Open cases"), _("Overdue amount"), _("Stage entries"), _("Overdue at entry"),
                     _("Recovered"), _("Recovered ÷ overdue at entry")], chart_title=chart_title)
    for k in sorted(set(now) | set(opened) | set(got), key=lambda v: str(v or "")):
        n, owed = now.get(k, (0, ZERO))
        entries, at_entry = opened.get(k, (0, ZERO))
        recovered = got.get(k, ZERO)
        label = k or _("(none)")
        report.rows.append([label, n, owed, entries, at_entry, recovered, show_rate(rate(recovered, at_entry))])
        report.chart.append((label, owed))
    return report


REPORTS = {
    "recovery": (_("Recovery rate by stage"), recovery_by_stage),
    "roll-rates": (_("Roll rates between buckets"), roll_rates),
    "contacts": (_("Right-party contact rate"), contact_rates),
    "promises": (_("Promise-kept rate"), promise_rates),
    "collectors": (_("Per-collector performance"), collector_performance),
    "region": (_("By region"), lambda s, p: breakdown(s, "region", p)),
    "product": (_("By product"), lambda s, p: breakdown(s, "product", p)),
    "industry": (_("By industry"), lambda s, p: breakdown(s, "industry", p)),
}


def build(session, name: str, period: Period, settings: dict | None = None) -> Report:
    if name == "roll-rates":
        return roll_rates(session, period, buckets=bucket_names(buckets_from_settings(settings or {})))
    return REPORTS[name][1](session, period)
