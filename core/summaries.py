"""Maintained summaries: small tables of totals a page reads instead of scanning the rows they sum.

A plugin declares a :class:`Summary` over its own table (columns ``kind``, ``key``, ``count``,
``amount``, ``amount2``; primary key ``(kind, key)``) with two functions:

- ``contributions(session, ids)`` -> ``{(kind, key): (count, amount, amount2)}``: what the subjects
  ``ids`` (loans, applications, cases) add to the totals, read from the database;
- ``recount(session)`` -> the same for every subject: the full count.

and ``watch``: for each model whose rows change the totals, a function giving the subject ids an
object concerns. A ``before_flush``/``after_flush`` listener reads the contributions of the subjects a
flush touches before and after it and adds the difference to the summary rows, in the same
transaction: exact whatever service made the change (repayment, write-off, funding, restage), with
two small indexed statements per flush that touches a subject. Writes made with Core statements
(close of business, the collections sync) bypass the listener: those jobs call :func:`recount`
when they finish.

A summary that was never counted (a new or wiped database, a book loaded by bulk inserts) holds no
``("_counted", "")`` marker row: flushes then leave it alone and the first :func:`read` counts it.
:func:`recount` locks the summary rows first, so a concurrent delta is either in its count or added
after it (PostgreSQL READ COMMITTED takes a new snapshot per statement), never lost.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Integer, String, Table, delete, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.models.meta import Money
from core.money import money

MARKER = ("_counted", "")
#: A flush touching more subjects than this recounts the summary instead of diffing them.
DIFF_LIMIT = 500

Totals = dict[tuple[str, str], tuple[int, Decimal, Decimal]]


class SummaryRow:
    """The columns of a summary table (a mixin for a plugin's model): one row per (kind, key)."""

    __audit__ = False  # totals move with audited changes; the rows themselves are not history

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount2: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


@dataclass(eq=False)
class Summary:
    table: Table
    contributions: Callable[..., Totals]
    recount: Callable[..., Totals]
    watch: dict[type, Callable[[object], Iterable]] = field(default_factory=dict)
    #: Rows kept even at zero, so a recount's lock covers them and pages list every key.
    keys: Callable[..., Iterable[tuple[str, str]]] = lambda session: ()


_summaries: list[Summary] = []


def register(summary: Summary) -> Summary:
    if summary not in _summaries:
        _summaries.append(summary)
    install()
    return summary


def _zero() -> tuple[int, Decimal, Decimal]:
    return 0, money(0), money(0)


def _add(a, b, sign=1):
    return a[0] + sign * b[0], a[1] + sign * b[1], a[2] + sign * b[2]


def read(session, summary: Summary) -> Totals:
    """The summary's rows (counted first if it never was): one read of a small table."""
    t = summary.table
    rows = session.execute(select(t.c.kind, t.c.key, t.c.count, t.c.amount, t.c.amount2)).all()
    found = {(kind, key): (int(n), money(a), money(b)) for kind, key, n, a, b in rows}
    if MARKER not in found:
        found = recount(session, summary)
        _mark_changed(session)
    found.pop(MARKER, None)
    return found


def recount(session, summary: Summary) -> Totals:
    """Count the summary afresh from the rows it sums and store it; returns the totals."""
    t = summary.table
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # serialize with concurrent deltas (see the module's note)
        conn.execute(select(t.c.kind).order_by(t.c.kind, t.c.key).with_for_update())
    totals = summary.recount(session)
    for key in summary.keys(session):
        totals.setdefault(key, _zero())
    conn.execute(delete(t))
    rows = [{"kind": k, "key": key, "count": v[0], "amount": v[1], "amount2": v[2]} for (k, key), v in totals.items()]
    rows.append({"kind": MARKER[0], "key": MARKER[1], "count": 0, "amount": 0, "amount2": 0})
    conn.execute(insert(t), rows)
    session.info[("core.summaries.counted", id(summary))] = (session.get_transaction(), True)
    return totals


def _apply(session, summary: Summary, delta: Totals) -> None:
    t = summary.table
    conn = session.connection()
    for (kind, key), (n, a, b) in sorted(delta.items()):
        if not (n or a or b):
            continue
        done = conn.execute(update(t).where(t.c.kind == kind, t.c.key == key)
                            .values(count=t.c.count + n, amount=t.c.amount + a, amount2=t.c.amount2 + b)).rowcount
        if done:
            continue
        if conn.execute(select(t.c.kind).where(t.c.kind == MARKER[0], t.c.key == MARKER[1])).first() is None:
            return  # never counted: the first read counts it
        conn.execute(insert(t).values(kind=kind, key=key, count=n, amount=a, amount2=b))


def _mark_changed(session) -> None:
    tm = session.info.get("tm")
    if tm is not None:  # a GET that counted must still commit it
        import zope.sqlalchemy
        zope.sqlalchemy.mark_changed(session, transaction_manager=tm)


def _subjects(summary: Summary, objects) -> set:
    ids: set = set()
    for obj in objects:
        fn = summary.watch.get(type(obj))
        if fn is not None:
            ids.update(i for i in fn(obj) if i is not None and not (isinstance(i, tuple) and i[-1] is None))
    return ids


STATE = "core.summaries"


def _before_flush(session, _ctx, _instances):
    if not _summaries or session.info.get("summaries_disabled"):
        return
    touched = list(session.new) + list(session.dirty) + list(session.deleted)
    state = session.info.setdefault(STATE, {})
    for summary in _summaries:
        ids = _subjects(summary, touched)
        if not ids and not any(type(o) in summary.watch for o in session.new):
            continue
        if not counted(session, summary):
            continue  # nothing to keep yet: the first read counts it
        if len(ids) > DIFF_LIMIT:
            state[id(summary)] = ("recount", None)
        else:
            state[id(summary)] = (ids, summary.contributions(session, ids) if ids else {})


def _after_flush(session, _ctx):
    state = session.info.pop(STATE, None)
    if not state:
        return
    for summary in _summaries:
        found = state.get(id(summary))
        if found is None:
            continue
        ids, before = found
        if ids == "recount":
            recount(session, summary)
            continue
        ids = ids | _subjects(summary, list(session.new) + list(session.dirty))
        if len(ids) > DIFF_LIMIT:
            recount(session, summary)
            continue
        after = summary.contributions(session, ids) if ids else {}
        delta: Totals = {}
        for key in set(before) | set(after):
            delta[key] = _add(after.get(key, _zero()), before.get(key, _zero()), -1)
        _apply(session, summary, delta)


def counted(session, summary: Summary) -> bool:
    """Whether the summary holds a count to keep (its marker row), asked once per transaction."""
    key = ("core.summaries.counted", id(summary))
    transaction = session.get_transaction()
    known = session.info.get(key)
    if known is not None and known[0] is transaction:
        return known[1]
    t = summary.table
    found = session.connection().execute(
        select(t.c.kind).where(t.c.kind == MARKER[0], t.c.key == MARKER[1])).first() is not None
    session.info[key] = (transaction, found)
    return found


def recount_if_counted(session, summary: Summary) -> None:
    """After Core writes the listener did not see (a job's bulk statements): count again, if kept."""
    if counted(session, summary):
        recount(session, summary)


def install(session_class=Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
