"""Demo data: a marketing team over lending's replayed months, through the services (``lending_demo_day``).

On the replay's first day the channels are set up; on the first day of each
quarter a programme for the year (a parent campaign) and a campaign per paid
channel start, each with a budget, a planned cost and a tracked link; on the
first day of each month every active campaign books its actual cost (some
run over budget, which the dashboard flags). Every day, visitors click the
links: some of the people lending is about to register (the story's next
customers, whose e-mail the story will use) click once or a few times and
leave their e-mail on the sign-up page; when lending then creates them, their
clicks become touchpoints through the same ``lending_customer_created`` path
as live, and their verification, first loan and first investment become
conversions credited under every model. A few anonymous clicks never convert.
Seeded: the same on every run; a few hundred rows a month.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import select

from core.money import money
from plugins.marketing.models import Campaign, Channel, Link
from plugins.marketing.services import campaigns, tracking

CHANNELS = (("Social ads", "social", Decimal("6000")), ("Search ads", "search", Decimal("9000")),
            ("Messaging groups", "messaging", Decimal("2000")), ("Finance forums", "forum", Decimal("1500")),
            ("Partner referrals", "partner", Decimal("3000")), ("Display network", "display", Decimal("4000")))
STATE = "marketing_demo"


class _State:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.pending: dict[int, str] = {}  # the story's customer number -> visitor id
        self.prepared = 0
        self.links: list[int] = []


def _state(story) -> _State:
    found = getattr(story, STATE, None)
    if found is None:
        found = _State(41)
        setattr(story, STATE, found)
    return found


def _moment(day: date, rng) -> datetime:
    return datetime.combine(day, time(rng.randrange(6, 11), rng.randrange(60)), tzinfo=UTC)


def _quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


def _start_quarter(session, state: _State, day: date) -> None:
    year_name = f"Acquisition {day.year}"
    programme = session.scalar(select(Campaign).where(Campaign.name == year_name))
    channels = session.scalars(select(Channel).where(Channel.kind != "direct").order_by(Channel.id)).all()
    if programme is None:
        programme = campaigns.create_campaign(session, name=year_name, channel_id=channels[0].id, starts_on=day,
                                              ends_on=date(day.year, 12, 31), budget=Decimal("0.00"), goal="funded",
                                              audience="Everyone we want to reach this year", status="active")
    for old in session.scalars(select(Campaign).where(Campaign.status == "active", Campaign.parent_id.is_not(None))):
        old.status = "closed"
    quarter = (day.month - 1) // 3 + 1
    end = date(day.year + (quarter == 4), 1 if quarter == 4 else day.month + 3, 1)
    state.links = []
    for channel, (_name, _kind, budget) in zip(channels, CHANNELS, strict=True):
        campaign = campaigns.create_campaign(
            session, name=f"{channel.name} Q{quarter} {day.year}", channel_id=channel.id, parent_id=programme.id,
            starts_on=day, ends_on=date.fromordinal(end.toordinal() - 1), budget=budget,
            goal="first_investment" if channel.kind == "forum" else "funded",
            audience="Savers 30-60" if channel.kind == "forum" else "Small businesses and households", status="active")
        campaigns.add_spend(session, campaign, day, budget, "planned", "Quarter plan")
        link = tracking.create_link(session, campaign, "https://www.example.test/join", channel.kind,
                                    f"q{quarter}{day.year % 100}{channel.kind[:4]}")
        state.links.append(link.id)


def _book_costs(session, state: _State, day: date) -> None:
    for campaign in session.scalars(select(Campaign).where(Campaign.status == "active",
                                                           Campaign.parent_id.is_not(None))):
        share = Decimal(state.rng.randrange(70, 140)) / 100  # some months run hot: the budget alert fires
        campaigns.add_spend(session, campaign, day, money(campaign.budget / 3 * share), "actual",
                            f"Invoice {day:%Y-%m}")


def _click(session, state: _State, visitor: str, day: date) -> None:
    link = session.get(Link, state.rng.choice(state.links))
    tracking.record_click(session, link, visitor, state.rng.choice(("", "https://www.google.com/", "")),
                          at=_moment(day, state.rng))


def day(session, day: date, story) -> None:
    state = _state(story)
    if not session.scalar(select(Channel.id).limit(1)):
        for name, kind, _budget in CHANNELS:
            campaigns.create_channel(session, name, kind)
        campaigns.create_channel(session, "Direct", "direct")
        _start_quarter(session, state, day)
    elif _quarter_start(day):
        _start_quarter(session, state, day)
    if day.day == 1:
        _book_costs(session, state, day)
    rng = state.rng
    for number in [n for n in state.pending if n <= story.n]:
        del state.pending[number]  # registered: lending's event turned the clicks into touchpoints
    for visitor in list(state.pending.values()):
        if rng.random() < 0.3:  # comes back through another campaign before registering
            _click(session, state, visitor, day)
    while state.prepared < story.n + 3:
        state.prepared += 1
        if rng.random() < 0.65:  # the others find us by themselves
            visitor, _new = tracking.visitor_id(None)
            _click(session, state, visitor, day)
            tracking.identify_visitor(session, visitor, email=f"customer{state.prepared}@example.test")
            state.pending[state.prepared] = visitor
    for _n in range(rng.randrange(0, 2)):  # visitors who never register
        _click(session, state, tracking.visitor_id(None)[0], day)
