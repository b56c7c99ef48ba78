"""Risk's dashboard widgets: reviews waiting, the committee's next agenda, open signals."""
from __future__ import annotations

from sqlalchemy import func, select

from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.risk.i18n import _, word
from plugins.risk.models import AgendaItem, Hit, Meeting, Review, Signal


def widgets(request) -> list[Widget]:
    session = request.dbsession
    out = []
    if request.has_permission("risk.review.view"):
        counts = dict(session.execute(select(Review.status, func.count(Review.id))
                                      .where(Review.status.in_(("pending", "referred"))).group_by(Review.status)).all())
        hits = session.scalar(select(func.count(Hit.id)).where(Hit.status == "open")) or 0
        rows = [(word("pending"), counts.get("pending", 0)), (word("referred"), counts.get("referred", 0)),
                (_("Open blacklist hits"), hits)]
        out.append(Widget(_("Risk reviews waiting"), "risk.review.view", rows=rows,
                          chart=bar_chart(rows, title=_("Reviews waiting")),
                          link=request.route_url("risk.reviews", _query={"status": "pending"})))
    if request.has_permission("risk.committee.view"):
        meeting = session.scalar(select(Meeting).where(Meeting.status == "planned").order_by(Meeting.held_on))
        if meeting is not None:
            items = session.scalar(select(func.count(AgendaItem.id)).where(AgendaItem.meeting_id == meeting.id))
            out.append(Widget(_("Committee agenda"), "risk.committee.view",
                              rows=[(_("Next meeting"), meeting.held_on), (_("Items"), items)],
                              link=request.route_url("risk.meeting", id=meeting.id)))
    if request.has_permission("risk.signal.view"):
        kinds = dict(session.execute(select(Signal.kind, func.count(Signal.id)).where(Signal.status == "open")
                                     .group_by(Signal.kind)).all())
        rows = [(word(k), n) for k, n in sorted(kinds.items())]
        out.append(Widget(_("Monitoring signals open"), "risk.signal.view", rows=rows,
                          chart=bar_chart(rows, title=_("Open signals by kind")),
                          link=request.route_url("risk.signals", _query={"status": "open"})))
    return out
