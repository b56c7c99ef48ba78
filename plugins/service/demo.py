"""Demo data: customer service over lending's replayed months, through the services, cheaply.

On the first replayed day the team is formed (two agents, a supervisor), a few
SLA targets, Spain's national public holidays of the replayed years and three
canned answers are written. Then, over the replay's last :data:`RECENT_DAYS` days, on about two working days in five a customer
calls or writes (a borrower about a repayment, an investor about a
withdrawal…); the next days the agents answer, some tickets wait on the
customer, repayment questions go to collections when it is enabled and it
answers, most are solved and many customers answer the CSAT survey. Every
record carries its replayed date. Demo users log in with ``<username>-demo-pass``.
"""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from core import context
from core.accounts import create_user
from core.demo import demo_password
from core.errors import UserError
from core.models.user import User
from plugins.lending.models import Customer, Loan
from plugins.service.models import CannedAnswer, Holiday, SlaTarget, Survey, Ticket
from plugins.service.services import escalation, routing, surveys, tickets

TEAM = (("sofia.service", "service_agent"), ("tomas.service", "service_agent"), ("uma.service", "service_supervisor"))
#: Spain's national holidays that fall on fixed dates (month, day).
FIXED_HOLIDAYS = ((1, 1, "Año Nuevo"), (1, 6, "Epifanía"), (5, 1, "Día del Trabajo"), (8, 15, "Asunción"),
                  (10, 12, "Fiesta Nacional"), (11, 1, "Todos los Santos"), (12, 6, "Constitución"),
                  (12, 8, "Inmaculada Concepción"), (12, 25, "Navidad"))
#: The desk's story covers the replay's last months only: the demo stays cheap (about 20 tickets, two to three seconds).
RECENT_DAYS = 75
SUBJECTS = {"repayment": "Question about my next repayment", "withdrawal": "When will my withdrawal arrive?",
            "investment": "How is my investment doing?", "account": "Change of address",
            "dispute": "I do not agree with the fee", "complaint": "Nobody called me back"}


def _setup(session, day: date) -> None:
    for username, role in TEAM:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            create_user(session, username, demo_password(username), roles=[role], full_name=username.split(".")[0]
                        .title())
    for year in (day.year, day.year + 1, day.year + 2):
        for month, dom, name in FIXED_HOLIDAYS:
            session.add(Holiday(day=date(year, month, dom), name=name))
    session.add(SlaTarget(category="complaint", priority="normal", first_response_minutes=120,
                          resolution_minutes=1080))
    session.add(SlaTarget(category="withdrawal", priority="normal", first_response_minutes=120,
                          resolution_minutes=540))
    for title, body in (("Repayment date", "Dear {name}, your next installment is due on the date shown in your "
                                          "loan schedule. Reply to this message if anything is unclear."),
                        ("Withdrawal timing", "Dear {name}, withdrawals reach your bank within two working days."),
                        ("Thanks", "Thank you, {name}. We are glad we could help.")):
        session.add(CannedAnswer(title=title, body=body, category="", active=True))
    session.flush()


def day(session, today: date, story) -> None:
    rng = random.Random(today.toordinal())
    team = session.execute(select(User.id, User.username).where(User.username.in_([t[0] for t in TEAM]))).all()
    if not team:
        _setup(session, today)
        team = session.execute(select(User.id, User.username).where(User.username.in_([t[0] for t in TEAM]))).all()
    agents = [uid for uid, name in team if name != "uma.service"]
    if today.weekday() >= 5 or (story.today - today).days > RECENT_DAYS:
        return
    if rng.random() < 0.4:
        _new_ticket(session, rng, agents)
    _work(session, rng, today, agents)
    if today.weekday() == 0:
        escalation.check_slas(session)
        tickets.close_solved(session, 7)


def _new_ticket(session, rng: random.Random, agents: list[int]) -> None:
    customer = session.scalars(select(Customer).where(Customer.id == rng.randint(1, 400))).first() or \
        session.scalars(select(Customer).limit(1)).first()
    if customer is None:
        return
    category = rng.choice(list(SUBJECTS) + ["repayment", "withdrawal"])
    loan = session.scalars(select(Loan.id).where(Loan.customer_id == customer.id).limit(1)).first()
    channel = rng.choice(("phone", "phone", "email", "web"))
    tickets.open_ticket(session, subject=SUBJECTS[category], channel=channel, category=category,
                        priority=rng.choice(("normal", "normal", "high", "low")), customer_id=customer.id,
                        loan_id=loan if category == "repayment" else None, author_id=rng.choice(agents),
                        body="The customer asked about it." if channel == "phone" else "Hello, I have a question.")


def _work(session, rng: random.Random, today: date, agents: list[int]) -> None:
    active = session.scalars(select(Ticket).where(Ticket.status.in_(("new", "open", "waiting_customer",
                                                                     "waiting_department")))
                             .order_by(Ticket.id).limit(20)).all()
    departments = routing.departments(context.plugin_manager(session))
    for ticket in active:
        if rng.random() < 0.35:
            continue  # not today: some tickets wait (and some breach)
        agent = ticket.assignee_id or rng.choice(agents)
        try:
            if ticket.status == "new":
                tickets.reply(session, ticket, "Thank you for writing; we are looking into it.", agent)
            elif ticket.status == "waiting_department":
                routing.answer(session, ticket, ticket.department, "Arrangement agreed with the borrower.")
            elif ticket.category == "repayment" and "collections" in departments and not ticket.department:
                routing.route(session, ticket, "collections", "Please agree a new repayment date.", agent)
            elif ticket.status == "open" and rng.random() < 0.2:
                tickets.change_status(session, ticket, "waiting_customer", agent)
            else:
                tickets.reply(session, ticket, "This is solved; thank you for your patience.", agent)
                tickets.change_status(session, ticket, "solved", agent)
                _answer_survey(session, rng, ticket)
        except UserError:
            continue


def _answer_survey(session, rng: random.Random, ticket: Ticket) -> None:
    survey = session.scalars(select(Survey).where(Survey.ticket_id == ticket.id)).first()
    if survey is not None and rng.random() < 0.6:
        surveys.answer(session, survey.token, rng.choice((5, 5, 4, 4, 4, 3, 2, 5, 1)))


