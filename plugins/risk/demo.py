"""Demo data: the risk department reviewing lending's replayed applications, day by day, through its services.

On the first replayed day (``lending_demo_day``) the department is formed:
an analyst, a manager, a three-member loan committee, the starter scorecard,
the default rules and a small blacklist. Every application lending's story
submits is reviewed as it is submitted (scored, rules, screening); when the
story reaches its approval or rejection, lending asks risk to decide it
(``lending_demo_review``): the analyst clears the false blacklist hits,
approves what the rules let through, refers knock-outs and referrals to the
committee, which votes (and recuses itself now and then), and declines what
the story rejects. Meetings are closed on their date (minutes written), and
the analyst closes the early-warning signals lending's delinquency events
raise, putting the borrowers reported by collections on watch.

Cheap by design: the assessment report (a PDF) is written for committee
decisions and for one analyst decision in twenty; the rest are recorded in
the review and its audit trail.

Demo users log in with ``<username>-demo-pass`` (development only).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.accounts import create_user
from core.audit import Actor, current_actor, set_actor
from core.demo import demo_password
from core.formatting import current
from core.models.user import User
from plugins.risk.i18n import _
from plugins.risk.models import AgendaItem, BlacklistEntry, Hit, Meeting, Review, Signal
from plugins.risk.services import blacklist, committee, monitoring, reviews, rules, scorecards

TEAM = (("rita.analyst", ("risk_analyst",), "Rita (risk analyst)"),
        ("raul.manager", ("risk_manager",), "Raúl (risk manager)"),
        ("carmen.committee", ("risk_committee_member",), "Carmen (loan committee)"),
        ("pablo.committee", ("risk_committee_member",), "Pablo (loan committee)"),
        ("lucia.committee", ("risk_committee_member",), "Lucía (loan committee)"))
BLACKLIST = (("Ricardo Falso Moreno", "", "+34 699 000 111", "Identity fraud (forged payslips)", "Police report"),
             ("Grupo Humo SL", "B00000000", "", "Fictitious company", "Registry check"),
             ("Marta Impago Ruiz", "", "", "Court judgment for unpaid debts", "Court records"))
_RNG = random.Random(17)


def _user(session, username: str, roles, full_name: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(session, username, demo_password(username), full_name=full_name,
                           email=f"{username}@example.test", roles=list(roles))
    return user


def setup(session) -> dict[str, User]:
    """The department, its card, rules and blacklist (idempotent)."""
    people = {username: _user(session, username, roles, name) for username, roles, name in TEAM}
    scorecards.ensure_starter(session)
    for rule in rules.ensure_defaults(session):
        if rule.code == "RF_AMOUNT" and rule.limit == Decimal(30000):
            rule.limit = Decimal(15000)  # the demo department's policy: larger loans go to the committee
            session.info.pop(rules.CACHE, None)
    if not session.scalar(select(func.count(BlacklistEntry.id))):
        for name, id_number, phone, reason, source in BLACKLIST:
            blacklist.add_entry(session, name=name, id_number=id_number, phone=phone, reason=reason, source=source)
    return people


class _As:
    """Run a block as a demo user (who approved, voted and decided is recorded, as in real life)."""

    def __init__(self, session, user: User):
        self.session, self.user, self.before = session, user, None

    def __enter__(self):
        self.before = current_actor(self.session)
        set_actor(self.session, Actor(self.user.id, self.user.username))

    def __exit__(self, *exc):
        set_actor(self.session, self.before)


def _people(session) -> dict[str, User]:
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_([t[0] for t in TEAM])))}
    return found if len(found) == len(TEAM) else setup(session)


def review(session, application, approved: bool, reason: str) -> None:
    """The story approves or rejects a held application: the analyst, or the committee, decides it."""
    found = reviews.review_of(session, application.id)
    if found is None:
        return
    people = _people(session)
    with _As(session, people["rita.analyst"]):
        for hit in blacklist.open_hits(session, found.customer_id):
            blacklist.decide_hit(session, hit, "cleared", "Demo: a different person (birth date and address differ)")
        if found.status == "pending":
            found.screening = blacklist.screening_state(session, found.customer_id)
            if not approved:
                reviews.decide(session, found, recommendation="decline", level="high", reason=reason,
                               warnings="Demo: the applicant does not meet the criteria")
                return
            if found.rule_outcome == "decline" or found.screening == "hit":
                fired = ", ".join(r["code"] for r in found.rule_results if r["result"] == "fired")
                reviews.decide(session, found, recommendation="refer", level="high",
                               warnings=f"Demo: {fired or 'screening'}; the committee should weigh it")
            else:
                _analyst_approves(session, found)
                return
    if found.status == "referred":
        _committee_decides(session, found, approved, reason, people)


def _analyst_approves(session, found: Review) -> None:
    conditions = "Direct debit from the payroll account" if found.grade in ("D", "E") else ""
    reviews.decide(session, found, recommendation="approve_with_conditions" if conditions else "approve",
                   level=found.score_level or "medium", conditions=conditions,
                   warnings="" if found.grade in ("A", "B") else "Demo: watch the first installments",
                   report=found.id % 20 == 0)


def _committee_decides(session, found: Review, approved: bool, reason: str, people: dict[str, User]) -> None:
    item = session.scalar(select(AgendaItem).where(AgendaItem.review_id == found.id,
                                                   AgendaItem.decision == "pending").order_by(AgendaItem.id.desc()))
    if item is None:
        return
    members = list(item.meeting.members)
    for member in members:
        if not member.present:
            committee.set_attendance(session, item.meeting, member.user_id, True)
    recused = None
    if len(members) >= 3 and found.id % 7 == 0:
        recused = members[0].user_id
        committee.recuse(session, item, recused, "Demo: knows the borrower's family")
    for n, member in enumerate(members):
        if member.user_id == recused:
            continue
        if approved:
            choice, note = (("approve_with_conditions", "A guarantor signs the contract") if n == 1
                            else ("approve", ""))
        else:
            choice, note = ("decline", reason) if n != 2 else ("approve", "")
        committee.vote(session, item, member.user_id, choice, note)
    with _As(session, people["raul.manager"]):
        committee.decide_item(session, item)
    if found.status != "referred":
        reviews.write_report(session, found)


def day(session, day: date, story) -> None:
    """One replayed day of the risk department (``lending_demo_day``)."""
    due = session.scalars(select(Meeting).where(Meeting.status == "planned", Meeting.held_on <= day)
                          .order_by(Meeting.id)).all()
    if not due and day.weekday() != 0 and not (day.day == 1 and day.month % 3 == 0):
        return  # nothing for the department today (one query, not the team's)
    people = _people(session)
    with _As(session, people["raul.manager"]):
        for meeting in due:
            for member in meeting.members:
                if not member.present:
                    committee.set_attendance(session, meeting, member.user_id, True)
            committee.close_meeting(session, meeting)
    if day.day == 1 and day.month % 3 == 0:
        _press_report(session, people)
    if day.weekday() != 0:
        return
    week_ago = day - timedelta(days=7)
    with _As(session, people["rita.analyst"]):  # Monday: the analyst decides last week's blacklist hits
        for hit in session.scalars(select(Hit).where(Hit.status == "open", Hit.found_on <= week_ago)
                                   .order_by(Hit.id).limit(10)).all():
            blacklist.decide_hit(session, hit, "confirmed" if hit.id % 3 == 0 else "cleared",
                                 "Demo: checked the documents" if hit.id % 3 == 0 else
                                 "Demo: a namesake, different ID and birth date")
    with _As(session, people["rita.analyst"]):  # Monday: the analyst works last week's signals
        for signal in session.scalars(select(Signal).where(Signal.status == "open", Signal.raised_on <= week_ago)
                                      .order_by(Signal.id).limit(40)).all():
            watch = signal.kind in ("high_risk_report", "second_loan_late")
            monitoring.close_signal(session, signal, "Demo: called the borrower; " + (
                "put on watch" if watch else "temporary cash shortfall, will pay"), watch=watch)


def _press_report(session, people) -> None:
    """A quarterly press report names someone like one of our borrowers (another word order): a fuzzy hit."""
    from plugins.lending.models import Customer

    names = session.scalars(select(Customer.name).where(Customer.role != "investor").order_by(Customer.id)
                            .limit(50)).all()
    if not names:
        return
    words = _RNG.choice(names).split()
    with _As(session, people["rita.analyst"]):
        blacklist.add_entry(session, name=" ".join(reversed(words)), reason="Demo: named in a fraud investigation",
                            source="Press report")


def load(session, scale: int) -> str:
    """The department when lending's demo ran without this plugin's day; what the story built."""
    setup(session)
    fmt = current()
    statuses = dict(session.execute(select(Review.status, func.count(Review.id)).group_by(Review.status)).all())
    return fmt.translate(_("${reviews} reviews (${approved} approved, ${declined} declined, ${referred} with the "
                           "committee, ${pending} pending); ${meetings} committee meetings; ${hits} blacklist hits; "
                           "${signals} monitoring signals", mapping={
                               "reviews": fmt.number(sum(statuses.values())),
                               "approved": fmt.number(statuses.get("approved", 0)),
                               "declined": fmt.number(statuses.get("declined", 0)),
                               "referred": fmt.number(statuses.get("referred", 0)),
                               "pending": fmt.number(statuses.get("pending", 0)),
                               "meetings": fmt.number(session.scalar(select(func.count(Meeting.id)))),
                               "hits": fmt.number(session.scalar(select(func.count(Hit.id)))),
                               "signals": fmt.number(session.scalar(select(func.count(Signal.id))))}))
