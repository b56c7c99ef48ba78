"""Demo data: a collections team on top of lending's demo loan book, through the services.

Lending's demo replays a year of history and closes the last 90 business
dates without firing events, so its overdue loans have no case yet: the
daily sync (the same service as the job ``collections.sync_cases``) opens
them here. Then the team: collectors holding stage queues, some with the
regions where most loans are, generalists for the rest, a supervisor; the
assignment job spreads the cases over them; the action-item job creates
today's items; a month target is set and split; a few contacts and promises
are logged so the queue and the reports have something to show. From then
on ``lending.close_of_business`` opens and moves cases through the events,
and ``collections.assign_cases`` spreads them over the same collectors.

Demo users log in with ``<username>-demo-pass`` (development only).
"""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.accounts import create_user
from core.demo import demo_password
from core.errors import UserError
from core.formatting import current
from core.i18n import translate
from core.models.user import User
from core.money import money
from plugins.collections.i18n import _
from plugins.collections.models import OPEN_STATUSES, Case
from plugins.collections.services import actions, assignment, cases, config, contacts, strategies, targets
from plugins.lending.models import Loan

DEFAULT_REGIONS = ("North", "South", "East")
MAX_CONTACTS = 120


def _regions(session) -> list[str]:
    rows = session.execute(select(Loan.region, func.count(Loan.id)).where(Loan.status == "active", Loan.region != "")
                           .group_by(Loan.region).order_by(func.count(Loan.id).desc(), Loan.region).limit(3)).all()
    found = [r for r, _n in rows]
    return found + [r for r in DEFAULT_REGIONS if r not in found][:3 - len(found)]


def _team_plan(regions: list[str], scale: int) -> list[tuple[str, tuple[str, ...], str]]:
    """(username, stages, region) of the demo collectors."""
    names = ("carla", "diego", "elena")
    plan = [(f"{names[i]}.early", ("early",), region) for i, region in enumerate(regions[:3])]
    plan += [("fran.early", ("early",), ""), ("gema.mid", ("mid",), regions[0]), ("hugo.mid", ("mid",), ""),
             ("ines.late", ("late",), "")]
    for n in range(min(max(scale - 1, 0), 10)):  # bigger books, bigger team
        plan.append((f"extra{n + 1}.{('early', 'mid')[n % 2]}", (("early", "mid")[n % 2],), ""))
    return plan


def _user(session, username: str, roles: list[str], region: str = "", full_name: str = "") -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(session, username, demo_password(username), full_name=full_name or username.title(),
                           email=f"{username}@example.test", roles=roles, region=region)
    return user


def _team(session, scale: int) -> list[User]:
    members = []
    for username, stages, region in _team_plan(_regions(session), scale):
        user = _user(session, username, ["collector"], region, f"{username.split('.')[0].title()} ({', '.join(stages)}{', ' + region if region else ''})")
        assignment.set_queues(session, user, stages)
        members.append(user)
    _user(session, "sara.supervisor", ["collections_supervisor"], "", "Sara (collections supervisor)")
    # The core demo user named after the role (mutuo.demo_users) works the early and mid queues too.
    core_collector = session.scalars(select(User).where(User.username == "collector")).first()
    if core_collector is not None:
        assignment.set_queues(session, core_collector, ("early", "mid"))
        members.append(core_collector)
    return members


OUTCOMES = (("call", "no_answer", ""), ("call", "right_party_contact", _("Knows about the delay, will call back")),
            ("call", "promise_to_pay", _("Promised to pay after payday")),
            ("call", "third_party", _("Spoke to a relative")),
            ("sms", "no_answer", ""), ("call", "wrong_number", _("Number belongs to someone else")),
            ("visit", "dispute", _("Says the amount is wrong; wants the statement")))
#: What the demo collectors write (notes, the SMS to debtors) is in the company's language.
DEMO_SMS = _("We are waiting for your payment; please call us.")


def _activity(session, rng: random.Random) -> tuple[int, int]:
    """A few contacts and promises on assigned cases (the queue and reports then show something)."""
    today = config.today(session)
    open_cases = list(session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES), Case.collector_id.is_not(None))
                                      .order_by(Case.id).limit(MAX_CONTACTS)))
    made = promised = 0
    company = strategies.company_language(session)
    for case in open_cases[::2]:
        channel, outcome, note = rng.choice(OUTCOMES)
        extra = {}
        if outcome == "promise_to_pay":
            half = money(contacts.promise_limit(session, case, today) / 2)
            if half <= 0:
                channel, outcome, note = OUTCOMES[1]  # nothing owed today: nothing to promise
            else:
                extra = {"promise_amount": half, "promise_due": today + timedelta(days=rng.choice((0, 1, 3, 7)))}
        try:
            contacts.log_contact(session, case, case.collector_id, channel=channel, outcome=outcome,
                                 note=translate(note, company) if note else "",
                                 message=translate(DEMO_SMS, company) if channel == "sms" else "",
                                 next_action_on=today + timedelta(days=rng.choice((1, 2, 5))), **extra)
        except UserError:
            continue  # e.g. no phone on file for an SMS: a real collector would choose another channel
        made += 1
        promised += outcome == "promise_to_pay"
    return made, promised


def load(session, scale: int) -> str:
    rng = random.Random(11)
    strategies.ensure_defaults(session)
    synced = cases.sync(session)
    members = _team(session, scale)
    run = assignment.assign_cases(session)
    items = actions.create_due_items(session)
    today = config.today(session)
    open_amount = session.scalar(select(func.sum(Case.overdue_amount)).where(Case.status.in_(OPEN_STATUSES))) or 0
    target = targets.set_target(session, today.replace(day=1), money(Decimal(open_amount) / 5) or Decimal("10000.00"),
                                translate(_("Demo: a fifth of what is overdue today"),
                                          strategies.company_language(session)))
    targets.split_evenly(session, target)
    made, promised = _activity(session, rng)
    fmt = current()
    return fmt.translate(_("${collectors} collectors with stage queues; ${synced}; ${assigned}; ${items} action "
                           "items; ${contacts} contacts, ${promises} promises", mapping={
                               "collectors": fmt.number(len(members)), "synced": synced, "assigned": run.summary,
                               "items": fmt.number(sum(items.created.values())), "contacts": fmt.number(made),
                               "promises": fmt.number(promised)}))
