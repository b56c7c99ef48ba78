"""Risk's scheduled job: screening every customer against the blacklist (one transaction)."""
from __future__ import annotations

from plugins.risk.i18n import _n
from plugins.risk.services import blacklist


def screen_customers(request) -> str:
    count = blacklist.screen_all(request.dbsession)
    return _n("${n} new hit", "${n} new hits", count)
