"""Legal's screens through the authorization matrix and the record rules; the workflows through the pages."""
from __future__ import annotations

from datetime import date

import pytest
import webtest
from sqlalchemy import select

from core.models.user import User
from core.testing import csrf_token, login
from plugins.legal.models import Contract, Matter, Opinion, SealRequest
from plugins.legal.services import contracts, seals
from plugins.legal.services import opinions as opinion_service
from tests.plugins.legal.conftest import make_loan_template

TODAY = date(2025, 9, 1)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def book(session, world, make_user, mutuo_db, clock):
    """A generated loan agreement in review, a matter from an escalated case (lena's), a seal (carl's)."""
    from plugins.collections.services import escalate
    from plugins.collections.testing import overdue_case

    for name, role in (("lena", "lawyer"), ("lou", "lawyer"), ("hugo", "head_of_legal"), ("carl", "seal_custodian"),
                       ("sam", "staff")):
        make_user(name, roles=(role, "staff"))
    users = {u.username: u for u in session.scalars(select(User))}
    make_loan_template(session)
    case = overdue_case(world, days_overdue=95)
    escalate(session, case, "Unreachable")
    matter = session.scalars(select(Matter)).one()
    matter.lawyer_id = users["lena"].id
    contract = session.scalars(select(Contract).where(Contract.loan_id == case.loan_id)).one()
    seal = seals.create_seal(session, "Contract seal", "contract", users["carl"].id)
    ids = {"contract": contract.id, "matter": matter.id, "seal": seal.id, "customer": case.customer_id,
           **{name: u.id for name, u in users.items()}}
    session.commit()
    session.close()
    return ids


def app_for(mutuo_db, username):
    app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(app, username)
    return app


PAGES = ("/legal/contracts", "/legal/contracts/{contract}", "/legal/matters", "/legal/seals", "/legal/templates",
         "/legal/clauses", "/legal/reports", "/legal/limitation")


def test_staff_without_legal_roles_are_refused_everywhere(book, mutuo_db):
    sam = app_for(mutuo_db, "sam")
    for path in PAGES:
        sam.get(path.format(**book), status=403)
    token = csrf_token(sam)
    sam.post(f"/legal/contracts/{book['contract']}/approve", {"csrf_token": token}, status=403)
    sam.post(f"/legal/matters/{book['matter']}/recovery", {"csrf_token": token}, status=403)


def test_a_lawyer_reviews_and_approves_the_generated_loan_agreement(book, mutuo_db):
    lena = app_for(mutuo_db, "lena")
    for path in PAGES:
        lena.get(path.format(**book))
    page = lena.get(f"/legal/contracts/{book['contract']}")
    assert "Loan agreement" in page.text and "in review" in page.text
    result = page.forms["approve"].submit().follow()
    assert "Approved at your level." in result.text
    contract = mutuo_db.transaction(lambda s: s.get(Contract, book["contract"]))
    assert contract.status == "approved" and contract.approved_sha256 in result.text
    listing = lena.get("/legal/contracts", {"status": "approved", "format": "csv"})
    assert listing.content_type == "text/csv" and "Loan agreement" in listing.text


def test_the_applicant_cannot_approve_and_the_custodian_records_the_use(book, mutuo_db):
    mutuo_db.transaction(lambda s: contracts.decide(s, s.get(Contract, book["contract"]), s.get(User, book["lena"]),
                                                    True))
    lena = app_for(mutuo_db, "lena")
    form = lena.get("/legal/seals/requests/new").forms["deform"]
    form["seal_id"], form["contract_id"], form["purpose"] = str(book["seal"]), str(book["contract"]), "Seal it"
    page = form.submit("request").follow()
    assert "Seal request" in page.text and "approve" not in page.forms  # no button for her own request
    request_id = mutuo_db.transaction(lambda s: s.scalars(select(SealRequest.id)).one())
    lena.post(f"/legal/seals/requests/{request_id}/approve", {"csrf_token": csrf_token(lena)}, status=403)
    hugo = app_for(mutuo_db, "hugo")
    hugo.get(f"/legal/seals/requests/{request_id}").forms["approve"].submit().follow()
    carl = app_for(mutuo_db, "carl")
    use_form = carl.get(f"/legal/seals/requests/{request_id}").forms["use"]
    use_form["used_on"] = TODAY.isoformat()
    assert "Seal use recorded." in use_form.submit().follow().text
    register = carl.get("/legal/seals")
    assert "Contract seal" in register.text and "used" in register.text


def test_a_lawyer_sees_only_the_matters_assigned_to_them(book, mutuo_db):
    lou, lena, hugo = (app_for(mutuo_db, n) for n in ("lou", "lena", "hugo"))
    lou.get(f"/legal/matters/{book['matter']}", status=404)
    assert "Recovery of loan" not in lou.get("/legal/matters").text
    assert "Recovery of loan" in lena.get("/legal/matters").text
    page = hugo.get(f"/legal/matters/{book['matter']}")
    form = page.forms["event"]
    form["kind"], form["due_on"], form["title"] = "hearing", "2025-09-05", "First hearing"
    assert "Added to the calendar." in form.submit().follow().text
    dashboard = lena.get("/")
    assert "Legal today" in dashboard.text and "Matters by status" in dashboard.text


def test_a_bad_move_is_a_message_not_an_error_and_nothing_is_written(book, mutuo_db):
    lena = app_for(mutuo_db, "lena")
    form = lena.get(f"/legal/matters/{book['matter']}").forms["move"]
    form["status"] = "filed"
    page = form.submit().follow()
    assert "needs the court or arbitration body" in page.text
    assert mutuo_db.transaction(lambda s: s.get(Matter, book["matter"]).status) == "preparing"


def test_the_customer_page_shows_legal_s_panel(book, mutuo_db):
    hugo = app_for(mutuo_db, "hugo")
    page = hugo.get(f"/lending/customers/{book['customer']}")
    assert "Legal matters" in page.text and "Loan agreement" in page.text


def test_opinions_go_to_the_assigned_lawyer_s_queue(book, mutuo_db, make_user):
    make_user("rita", permissions=("core.dashboard.view", "legal.opinion.request"))
    rita = app_for(mutuo_db, "rita")
    form = rita.get("/legal/opinions/new").forms["deform"]
    form["subject"], form["question"] = "New fee", "May we charge it?"
    page = form.submit("ask").follow()
    opinion_id = int(page.request.path.rsplit("/", 1)[1])
    mutuo_db.transaction(lambda s: opinion_service.assign(s, s.get(Opinion, opinion_id), s.get(User, book["lou"])))
    lena, lou = app_for(mutuo_db, "lena"), app_for(mutuo_db, "lou")
    lena.get(f"/legal/opinions/{opinion_id}", status=404)
    answer = lou.get(f"/legal/opinions/{opinion_id}").forms["answer"]
    answer["answer"] = "Yes."
    assert "Opinion answered." in answer.submit().follow().text
    assert "Yes." in rita.get(f"/legal/opinions/{opinion_id}").text
