"""Risk's panel on lending's customer page: risk level, watch, open signals and hits, the last review."""
from __future__ import annotations

from sqlalchemy import func, select

from core.formatting import current
from plugins.lending.panels import CustomerPanel
from plugins.risk.i18n import _, word
from plugins.risk.models import Hit, Profile, Review, Signal


def customer_panels(request, customer) -> list[CustomerPanel]:
    if not request.has_permission("risk.review.view"):
        return []
    session = request.dbsession
    profile = session.scalar(select(Profile).where(Profile.customer_id == customer.id))
    last = session.scalar(select(Review).where(Review.customer_id == customer.id).order_by(Review.id.desc()).limit(1))
    signals = session.scalar(select(func.count(Signal.id)).where(Signal.customer_id == customer.id,
                                                                Signal.status == "open")) or 0
    hits = session.scalar(select(func.count(Hit.id)).where(Hit.customer_id == customer.id, Hit.status == "open")) or 0
    rows = [(_("Risk level"), word(profile.level) if profile else word("low")),
            (_("On watch"), current().yes_no(bool(profile and profile.on_watch))),
            (_("Open signals"), signals), (_("Open blacklist hits"), hits)]
    if last is not None:
        rows.append((_("Last review"), f"{last.grade} · {word(last.status)}"))
    return [CustomerPanel(_("Risk"), "risk.review.view", rows=rows, order=40,
                          link=request.route_url("risk.review", id=last.id) if last else None)]
