"""A lawyer approves a generated loan agreement, the custodian stamps it, a supervisor escalates a case and the
lawyer finds the new matter — in a real browser."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.models.user import User
from core.testing import browser_login
from plugins.legal.models import Contract, Seal, SealRequest
from plugins.legal.services import seals
from tests.plugins.legal.conftest import make_loan_template

pytestmark = pytest.mark.browser
TODAY = date(2025, 9, 1)


@pytest.fixture
def desk(session, world, make_user, clock):
    from plugins.collections.testing import overdue_case

    clock.day = TODAY
    for name, role in (("lena", "lawyer"), ("hugo", "head_of_legal"), ("carl", "seal_custodian"),
                       ("sue", "collections_supervisor")):
        make_user(name, roles=(role, "staff"))
    carl = session.scalars(select(User).where(User.username == "carl")).one()
    make_loan_template(session)
    seals.create_seal(session, "Contract seal", "contract", carl.id)
    case = overdue_case(world, days_overdue=95)
    ids = {"case": case.id, "contract": session.scalars(select(Contract.id).where(Contract.loan_id == case.loan_id)).one()}
    session.commit()
    session.close()
    return ids


def test_agreement_approved_sealed_and_a_case_becomes_a_matter(desk, page, browser, live_server, mutuo_db):
    browser_login(page, "lena")
    page.goto(f"/legal/contracts/{desk['contract']}")
    assert "in review" in page.text_content("#record-status")
    page.fill("#approve-comment", "Standard terms")
    page.click("#approve-button")
    page.wait_for_selector("text=Approved at your level.")
    assert page.text_content("#record-status").strip() == "approved"

    def request_seal(s):
        lena, hugo = (s.scalars(select(User).where(User.username == n)).one() for n in ("lena", "hugo"))
        request = seals.request_use(s, seal=s.scalars(select(Seal)).one(), applicant_id=lena.id, purpose="Copies",
                                    contract=s.get(Contract, desk["contract"]), copies=2)
        seals.decide(s, request, hugo, True)
        return request.id
    request_id = mutuo_db.transaction(request_seal)

    custodian = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}).new_page()
    browser_login(custodian, "carl")
    custodian.goto(f"/legal/seals/requests/{request_id}")
    custodian.fill("#use-used_on", TODAY.isoformat())
    custodian.click("#use-button")
    custodian.wait_for_selector("text=Seal use recorded.")
    assert mutuo_db.transaction(lambda s: s.get(SealRequest, request_id).status) == "used"

    supervisor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}).new_page()
    browser_login(supervisor, "sue")
    supervisor.goto(f"/collections/cases/{desk['case']}")
    supervisor.locator("#escalate textarea, #escalate input[name=reason]").first.fill("No answer for a month")
    supervisor.on("dialog", lambda dialog: dialog.accept())  # "Send this case to legal?"
    supervisor.locator("#escalate button").click()
    supervisor.wait_for_selector("text=escalated to legal")

    page.click("nav >> text=Legal")
    page.click("nav >> text=Matters")
    page.wait_for_selector("text=Recovery of loan")
    page.click("text=Recovery of loan")
    assert page.text_content("#record-status").strip() == "preparing"
    assert str(desk["case"]) in page.inner_text("#record-facts")
