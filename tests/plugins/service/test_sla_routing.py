"""SLA deadlines on the business calendar, breach escalation, routing through hooks, CSAT/NPS, announcements."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import hookimpl
from core.errors import ConflictError, UserError
from core.models.message import Message
from plugins.service.models import Holiday, SlaTarget, TicketMessage
from plugins.service.services import announcements, escalation, routing, sla, surveys, tickets


def at(*args):
    return datetime(*args, tzinfo=UTC)  # the test company's time zone is UTC


def _ticket(session, world, created, category="other", priority="normal", channel="email"):
    customer = world.customer(email="c@example.com")
    ticket = tickets.open_ticket(session, subject="Q", channel=channel, category=category, priority=priority,
                                 customer_id=customer.id)
    ticket.created_at = created
    sla.refresh(session, ticket, created)
    return ticket


def test_deadlines_at_the_end_of_the_day_on_friday_evening_and_over_a_holiday(session, world):
    session.add(SlaTarget(category="other", priority="normal", first_response_minutes=60, resolution_minutes=120))
    session.add(Holiday(day=date(2026, 12, 8), name="Inmaculada"))
    session.flush()
    end_of_day = _ticket(session, world, at(2026, 12, 2, 17, 30))  # Wednesday
    assert end_of_day.first_response_due == at(2026, 12, 3, 9, 30)
    friday = _ticket(session, world, at(2026, 12, 4, 17, 0))
    assert friday.first_response_due == at(2026, 12, 4, 18, 0)
    assert friday.resolution_due == at(2026, 12, 7, 10, 0)
    holiday = _ticket(session, world, at(2026, 12, 7, 17, 30))  # Monday; Tuesday is the holiday
    assert holiday.resolution_due == at(2026, 12, 9, 10, 30)


def test_waiting_on_the_customer_moves_the_deadline(session, world, monkeypatch):
    ticket = _ticket(session, world, at(2026, 12, 2, 10, 0), priority="high")  # 60 / 540 minutes
    assert ticket.resolution_due == at(2026, 12, 3, 10, 0)
    monkeypatch.setattr("plugins.service.services.tickets.utcnow", lambda: at(2026, 12, 2, 10, 30))
    tickets.reply(session, ticket, "Send the form", None)
    monkeypatch.setattr("plugins.service.services.tickets.utcnow", lambda: at(2026, 12, 2, 12, 0))
    tickets.change_status(session, ticket, "waiting_customer")
    assert ticket.sla_state == "paused"
    monkeypatch.setattr("plugins.service.services.tickets.utcnow", lambda: at(2026, 12, 3, 12, 0))
    tickets.customer_wrote(session, ticket, "Sent")
    assert ticket.resolution_due == at(2026, 12, 4, 10, 0)  # 7 business hours were left at 12:00


def test_the_job_marks_near_breaches_and_escalates_breaches_once(session, world, mutuo_db):
    recorded = []

    class Listener:
        @hookimpl
        def service_ticket_escalated(self, ticket, reason):
            recorded.append((ticket.id, reason))

    mutuo_db.pm.register(Listener(), name="escalation-listener")
    try:
        ticket = _ticket(session, world, at(2026, 12, 2, 9, 0))  # normal: 240 minutes to respond
        run = escalation.check_slas(session, now=at(2026, 12, 2, 12, 30))
        assert ticket.sla_state == "at_risk" and run.at_risk == 1
        run = escalation.check_slas(session, now=at(2026, 12, 2, 13, 30))
        assert ticket.sla_state == "breached" and run.escalated == 1 and ticket.escalated_at is not None
        assert ticket.priority == "high"
        assert escalation.check_slas(session, now=at(2026, 12, 2, 14, 0)).escalated == 0
        assert recorded == [(ticket.id, "first_response")]
        notes = session.scalars(select(TicketMessage.body).where(TicketMessage.kind == "note")).all()
        assert any("breached" in n for n in notes)
    finally:
        mutuo_db.pm.unregister(name="escalation-listener")


class Complaints:
    """A test department: takes complaints, acknowledges them, answers when asked."""

    def __init__(self):
        self.routed, self.answered = [], []

    @hookimpl
    def service_departments(self):
        return [{"name": "complaints", "title": "Complaints desk", "permission": "service.report.view"}]

    @hookimpl
    def service_ticket_routed(self, ticket, department):
        if department == "complaints":
            self.routed.append(ticket.id)
            return "Complaint 7 opened"
        return None

    @hookimpl
    def service_ticket_answer(self, ticket, department):
        return "We refunded the fee" if department == "complaints" else None

    @hookimpl
    def service_ticket_answered(self, ticket, department, answer):
        self.answered.append((ticket.id, answer))


def test_routing_to_another_plugins_queue_and_back_through_hooks(session, world, mutuo_db):
    desk = Complaints()
    mutuo_db.pm.register(desk, name="complaints-desk")
    try:
        names = routing.departments(mutuo_db.pm)
        assert names["complaints"].title == "Complaints desk" and "collections" in names and "legal" not in names
        ticket = _ticket(session, world, at(2026, 12, 2, 9, 0), category="complaint")
        tickets.reply(session, ticket, "We are on it", None)
        routing.route(session, ticket, "complaints", "Refund?", None)
        assert ticket.status == "waiting_department" and desk.routed == [ticket.id]
        assert [m.body for m in ticket.messages if m.kind == "department"] == ["Complaint 7 opened"]
        assert routing.ask_departments(session) == 1
        assert ticket.status == "open" and desk.answered == [(ticket.id, "We refunded the fee")]
        told = session.scalars(select(Message.body).where(Message.address == "c@example.com")).all()
        assert any("We refunded the fee" in body for body in told)  # the customer is informed
    finally:
        mutuo_db.pm.unregister(name="complaints-desk")


def test_routing_refuses_a_department_that_is_not_enabled(session, world):
    ticket = _ticket(session, world, at(2026, 12, 2, 9, 0))
    with pytest.raises(UserError) as refused:
        routing.route(session, ticket, "legal", "", None)  # legal is not enabled in these tests
    assert refused.value.field == "department"
    routing.route(session, ticket, "collections", "Arrangement", None)
    with pytest.raises(ConflictError):
        routing.answer(session, ticket, "risk", "not ours")


def test_csat_and_nps_arithmetic():
    assert surveys.csat([5, 4, 3, 1]) == surveys.Score(4, Decimal("50.0"), Decimal("3.25"))
    assert surveys.csat([]) == surveys.Score(0, None, None)
    # 3 promoters, 2 passives, 2 detractors out of 7: (3 - 2) / 7 = 14.3
    assert surveys.nps([10, 9, 9, 8, 7, 6, 0]).value == Decimal("14.3")
    assert surveys.nps([10, 10]).value == Decimal("100.0")
    assert surveys.nps([0, 6]).value == Decimal("-100.0")


def test_a_survey_is_answered_once_within_its_range(session, world):
    customer = world.customer(email="s@example.com")
    ticket = tickets.open_ticket(session, subject="Call", channel="phone", customer_id=customer.id)
    tickets.change_status(session, ticket, "solved")
    survey = ticket and session.scalars(select(surveys.Survey)).one()
    with pytest.raises(UserError):
        surveys.answer(session, survey.token, 6)
    surveys.answer(session, survey.token, 5, "Great")
    with pytest.raises(ConflictError):
        surveys.answer(session, survey.token, 4)
    assert surveys.send_nps(session, limit=10) >= 1
    assert surveys.send_nps(session, limit=10) == 0  # not asked twice within 90 days


def test_announcements_respect_consent_and_reach_their_segment(session, world):
    from core.messages import opt_out

    world.customer(role="investor", email="inv@example.com")
    world.customer(role="borrower", email="bor@example.com")
    world.customer(role="investor", email="quiet@example.com")
    opt_out(session, "email", "quiet@example.com", "test")
    notice = announcements.create(session, "Maintenance", "Sunday 2:00–4:00", "investors")
    assert announcements.send(session, notice, ("email",)) == 2
    rows = dict(session.execute(select(Message.address, Message.status)
                                .where(Message.entity_type == "service.announcement")).all())
    assert rows["quiet@example.com"] == "suppressed" and rows["inv@example.com"] != "suppressed"
    assert "bor@example.com" not in rows
    assert announcements.delivery(session, notice).get("suppressed") == 1
    assert announcements.notice_board(session)[0]["title"] == "Maintenance"
    with pytest.raises(ConflictError):
        announcements.send(session, notice, ("email",))
