"""Tickets: channels, matching customers, the status flow, pauses, replies through core's messages."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from core.models.message import Message
from plugins.service.models import Survey, TicketPause
from plugins.service.services import tickets


def test_a_ticket_matches_its_customer_by_phone_or_email(session, world):
    customer = world.customer(phone="600 12 34 56", email="Ana@Example.com")
    by_phone = tickets.open_ticket(session, subject="Call", channel="phone", contact_phone="+34 600-123-456")
    by_email = tickets.open_ticket(session, subject="Mail", channel="email", contact_email="ana@example.COM ")
    assert by_phone.customer_id == customer.id and by_email.customer_id == customer.id
    stranger = tickets.open_ticket(session, subject="Who", channel="web", contact_email="nobody@example.com")
    assert stranger.customer_id is None


def test_refusals_name_their_field_and_write_nothing(session, world):
    with pytest.raises(UserError) as refused:
        tickets.open_ticket(session, subject=" ", channel="phone", contact_phone="600123456")
    assert refused.value.field == "subject"
    with pytest.raises(UserError) as refused:
        tickets.open_ticket(session, subject="x", channel="web")
    assert refused.value.field == "contact_phone"
    other = world.customer()
    loan = world.loan()
    with pytest.raises(UserError) as refused:
        tickets.open_ticket(session, subject="x", channel="phone", customer_id=other.id, loan_id=loan.id)
    assert refused.value.field == "loan_id"


def test_a_hotline_call_is_answered_as_it_is_logged(session, world):
    customer = world.customer()
    ticket = tickets.open_ticket(session, subject="Call", channel="phone", customer_id=customer.id, body="Asked",
                                 author_id=None)
    assert ticket.status == "open" and ticket.first_response_at is not None
    assert [m.kind for m in ticket.messages] == ["note"]


def test_the_flow_pauses_while_waiting_on_the_customer_and_solving_sends_a_survey(session, world):
    customer = world.customer(email="eva@example.com")
    ticket = tickets.open_ticket(session, subject="Web", channel="web", customer_id=customer.id, body="Help")
    assert ticket.status == "new"
    with pytest.raises(UserError):
        tickets.change_status(session, ticket, "solved")  # not answered yet
    tickets.reply(session, ticket, "Could you send your ID?", None)
    assert ticket.status == "open" and ticket.first_response_at is not None
    tickets.change_status(session, ticket, "waiting_customer")
    assert ticket.sla_state == "paused" and ticket.resolution_due is None
    tickets.customer_wrote(session, ticket, "Here it is")
    assert ticket.status == "open"
    pause = session.scalars(select(TicketPause)).one()
    assert pause.ended_at is not None and ticket.resolution_due is not None
    tickets.add_note(session, ticket, "ID checked", None)
    tickets.change_status(session, ticket, "solved")
    survey = session.scalars(select(Survey)).one()
    assert survey.kind == "csat" and survey.ticket_id == ticket.id
    sent = session.scalars(select(Message).where(Message.address == "eva@example.com")).all()
    assert len(sent) == 2  # the reply and the survey; the internal note never leaves
    assert all("ID checked" not in m.body for m in sent)
    tickets.change_status(session, ticket, "closed")
    with pytest.raises(ConflictError):
        tickets.change_status(session, ticket, "open")
    with pytest.raises(ConflictError):
        tickets.reply(session, ticket, "again", None)


def test_a_reply_respects_the_customers_consent(session, world):
    from core.messages import opt_out

    customer = world.customer(email="no@example.com")
    opt_out(session, "email", "no@example.com", "test")
    ticket = tickets.open_ticket(session, subject="Web", channel="web", customer_id=customer.id)
    tickets.reply(session, ticket, "Answer", None)
    assert session.scalars(select(Message.status)).all() == ["suppressed"]


def test_canned_answers_are_filled_for_the_customer(session, world):
    from plugins.service.models import CannedAnswer

    customer = world.customer()
    ticket = tickets.open_ticket(session, subject="Call", channel="phone", customer_id=customer.id)
    answer = CannedAnswer(title="Hi", body="Dear {name}, about #{ticket}.", category="", active=True)
    session.add(answer)
    session.flush()
    assert tickets.canned_text(session, answer.id, ticket) == f"Dear {customer.name}, about #{ticket.id}."


def test_solved_tickets_close_after_the_days_set(session, world):
    customer = world.customer()
    ticket = tickets.open_ticket(session, subject="Call", channel="phone", customer_id=customer.id)
    tickets.change_status(session, ticket, "solved")
    ticket.solved_at = datetime(2020, 1, 1, tzinfo=UTC)
    assert tickets.close_solved(session, 7) == 1 and ticket.status == "closed"
