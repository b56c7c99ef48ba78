"""The global search (statement lines by the bank's reference) and the customer page's panel."""
from __future__ import annotations

from sqlalchemy import func, select

from core.search import Field, Group, Hit, Search, top
from plugins.finance.i18n import _
from plugins.finance.models import Account, Line, StatementLine

#: A statement line by the reference the bank gave, exactly as typed (references are codes, not words).
LINES = Search(Field(StatementLine.reference, "exact", normalise=lambda q: q.strip()))


def global_search(request, query: str) -> list[Group]:
    if not request.has_permission("finance.bank.view"):
        return []
    found = top(request.dbsession, select(StatementLine), LINES, query)
    hits = [Hit(_("Statement line ${id}", mapping={"id": x.id}), request.route_url("finance.line", id=x.id),
                f"{x.booked_on} · {x.amount} · {x.status}") for x in found]
    return [Group(_("Bank statement lines"), hits, order=60)] if hits else []


def customer_panels(request, customer) -> list:
    """An investor's money as the books hold it beside lending's cash balance (two indexed sums)."""
    from plugins.lending.panels import CustomerPanel
    from plugins.lending.services import balance

    if not customer.is_investor:
        return []
    session = request.dbsession
    books = session.scalar(select(func.coalesce(func.sum(Line.credit - Line.debit), 0))
                           .join(Account, Account.id == Line.account_id)
                           .where(Line.customer_id == customer.id, Account.custodial.is_(True)))
    from core.money import money

    books, lending = money(books or 0), balance(session, customer.id)
    return [CustomerPanel(_("Finance"), "finance.statement.view", rows=[
        (_("Balance in the books"), books),
        (_("Books agree with lending"), _("yes") if books == lending else _("no"))],
        link=request.route_url("finance.investor_statement", _query={"investor": customer.id}), order=300)]
