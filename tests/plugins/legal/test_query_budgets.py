"""Query budgets of legal's lists and record pages: the same number of statements with 2 loan agreements as with
6 (docs/performance.md)."""
from __future__ import annotations

from sqlalchemy import select

from core.models.user import User
from core.testing import assert_query_budgets, query_counts
from plugins.legal.models import Contract
from plugins.legal.services import contracts, opinions, seals
from tests.plugins.legal.conftest import make_loan_template

from .test_views import TODAY, app_for

PAGES = {
    "/legal/contracts": 4,
    "/legal/contracts/{contract}": 15,  # its review, signatures, documents, and history naming what it refers to
    "/legal/templates": 4,
    "/legal/seals": 4,
    "/legal/opinions": 4,
    "/legal/matters": 4,
    "/legal/reports": 5,
    "/legal/limitation": 3,
}


def test_legal_pages_keep_their_query_budgets(session, world, make_user, mutuo_db, clock, store):
    clock.day = TODAY
    make_user("hugo", roles=("head_of_legal",))
    make_user("lena", roles=("lawyer",))
    make_user("carl", roles=("seal_custodian",))
    carl = session.scalars(select(User).where(User.username == "carl")).one()
    make_loan_template(session)
    seal_id = seals.create_seal(session, "Contract seal", "contract", carl.id).id
    first: list[int] = []

    def book(count: int) -> None:
        from plugins.legal.models import Seal

        users = {u.username: u for u in session.scalars(select(User))}
        seal = session.get(Seal, seal_id)
        for _ in range(count):
            world.loan()
        for contract in session.scalars(select(Contract).where(Contract.status == "in_review")):
            contracts.decide(session, contract, users["lena"], True)
            request = seals.request_use(session, seal=seal, applicant_id=users["lena"].id, purpose="Copies",
                                        contract=contract, today=TODAY)
            seals.decide(session, request, users["hugo"], True)
            opinion = opinions.request_opinion(session, subject="Fee", question="May we?",
                                               requested_by_id=users["lena"].id)
            opinions.assign(session, opinion, users["lena"])
            first.append(contract.id)
        session.commit()
        session.close()

    book(2)
    hugo = app_for(mutuo_db, "hugo")
    few = query_counts(hugo, mutuo_db.engine, PAGES, contract=first[0])
    book(4)
    many = query_counts(hugo, mutuo_db.engine, PAGES, contract=first[0])
    assert_query_budgets(few, many, PAGES)
