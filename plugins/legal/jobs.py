"""Legal's daily job (after lending's close of business, 00:30): one transaction per run.

It renews tacit contracts, expires the others, activates signed contracts
that started, sends the back-to-review of texts changed behind legal's back,
and reminds owners, lawyers and custodians (contracts' notice and end dates,
hearings and deadlines, seals out of the office).
"""
from __future__ import annotations

from plugins.legal.services import daily


def legal_daily(request) -> str:
    return daily.run(request.dbsession).summary
