"""Hooks the ``risk`` plugin calls, for other departments to implement.

Called with keyword arguments **inside the caller's transaction**: what an
implementation writes commits or rolls back with the risk operation, and an
implementation raising :class:`core.errors.UserError` refuses it. Documented
in docs/plugins/risk.md ("Hooks risk calls").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.lending.models import Customer
    from plugins.risk.models import Hit


@hookspec
def risk_level_changed(customer: Customer, old_level: str, new_level: str, reason: str) -> None:
    """React to risk changing a customer's risk level.

    Called when a customer is put on watch (a confirmed blacklist hit, a
    collections high-risk report, an analyst's follow-up) or their level is
    set by hand. ``old_level`` and ``new_level`` are ``"low"``, ``"medium"``, ``"high"``
    or ``"very_high"``; ``reason`` says why (a watch, a signal, a review).
    Collections may tighten its strategy; service may warn its agents.
    Returns nothing.
    """


@hookspec
def risk_watchlist_hit(customer: Customer, hit: Hit) -> None:
    """React to a customer matching the blacklist / watch list.

    Called once per new hit (a :class:`plugins.risk.models.Hit`, status
    ``"open"``; ``hit.match`` is ``"id_number"``, ``"phone"``, ``"email"``
    or ``"name"``, ``hit.similarity`` 0–100). An open hit is a question for
    a person, not a verdict. Returns nothing.
    """
