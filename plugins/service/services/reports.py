"""Customer service's figures: enquiries by category and channel per month, SLA attainment, backlog age,
CSAT and NPS per month, agent and category. Computed over the months asked (rows of one year of tickets
are few thousand: read once, counted in Python, the same on SQLite and PostgreSQL)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import select

from core.models.meta import utcnow
from core.models.user import User
from plugins.service.calendar import _aware
from plugins.service.models import ACTIVE, Survey, Ticket
from plugins.service.services.surveys import Score, csat, nps


def _month(moment: datetime) -> date:
    return _aware(moment).date().replace(day=1)


def _since(months: list[date]) -> datetime:
    return datetime.combine(months[0], datetime.min.time(), UTC)


def enquiries(session, months: list[date]) -> dict[str, dict]:
    """{"category": {category: {month: n}}, "channel": {channel: {month: n}}, "top": Counter(category)}."""
    rows = session.execute(select(Ticket.created_at, Ticket.category, Ticket.channel)
                           .where(Ticket.created_at >= _since(months))).all()
    by_category: dict = defaultdict(Counter)
    by_channel: dict = defaultdict(Counter)
    top: Counter = Counter()
    for created, category, channel in rows:
        month = _month(created)
        by_category[category][month] += 1
        by_channel[channel][month] += 1
        top[category] += 1
    return {"category": by_category, "channel": by_channel, "top": top}


def sla_attainment(session, months: list[date]) -> dict[date, tuple[int, int]]:
    """{month solved: (met, breached)} over tickets solved or closed in the months."""
    rows = session.execute(select(Ticket.solved_at, Ticket.closed_at, Ticket.sla_state)
                           .where(Ticket.status.in_(("solved", "closed")), Ticket.created_at >= _since(months))).all()
    out: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for solved, closed, state in rows:
        out[_month(solved or closed)][0 if state == "met" else 1] += 1
    return {m: (v[0], v[1]) for m, v in out.items()}


AGE_BUCKETS = ((1, "0–1"), (3, "2–3"), (7, "4–7"), (30, "8–30"), (None, "31+"))


def backlog_age(session, now: datetime | None = None) -> list[tuple[str, int]]:
    """Active tickets by age in days."""
    now = _aware(now or utcnow())
    counts = Counter()
    for created in session.scalars(select(Ticket.created_at).where(Ticket.status.in_(ACTIVE))):
        age = (now - _aware(created)).days
        counts[next(label for limit, label in AGE_BUCKETS if limit is None or age <= limit)] += 1
    return [(label, counts[label]) for _limit, label in AGE_BUCKETS]


def satisfaction(session, months: list[date]) -> dict:
    """CSAT and NPS per month; CSAT per agent and per category."""
    rows = session.execute(select(Survey.kind, Survey.score, Survey.answered_at, Survey.agent_id, Survey.category)
                           .where(Survey.answered_at >= _since(months), Survey.score.is_not(None))).all()
    per_month: dict = {"csat": defaultdict(list), "nps": defaultdict(list)}
    per_agent: dict = defaultdict(list)
    per_category: dict = defaultdict(list)
    for kind, score, answered, agent, category in rows:
        per_month[kind][_month(answered)].append(score)
        if kind == "csat":
            per_agent[agent].append(score)
            per_category[category].append(score)
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_([a for a in per_agent if a]))).all())
    return {"csat": {m: csat(s) for m, s in per_month["csat"].items()},
            "nps": {m: nps(s) for m, s in per_month["nps"].items()},
            "agents": sorted(((names.get(a, "—"), csat(s)) for a, s in per_agent.items()), key=lambda r: r[0]),
            "categories": sorted(((c, csat(s)) for c, s in per_category.items()), key=lambda r: r[0])}


def month_score(scores: dict[date, Score], month: date):
    found = scores.get(month)
    return None if found is None else found.value
