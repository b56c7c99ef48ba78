"""Hooks the ``finance`` plugin calls, for other departments to implement (docs/plugins/finance.md).

Called with keyword arguments inside the caller's transaction, like lending's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.finance.models import Period, StatementLine


@hookspec
def finance_period_closed(period: Period) -> None:
    """React to a month closed: nothing posts on or before ``period.closed_through`` any more.

    Called by :func:`plugins.finance.services.periods.close_month` after the row is flushed.
    Returns nothing.
    """


@hookspec
def finance_statement_line_matched(line: StatementLine) -> None:
    """React to a bank statement line matched (automatically or by a person).

    Called right after the match is saved, in the same transaction.
    ``line.match_kind`` says to what (``deposit``, ``withdrawal``, ``repayment``, ``bank_fee``) and
    ``line.matched_id`` which lending record. Returns nothing.
    """
