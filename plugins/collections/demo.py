"""Demo data: a collections team working lending's replayed loan book, day by day, through the services.

Lending's demo replays 18 months of history (see plugins/lending/demo.py);
on each replayed day it calls ``lending_demo_day``, implemented here by
:func:`day`: on the first day the team is formed (collectors holding stage
queues, some with the regions where most loans are, generalists for the
rest, a supervisor); from then on, on every day with open cases, the daily
jobs run as the scheduler runs them after close of business (sync, promises,
assignment, action items), a team target is set and split on the first
working day of each month, and the collectors work their queues: a contact
every few days per case — no answer, a text, a talk, a promise to pay. A
borrower who is going to pay soon (``story.next_payment``) promises that day
and keeps it; others promise and break it, or are not reached. Cases are
opened, re-staged and closed by lending's events as the days are closed, so
every record carries its replayed date.

:func:`load` (``mutuo_demo_data``, after lending) sets up the same team on a
book loaded without this plugin's day, runs the jobs once for today and says
what the story built.

Demo users log in with ``<username>-demo-pass`` (development only).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, select

from core.accounts import create_user
from core.demo import demo_password
from core.errors import UserError
from core.formatting import current
from core.i18n import translate
from core.models.user import User
from core.money import money
from plugins.collections.i18n import _
from plugins.collections.models import OPEN_STATUSES, Case, Contact, Promise, Target
from plugins.collections.services import actions, assignment, cases, config, contacts, escalation, strategies, targets
from plugins.lending.models import Loan

DEFAULT_REGIONS = ("North", "South", "East")


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
    for n in range(min(scale // 5, 10)):  # bigger books, bigger team
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


#: What the demo collectors write (notes, the SMS to debtors) is in the company's language.
DEMO_SMS = _("We are waiting for your payment; please call us.")
#: days between two contacts on one case, by stage
CADENCE = {"early": 4, "mid": 6, "late": 9}
#: (weight, channel, outcome, note) when the borrower is not about to pay
NOT_PAYING = ((30, "call", "no_answer", ""), (15, "sms", "no_answer", ""),
              (15, "call", "right_party_contact", _("Knows about the delay, will call back")),
              (22, "call", "promise_to_pay", _("Promised to pay after payday")),
              (6, "call", "third_party", _("Spoke to a relative")),
              (4, "call", "wrong_number", _("Number belongs to someone else")),
              (4, "call", "refused", _("Refuses to pay until the statement is checked")),
              (4, "visit", "dispute", _("Says the amount is wrong; wants the statement")))
STATE = "collections.demo"


class Desk:
    """The team's memory across replayed days (kept in the session for lending's demo transaction)."""

    def __init__(self, session, scale: int):
        self.rng = random.Random(11)
        self.scale = scale
        self.company = strategies.company_language(session)
        self.last_contact: dict[int, date] = {}
        self.targets: set[date] = set()


def _desk(session, story) -> Desk:
    desk = session.info.get(STATE)
    if desk is None:
        strategies.ensure_defaults(session)
        _team(session, story.scale)
        desk = session.info[STATE] = Desk(session, story.scale)
    return desk


def day(session, day: date, story) -> None:
    """One replayed day of the collections department (the hook ``lending_demo_day``)."""
    desk = _desk(session, story)
    if not session.scalar(select(func.count()).select_from(Case).where(Case.status.in_(OPEN_STATUSES))):
        return  # nothing open: the jobs would change nothing (an empty book has no cases to work)
    # The daily jobs, as the scheduler runs them after close of business; the promise and assignment jobs
    # only when they have something to do (else they change nothing).
    cases.sync(session)
    if session.scalar(select(exists().where(Promise.status == "pending"))):
        contacts.check_promises(session)
    if session.scalar(select(exists().where(Case.status.in_(OPEN_STATUSES), Case.needs_assignment.is_(True)))):
        assignment.assign_cases(session)
    actions.create_due_items(session)
    month = day.replace(day=1)
    if month not in desk.targets:
        desk.targets.add(month)
        _target(session, month, _("Demo: two fifths of what is overdue at the start of the month"))
    _work(session, day, story, desk)
    _escalate_hopeless(session, day, story, desk)


#: A supervisor sends a late case to legal once it is this many days overdue and the borrower is not going to pay.
ESCALATE_AFTER_DAYS = 120


def _escalate_hopeless(session, today: date, story, desk: Desk) -> None:
    """Late cases whose borrower will not pay go to legal (with ``legal`` enabled its hook opens a matter)."""
    late = session.scalars(select(Case).where(Case.status == "open", Case.stage.in_(escalation.ESCALATABLE_STAGES),
                                              Case.overdue_since <= today - timedelta(days=ESCALATE_AFTER_DAYS))
                           .order_by(Case.id)).all()
    for case in late:
        if story.next_payment(case.loan_id) is None:
            escalation.escalate(session, case, translate(_("Demo: four months overdue and no payment in sight"),
                                                         desk.company))


def _target(session, month: date, note) -> None:
    if targets.get_target(session, month) is not None:
        return
    open_amount = session.scalar(select(func.sum(Case.overdue_amount)).where(Case.status.in_(OPEN_STATUSES))) or 0
    amount = max(money(Decimal(open_amount) * Decimal("0.4") / 100) * 100, Decimal("1000.00"))
    target = targets.set_target(session, month, amount, translate(note, strategies.company_language(session)))
    targets.split_evenly(session, target)


def _work(session, today: date, story, desk: Desk) -> int:
    """Each collector contacts the cases of their queue that are due a contact; returns how many were logged."""
    made = 0
    rng = desk.rng
    for case in session.scalars(select(Case).where(Case.status.in_(("open", "escalated")),
                                                   Case.collector_id.is_not(None)).order_by(Case.id)):
        last = desk.last_contact.get(case.id)
        if last is not None and (today - last).days < CADENCE[case.stage]:
            continue
        if last is None and rng.random() < 0.5:
            continue  # the queue is long: not every new case is called on its first day
        paying = story.next_payment(case.loan_id)
        extra: dict = {}
        if paying is not None and 0 <= (paying - today).days <= 14:
            channel, outcome, note = "call", "promise_to_pay", _("Will pay the arrears on the agreed day")
            due = paying
        else:
            weights = [w for w, *_rest in NOT_PAYING]
            _w, channel, outcome, note = rng.choices(NOT_PAYING, weights)[0]
            due = today + timedelta(days=rng.choice((2, 3, 5, 7)))
        if outcome == "promise_to_pay":
            limit = contacts.promise_limit(session, case, today)
            if limit <= 0:
                channel, outcome, note = NOT_PAYING[0][1:]
            else:
                share = Decimal("1") if paying is not None else Decimal(rng.choice(("0.3", "0.5", "1")))
                extra = {"promise_amount": max(money(limit * share), Decimal("0.01")), "promise_due": due}
        try:
            contacts.log_contact(session, case, case.collector_id, channel=channel, outcome=outcome,
                                 note=translate(note, desk.company) if note else "",
                                 message=translate(DEMO_SMS, desk.company) if channel == "sms" else "",
                                 next_action_on=today + timedelta(days=CADENCE[case.stage]), **extra)
        except UserError:
            continue  # e.g. no phone on file for an SMS: a real collector would choose another channel
        desk.last_contact[case.id] = today
        made += 1
    return made


def load(session, scale: int) -> str:
    """The team and today's jobs when lending's demo ran without this plugin's day; what the story built."""
    strategies.ensure_defaults(session)
    members = _team(session, scale)
    cases.sync(session)
    contacts.check_promises(session)
    assignment.assign_cases(session)
    actions.create_due_items(session)
    today = config.today(session)
    _target(session, today.replace(day=1), _("Demo: two fifths of what is overdue at the start of the month"))
    opened = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    promised = dict(session.execute(select(Promise.status, func.count()).group_by(Promise.status)).all())
    months = {(d.year, d.month) for d in session.scalars(select(Case.opened_on).distinct())}
    fmt = current()
    return fmt.translate(_("${collectors} collectors with stage queues; ${cases} cases over ${months} months "
                           "(${open} open, ${written_off} written off); ${contacts} contacts; promises: ${kept} kept, "
                           "${broken} broken, ${pending} pending; ${targets} monthly targets", mapping={
                               "collectors": fmt.number(len(members)), "cases": fmt.number(sum(opened.values())),
                               "months": fmt.number(len(months)),
                               "open": fmt.number(sum(opened.get(s, 0) for s in OPEN_STATUSES)),
                               "written_off": fmt.number(opened.get("written_off", 0)),
                               "contacts": fmt.number(session.scalar(select(func.count()).select_from(Contact))),
                               "kept": fmt.number(promised.get("kept", 0)),
                               "broken": fmt.number(promised.get("broken", 0)),
                               "pending": fmt.number(promised.get("pending", 0)),
                               "targets": fmt.number(session.scalar(select(func.count()).select_from(Target)))}))
