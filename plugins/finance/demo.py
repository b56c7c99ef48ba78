"""Finance's part of the demo's replayed history: lending's events post the journal as they happen
(the hookimpls); here the finance manager closes each month on the 3rd business day of the next."""
from __future__ import annotations

import logging
from datetime import timedelta

from core.errors import ConflictError
from plugins.finance.services import journal, periods

log = logging.getLogger(__name__)


def day(session, day, story) -> None:
    if day.day != 3:
        return
    month = periods.month_start(day.replace(day=1) - timedelta(days=1))
    locked = journal.lock_date(session)
    if locked is not None and locked >= periods.month_end(month):
        return
    if locked is None and journal.trial_balance(session)["debits"] == 0:
        return  # nothing in the books yet
    try:
        with session.begin_nested():
            periods.close_month(session, month, override="Demo: bank statements are reconciled after the close.")
    except ConflictError as refused:  # the books disagree: leave the month open for people to see why
        log.warning("finance demo: %s not closed: %s", month, refused)
