"""Reports from the journal: balance sheet, income statement, cash flow of custodial funds, fee income
by product. Each returns rows of plain values (the pages draw them, CSV exports them)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.money import ZERO, money
from plugins.finance.models import Account, Entry, Line
from plugins.finance.services import journal


def _by_account(session, start: date | None, end: date | None):
    stmt = (select(Account.code, Account.name, Account.kind, func.sum(Line.debit), func.sum(Line.credit))
            .join(Line, Line.account_id == Account.id).join(Entry, Entry.id == Line.entry_id)
            .group_by(Account.code, Account.name, Account.kind).order_by(Account.code))
    if start is not None:
        stmt = stmt.where(Entry.entry_date >= start)
    if end is not None:
        stmt = stmt.where(Entry.entry_date <= end)
    return [(code, name, kind, journal.signed(kind, money(d or 0), money(c or 0)))
            for code, name, kind, d, c in session.execute(stmt)]


def balance_sheet(session, end: date | None = None) -> dict:
    """Assets = liabilities + equity + earnings to date (income − expenses); memo accounts apart."""
    rows = _by_account(session, None, end)
    section = {k: [(c, n, v) for c, n, kind, v in rows if kind == k] for k in ("asset", "liability", "equity", "memo")}
    earnings = sum((v for _c, _n, k, v in rows if k == "income"), ZERO) - sum(
        (v for _c, _n, k, v in rows if k == "expense"), ZERO)
    totals = {k: sum((v for _c, _n, v in section[k]), ZERO) for k in section}
    return {"sections": section, "earnings": earnings, "totals": totals,
            "balanced": totals["asset"] == totals["liability"] + totals["equity"] + earnings}


def income_statement(session, start: date | None, end: date | None) -> dict:
    rows = _by_account(session, start, end)
    income = [(c, n, v) for c, n, k, v in rows if k == "income"]
    expenses = [(c, n, v) for c, n, k, v in rows if k == "expense"]
    total_income, total_expenses = sum((v for *_x, v in income), ZERO), sum((v for *_x, v in expenses), ZERO)
    return {"income": income, "expenses": expenses, "total_income": total_income, "total_expenses": total_expenses,
            "result": total_income - total_expenses}


def custodial_flow(session, start: date | None, end: date | None) -> list[tuple[str, object]]:
    """Customers' money moved in the period, by event type (credit − debit of the custodial accounts)."""
    stmt = (select(Entry.event_type, func.sum(Line.credit - Line.debit)).join(Line, Line.entry_id == Entry.id)
            .join(Account, Account.id == Line.account_id).where(Account.custodial.is_(True))
            .group_by(Entry.event_type).order_by(Entry.event_type))
    if start is not None:
        stmt = stmt.where(Entry.entry_date >= start)
    if end is not None:
        stmt = stmt.where(Entry.entry_date <= end)
    return [(event, money(total or 0)) for event, total in session.execute(stmt) if money(total or 0) != ZERO]


def fee_income_by_product(session, start: date | None, end: date | None) -> list[tuple[str, object, object, object]]:
    """(product code, origination fees, service fees, late fees) of the period."""
    from plugins.lending.models import Loan
    from plugins.products.models import LoanProduct, ProductVersion

    stmt = (select(LoanProduct.code, Account.code, func.sum(Line.credit - Line.debit))
            .join(Entry, Entry.id == Line.entry_id).join(Account, Account.id == Line.account_id)
            .join(Loan, Loan.id == Entry.loan_id).join(ProductVersion, ProductVersion.id == Loan.product_version_id)
            .join(LoanProduct, LoanProduct.id == ProductVersion.product_id)
            .where(Account.code.in_(("4000", "4010", "4020"))).group_by(LoanProduct.code, Account.code))
    if start is not None:
        stmt = stmt.where(Entry.entry_date >= start)
    if end is not None:
        stmt = stmt.where(Entry.entry_date <= end)
    found: dict = {}
    for product, code, total in session.execute(stmt):
        found.setdefault(product, {})[code] = money(total or 0)
    return [(p, v.get("4000", ZERO), v.get("4010", ZERO), v.get("4020", ZERO)) for p, v in sorted(found.items())]
