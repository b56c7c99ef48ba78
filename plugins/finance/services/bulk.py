"""Set-based posting of repayments: the same entries and lines as the hook, in a few INSERT … SELECT.

Used to post a lending book that existed before finance was enabled (:func:`post_unposted_repayments`)
and measured by ``bench/finance.py``. The rules of ``lending_repayment_posted`` are read like
:func:`.journal.post` reads them; each amount key is a column expression of the repayment, and the
party ``investors`` reads the repayment's cash entries. One INSERT for the entries, one per rule line
for the lines; zero amounts write no line, a negative one goes on the other side. An entry posts on
its repayment's date or, in a closed period, on the first open day.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, case, exists, func, insert, literal, select, union_all

from core.errors import UserError
from core.models.meta import utcnow
from core.money import ZERO
from plugins.finance.i18n import _
from plugins.finance.models import Entry, Line
from plugins.finance.services import journal
from plugins.lending.models import CashEntry, Loan, Repayment

EVENT = "lending_repayment_posted"
SOURCE = "lending.repayment"


def _amounts():
    r = Repayment
    return {"amount": r.amount, "service_fee": r.service_fee, "fee": r.fee, "platform_share": r.fee + r.service_fee,
            "principal": r.principal, "interest": r.interest, "penalty": r.penalty, "undistributed": literal(ZERO)}


def post_unposted_repayments(session, repayment_ids: list[int] | None = None) -> int:
    """Post every repayment (or those of ``repayment_ids``) that has no journal entry yet; returns how many."""
    rules = journal.rules(session).get(EVENT, [])
    codes = journal.accounts(session)
    amounts = _amounts()
    for code, _side, key, party in rules:
        if code not in codes:
            raise UserError(_("The posting rules of ${event} use account ${code}, which is not in the chart.",
                              mapping={"event": EVENT, "code": code}), "account_code")
        if party != "investors" and key not in amounts:
            raise UserError(_("The posting rules of ${event} use the amount '${key}', which the event does not "
                              "have.", mapping={"event": EVENT, "key": key}), "amount")
    posted = exists().where(Entry.event_type == EVENT, Entry.source_type == SOURCE, Entry.source_id == Repayment.id)
    todo = select(Repayment.id).where(~posted)
    if repayment_ids is not None:
        todo = todo.where(Repayment.id.in_(repayment_ids))
    locked = journal.lock_date(session)
    day = Repayment.paid_on if locked is None else case(
        (Repayment.paid_on > locked, Repayment.paid_on), else_=literal(locked + timedelta(days=1)))
    first = session.scalar(select(func.coalesce(func.max(Entry.id), 0)))
    session.execute(insert(Entry).from_select(
        ["entry_date", "event_date", "event_type", "source_type", "source_id", "customer_id", "loan_id", "memo",
         "created_at"],
        select(day, Repayment.paid_on, literal(EVENT), literal(SOURCE), Repayment.id, Loan.customer_id,
               Repayment.loan_id, func.substr(Repayment.reference, 1, 200), literal(utcnow()))
        .join(Loan, Loan.id == Repayment.loan_id).where(Repayment.id.in_(todo)).order_by(Repayment.id)))
    new = and_(Entry.id > first, Entry.event_type == EVENT, Entry.source_type == SOURCE)
    count = session.scalar(select(func.count(Entry.id)).where(new)) or 0  # (rowcount is -1 on some drivers)
    if not count:
        return 0
    parts = []
    for code, side, key, party in rules:
        account = literal(codes[code])
        if party == "investors":
            value = CashEntry.amount
            base = (select(Entry.id, account, CashEntry.customer_id, Entry.loan_id, value)
                    .join(CashEntry, CashEntry.repayment_id == Entry.source_id))
        else:
            value = amounts[key]
            base = select(Entry.id, account, literal(None), Entry.loan_id, value).join(
                Repayment, Repayment.id == Entry.source_id)
        debit = value if side == "debit" else -value
        parts.append(base.with_only_columns(
            Entry.id, account, base.selected_columns[2], Entry.loan_id,
            case((debit > 0, debit), else_=literal(ZERO)), case((debit < 0, -debit), else_=literal(ZERO)))
            .where(new, value != 0))
    session.execute(insert(Line).from_select(["entry_id", "account_id", "customer_id", "loan_id", "debit", "credit"],
                                             union_all(*parts)))
    unbalanced = session.scalar(select(func.count()).select_from(
        select(Line.entry_id).join(Entry, Entry.id == Line.entry_id).where(new).group_by(Line.entry_id)
        .having(func.sum(Line.debit) != func.sum(Line.credit)).subquery()))
    if unbalanced:
        raise journal.Unbalanced(_("The posting rules of ${event} give debits of ${debits} and credits of "
                                   "${credits}; nothing was posted.",
                                   mapping={"event": EVENT, "debits": "?", "credits": "?"}), "amount")
    return count
