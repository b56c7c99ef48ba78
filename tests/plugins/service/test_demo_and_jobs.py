"""The demo story, the jobs, models against migrations, query budgets, and service without collections."""
from datetime import timedelta

from sqlalchemy import func, select

from core.testing import assert_query_budgets, query_counts


def _demo(mutuo_db, loader, scale=1):
    def run(session):
        return loader(session, scale)

    return mutuo_db.transaction(run, actor="cli:demo load")


def test_the_demo_tickets_show_their_sla_on_the_business_calendar(mutuo_db):
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo
    from plugins.service.models import Holiday, Survey, Ticket, TicketMessage

    _demo(mutuo_db, products_demo)
    _demo(mutuo_db, lending_demo, 1)

    def read(session):
        states = dict(session.execute(select(Ticket.sla_state, func.count()).group_by(Ticket.sla_state)).all())
        routed = session.scalar(select(func.count()).select_from(TicketMessage)
                                .where(TicketMessage.kind == "department"))
        answered = session.scalar(select(func.count()).select_from(Survey).where(Survey.score.is_not(None)))
        holidays = session.scalar(select(func.count()).select_from(Holiday))
        due = session.execute(select(Ticket.created_at, Ticket.first_response_due)).all()
        return states, routed, answered, holidays, due

    states, routed, answered, holidays, due = mutuo_db.transaction(read)
    assert sum(states.values()) >= 20 and states.get("met") and states.get("breached")
    assert routed and answered and holidays
    assert all(first > created for created, first in due)


def test_the_jobs_run_as_the_scheduler_runs_them(mutuo_db, run_job):
    from plugins.service.services import tickets

    def old(session):
        ticket = tickets.open_ticket(session, subject="Old", channel="web", contact_email="o@example.com")
        ticket.created_at = ticket.created_at - timedelta(days=30)

    mutuo_db.transaction(old)
    run = run_job("service.check_slas")
    assert run.status == "succeeded", run.error
    assert "1 tickets checked" in run.summary and "1 escalated" in run.summary
    run = run_job("service.close_solved")
    assert run.status == "succeeded", run.error


def test_models_agree_with_migrations(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db)


BUDGETS = {"/service/tickets": 6, "/service/tickets/{ticket}": 14, "/service/customers/{customer}": 14}


def test_pages_keep_their_query_budgets(logged_in, mutuo_db, world):
    from plugins.service.services import tickets

    customer = world.customer(email="q@example.com")
    customer_id = customer.id
    world.session.commit()
    world.session.close()

    def make(count):
        def run(session):
            made = [tickets.open_ticket(session, subject=f"T{n}", channel="phone", customer_id=customer_id)
                    for n in range(count)]
            for ticket in made:
                tickets.add_note(session, ticket, "noted", None)
            return made[0].id
        return mutuo_db.transaction(run)

    ticket = make(3)
    app = logged_in(permissions=("core.dashboard.view", "service.ticket.view", "service.ticket.view_all",
                                 "service.ticket.manage", "service.customer.view", "lending.customer.view",
                                 "lending.loan.view"))
    few = query_counts(app, mutuo_db.engine, BUDGETS, ticket=ticket, customer=customer_id)
    make(17)
    many = query_counts(app, mutuo_db.engine, BUDGETS, ticket=ticket, customer=customer_id)
    assert_query_budgets(few, many, BUDGETS)


def test_search_and_lookup_find_tickets_by_phone_and_subject(logged_in, mutuo_db):
    from plugins.service.services import tickets

    made = mutuo_db.transaction(lambda s: tickets.open_ticket(s, subject="Lost card", channel="web",
                                                              contact_phone="611 222 333").id)
    app = logged_in(permissions=("core.dashboard.view", "service.ticket.view", "service.ticket.manage"))
    assert "Lost card" in app.get("/service/tickets", {"q": "+34611222333"}).text
    assert [r["id"] for r in app.get("/lookup/service.ticket", {"q": "lost"}).json["results"]] == [made]
    assert "Lost card" in app.get("/search", {"q": "lost card"}).text
    assert "My open tickets" in app.get("/").text
