"""The journal: balanced entries posted from events through the posting rules (data), reversals,
the trial balance, the ledger and the proof that the books agree with lending.

:func:`post` turns an event's amounts into lines with the rules of its event type
(:class:`plugins.finance.models.PostingRule`): each rule line takes one amount key of the event
and puts it on the debit or credit of an account; a rule line whose party is ``investors`` takes a
list of ``(investor id, amount)`` and writes one line per investor. A negative amount goes on the
other side; a zero amount writes no line. The entry must balance to the cent or nothing is written
(:class:`Unbalanced`). Two statements per entry (the entry, then its lines in one executemany):
lending's events fire these thousands of times in a replay.

Entries are immutable; :func:`reverse` posts the mirror entry. Nothing posts on or before the lock
date (:mod:`.periods`): an event dated in a closed period is posted on the first open day, keeping
its own date as ``event_date``; a manual posting or a reversal dated there is refused.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from core import context
from core.errors import ConflictError, UserError
from core.money import ZERO, money
from plugins.finance.i18n import _
from plugins.finance.models import Account, Entry, Line, Period, PostingRule

ENTRIES = Entry.__table__
LINES = Line.__table__
RULES_KEY = "finance.rules"
ACCOUNTS_KEY = "finance.accounts"
LOCK_KEY = "finance.lock_date"


class Unbalanced(UserError):
    """The rules gave lines whose debits and credits differ: nothing is posted."""


def _cache(session) -> dict:
    """What this transaction has read of the rules, the chart and the lock date (dropped with the transaction:
    a rollback may take rows the cache points to)."""
    transaction = session.get_transaction()
    held = session.info.get("finance.cache")
    if held is None or held[0] is not transaction:
        held = session.info["finance.cache"] = (transaction, {})
    return held[1]


def forget(session) -> None:
    """Drop the session's cached rules, accounts and lock date (after editing any of them)."""
    session.info.pop("finance.cache", None)


def ensure_defaults(session) -> None:
    """Write the default chart, rules and bank accounts (:mod:`plugins.finance.chart`) into empty tables.

    Migration finance_0001 writes them at install; this puts them back where a table was emptied
    (a test database between tests, a database restored without finance's rows).
    """
    from plugins.finance import chart
    from plugins.finance.models import BankAccount

    for model, rows in ((Account, chart.account_rows), (PostingRule, chart.rule_rows),
                        (BankAccount, chart.bank_rows)):
        if session.scalar(select(model.id).limit(1)) is None:
            session.execute(insert(model), rows())


def rules(session) -> dict[str, list[tuple[str, str, str, str]]]:
    cache = _cache(session)
    found = cache.get(RULES_KEY)
    if found is None:
        if ACCOUNTS_KEY not in cache:
            ensure_defaults(session)
        found = defaultdict(list)
        for rule in session.scalars(select(PostingRule).order_by(PostingRule.event_type, PostingRule.position)):
            found[rule.event_type].append((rule.account_code, rule.side, rule.amount, rule.party))
        found = cache[RULES_KEY] = dict(found)
    return found


def accounts(session) -> dict[str, int]:
    """Account code -> id."""
    cache = _cache(session)
    found = cache.get(ACCOUNTS_KEY)
    if found is None:
        if RULES_KEY not in cache:
            ensure_defaults(session)
        found = cache[ACCOUNTS_KEY] = dict(session.execute(select(Account.code, Account.id)).all())
    return found


def lock_date(session) -> date | None:
    """The last day of the latest closed period (nothing posts on or before it), or None."""
    cache = _cache(session)
    if LOCK_KEY not in cache:
        cache[LOCK_KEY] = session.scalar(select(func.max(Period.closed_through)))
    return cache[LOCK_KEY]


def posting_date(session, day: date) -> date:
    locked = lock_date(session)
    return day if locked is None or day > locked else locked + timedelta(days=1)


def lines_for(session, event_type: str, amounts: dict, customer_id: int | None = None) -> list[tuple]:
    """The (account id, customer id, debit, credit) lines the rules give for ``amounts``; checks the balance."""
    codes = accounts(session)
    out = []
    for code, side, key, party in rules(session).get(event_type, ()):
        if key not in amounts:
            raise UserError(_("The posting rules of ${event} use the amount '${key}', which the event does not "
                              "have.", mapping={"event": event_type, "key": key}), "amount")
        if code not in codes:
            raise UserError(_("The posting rules of ${event} use account ${code}, which is not in the chart.",
                              mapping={"event": event_type, "code": code}), "account_code")
        value = amounts[key]
        parts = value if party == "investors" else [(customer_id if party == "customer" else None, value)]
        for who, amount in parts:
            amount = money(amount)
            if amount == ZERO:
                continue
            debit = (side == "debit") == (amount > ZERO)
            amount = abs(amount)
            out.append((codes[code], who, amount if debit else ZERO, ZERO if debit else amount))
    debits, credits = sum((x[2] for x in out), ZERO), sum((x[3] for x in out), ZERO)
    if debits != credits:
        raise Unbalanced(_("The posting rules of ${event} give debits of ${debits} and credits of ${credits}; "
                           "nothing was posted.", mapping={"event": event_type, "debits": str(debits),
                                                           "credits": str(credits)}), "amount")
    return out


def post(session, event_type: str, source_type: str, source_id: int, day: date, amounts: dict, *,
         customer_id: int | None = None, loan_id: int | None = None, memo: str = "",
         reversal_of_id: int | None = None) -> int | None:
    """Post one event; returns the entry's id (None when the rules give no line)."""
    lines = lines_for(session, event_type, amounts, customer_id)
    if not lines:
        return None
    # Core statements on the tables (not the ORM's bulk path): this runs once per lending event.
    entry_id = session.execute(ENTRIES.insert().returning(ENTRIES.c.id), {
        "entry_date": posting_date(session, day), "event_date": day, "event_type": event_type,
        "source_type": source_type, "source_id": source_id, "customer_id": customer_id, "loan_id": loan_id,
        "memo": memo[:200], "reversal_of_id": reversal_of_id, "created_at": context_now()}).scalar_one()
    session.execute(LINES.insert(), [
        {"entry_id": entry_id, "account_id": account_id, "customer_id": who, "loan_id": loan_id, "debit": debit,
         "credit": credit} for account_id, who, debit, credit in lines])
    return entry_id


def context_now():
    from core.models.meta import utcnow

    return utcnow()


def open_day(session, day: date | None, field: str = "entry_date") -> date:
    """``day`` (today if None) when it is after the lock date; else a refusal naming the lock date."""
    day = day or context.today(session)
    locked = lock_date(session)
    if locked is not None and day <= locked:
        from plugins.finance.i18n import day as day_text

        raise UserError(_("The books are closed through ${day}; post on a later date.",
                          mapping={"day": day_text(locked)}), field)
    return day


def reverse(session, entry: Entry, memo: str = "", day: date | None = None) -> int:
    """Post the mirror of ``entry`` (debits and credits swapped) in the open period; once per entry."""
    if entry.event_type == "reversal":
        raise ConflictError(_("Entry ${id} is itself a reversal; post the original again instead.",
                              mapping={"id": entry.id}), "entry")
    if session.scalar(select(Entry.id).where(Entry.reversal_of_id == entry.id)) is not None:
        raise ConflictError(_("Entry ${id} is already reversed.", mapping={"id": entry.id}), "entry")
    locked = lock_date(session)
    if day is None:
        day = max(context.today(session), entry.entry_date)
        if locked is not None and day <= locked:
            day = locked + timedelta(days=1)
    day = open_day(session, day)
    rows = session.execute(select(Line.account_id, Line.customer_id, Line.loan_id, Line.debit, Line.credit)
                           .where(Line.entry_id == entry.id).order_by(Line.id)).all()
    new_id = session.execute(insert(Entry).returning(Entry.id), [{
        "entry_date": day, "event_date": day, "event_type": "reversal", "source_type": "finance.entry",
        "source_id": entry.id, "customer_id": entry.customer_id, "loan_id": entry.loan_id,
        "memo": (memo or f"Reversal of entry {entry.id}")[:200], "reversal_of_id": entry.id,
        "created_at": context_now()}]).scalar_one()
    session.execute(insert(Line), [
        {"entry_id": new_id, "account_id": r.account_id, "customer_id": r.customer_id, "loan_id": r.loan_id,
         "debit": r.credit, "credit": r.debit} for r in rows])
    from core.audit import record_event

    record_event(session, "entry_reversed", "finance.entry", entry.id, {"reversal": new_id, "memo": memo})
    return new_id


# -- reading the books ------------------------------------------------------------------------

def _dated(stmt, start: date | None, end: date | None):
    if start is not None:
        stmt = stmt.where(Entry.entry_date >= start)
    if end is not None:
        stmt = stmt.where(Entry.entry_date <= end)
    return stmt


def trial_balance(session, end: date | None = None, start: date | None = None) -> dict:
    """Per account: debits, credits and balance (debit − credit) of the entries dated ``start``..``end``."""
    stmt = _dated(select(Line.account_id, func.sum(Line.debit), func.sum(Line.credit))
                  .join(Entry, Entry.id == Line.entry_id).group_by(Line.account_id), start, end)
    sums = {a: (money(d or 0), money(c or 0)) for a, d, c in session.execute(stmt)}
    rows = []
    for account in session.scalars(select(Account).order_by(Account.code)):
        debit, credit = sums.get(account.id, (ZERO, ZERO))
        rows.append({"account": account, "debit": debit, "credit": credit, "balance": debit - credit})
    debits = sum((r["debit"] for r in rows), ZERO)
    credits = sum((r["credit"] for r in rows), ZERO)
    return {"rows": rows, "debits": debits, "credits": credits, "difference": debits - credits}


def custodial_balances(session) -> dict[int, Decimal]:
    """Each customer's money in the books: credits − debits of the custodial accounts."""
    stmt = (select(Line.customer_id, func.sum(Line.credit - Line.debit)).join(Account, Account.id == Line.account_id)
            .where(Account.custodial.is_(True), Line.customer_id.is_not(None)).group_by(Line.customer_id))
    return {cid: money(total or 0) for cid, total in session.execute(stmt)}


def lending_balances(session) -> dict[int, Decimal]:
    from plugins.lending.models import CashEntry

    stmt = select(CashEntry.customer_id, func.sum(CashEntry.amount)).group_by(CashEntry.customer_id)
    return {cid: money(total or 0) for cid, total in session.execute(stmt)}


def differences(session) -> list[tuple[int, Decimal, Decimal]]:
    """(customer id, books, lending) for every customer whose balances differ; empty when the books agree."""
    books, lending = custodial_balances(session), lending_balances(session)
    out = []
    for cid in sorted(set(books) | set(lending)):
        b, lend = books.get(cid, ZERO), lending.get(cid, ZERO)
        if b != lend:
            out.append((cid, b, lend))
    return out


def reserved_balances(session) -> dict[int, Decimal]:
    """Each investor's reserved money in the books (account 2010)."""
    stmt = (select(Line.customer_id, func.sum(Line.credit - Line.debit)).join(Account, Account.id == Line.account_id)
            .where(Account.code == "2010").group_by(Line.customer_id))
    return {cid: money(total or 0) for cid, total in session.execute(stmt) if money(total or 0) != ZERO}


def account_balance(session, code: str, end: date | None = None) -> Decimal:
    """Debit − credit of one account through ``end``."""
    stmt = _dated(select(func.sum(Line.debit - Line.credit)).join(Entry, Entry.id == Line.entry_id)
                  .join(Account, Account.id == Line.account_id).where(Account.code == code), None, end)
    return money(session.scalar(stmt) or 0)


def income_by_month(session, codes: tuple[str, ...], months: list[date]) -> dict[str, list[tuple[date, Decimal]]]:
    """Credits − debits of income accounts per month (first days given), for the dashboard's chart."""
    if not months:
        return {}
    from plugins.finance.services.periods import month_end

    month_of = func.strftime("%Y-%m", Entry.entry_date) if session.bind.dialect.name == "sqlite" \
        else func.to_char(Entry.entry_date, "YYYY-MM")
    stmt = (select(Account.code, month_of, func.sum(Line.credit - Line.debit))
            .join(Entry, Entry.id == Line.entry_id).join(Account, Account.id == Line.account_id)
            .where(Account.code.in_(codes), Entry.entry_date >= months[0], Entry.entry_date <= month_end(months[-1]))
            .group_by(Account.code, month_of))
    found = {(code, key): money(total or 0) for code, key, total in session.execute(stmt)}
    return {code: [(m, found.get((code, m.strftime("%Y-%m")), ZERO)) for m in months] for code in codes}


def signed(kind: str, debit: Decimal, credit: Decimal) -> Decimal:
    """A balance as people read it: debit-normal for assets and expenses, credit-normal otherwise."""
    return debit - credit if kind in ("asset", "expense") else credit - debit
