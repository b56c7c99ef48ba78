"""Pre-loan reviews: scoring, rules, screening, the analyst's decision, the report, maker-checker."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.documents import documents_for
from core.errors import ConflictError, UserError
from plugins.lending import services as lending
from plugins.risk.models import Profile, Review, Rule, Scorecard
from plugins.risk.services import reviews, rules, scorecards
from plugins.risk.testing import as_user, make_user


def _profile(session, customer, **fields):
    session.add(Profile(customer_id=customer.id, **fields))
    session.flush()


def test_a_submitted_application_is_scored_and_held_for_risk(session, world):
    application = world.submitted(amount=D("4000.00"), term=12)
    assert application.review_pending == "risk"
    review = reviews.review_of(session, application.id)
    assert review.status == "pending" and review.scorecard.status == "active"
    # starter card: age missing 70, dti missing 75, amount <5000 100, term <13 95, Retail 95, no past dpd 95,
    # no loans 30
    assert review.score == D(610) and review.grade == "C"
    assert [row["points"] for row in review.explanation] == ["70", "75", "100", "95", "95", "95", "80"]
    assert review.reasons == "R02 high debt to income, R06 late payments with us, R07 no history with us"
    assert {r["code"]: r["result"] for r in review.rule_results}["KO_MIN_AGE"] == "missing"
    with pytest.raises(UserError):
        lending.approve(session, application, "by hand")  # the review replaces the manual approval


def test_the_application_keeps_the_version_that_scored_it(session, world):
    first = world.submitted()
    old = reviews.review_of(session, first.id).scorecard
    draft = scorecards.new_version(session, old)
    definition = [dict(c) for c in draft.definition]
    definition[0] = {**definition[0], "bins": [dict(b, points=b["points"] + 100 if not b.get("missing") else 0)
                                               for b in definition[0]["bins"]]}
    scorecards.update_draft(session, draft, definition=definition)
    scorecards.activate(session, draft)
    second = world.submitted()
    assert reviews.review_of(session, first.id).scorecard_id == old.id and old.status == "retired"
    assert reviews.review_of(session, second.id).scorecard_id == draft.id and draft.version == old.version + 1
    with pytest.raises(ConflictError):
        scorecards.update_draft(session, draft, pdo=30)


def test_rules_decline_refer_and_pass(session, world):
    borrower = world.customer()
    _profile(session, borrower, birth_date=date(2010, 1, 1), monthly_income=D("3000"), monthly_debt=D("1500"))
    world.clock.day = date(2025, 1, 10)
    application = world.submitted(borrower=borrower, amount=D("10000.00"), term=12)
    review = reviews.review_of(session, application.id)
    results = {r["code"]: (r["result"], r["outcome"]) for r in review.rule_results}
    assert results["KO_MIN_AGE"] == ("fired", "decline")       # 15 years old
    assert results["RF_DTI"] == ("fired", "refer")             # (1500 + 888.49) / 3000 > 0.45
    assert results["RF_AMOUNT"] == ("pass", "pass")
    assert review.rule_outcome == "decline" and review.recommendation == "decline"
    with pytest.raises(UserError) as refused:
        reviews.decide(session, review, recommendation="approve", level="low")
    assert "knock-out" in str(refused.value)


def test_rule_evaluation_at_the_limits(session):
    rows = rules.ensure_defaults(session)
    facts = {"age": 18, "dti": D("0.45"), "amount": D("30000"), "exposure": D("20000"), "past_max_dpd": 30,
             "on_watch": False}
    outcome, results = rules.evaluate(rows, facts, score=D(480))
    assert outcome == "pass", results                           # every limit itself passes
    facts.update(age=17, dti=D("0.4501"), amount=D("30000.01"))
    outcome, results = rules.evaluate(rows, facts, score=D("479.99"))
    assert outcome == "decline"
    by_code = {r["code"]: r["outcome"] for r in results}
    assert by_code == {"KO_MIN_AGE": "decline", "RF_DTI": "refer", "RF_AMOUNT": "refer", "KO_EXPOSURE": "decline",
                       "KO_PAST_DUE": "pass", "KO_SCORE": "decline", "RF_WATCH": "pass"}


def test_a_referral_goes_to_the_next_committee_meeting(session, world):
    make_user(session, "m1", roles=("risk_committee_member",))
    application = world.submitted(amount=D("40000.00"), term=24)   # above risk.max_amount: refer
    review = reviews.review_of(session, application.id)
    assert review.status == "referred"
    assert review.rule_outcome == "refer"


def test_analyst_approves_and_the_report_is_a_document_of_the_application(session, world):
    analyst = make_user(session, "ana")
    application = world.submitted()
    review = reviews.review_of(session, application.id)
    with as_user(session, analyst):
        reviews.decide(session, review, recommendation="approve_with_conditions", level="medium",
                       warnings="Thin file", conditions="Payroll domiciliation")
    assert application.status == "approved" and review.status == "approved" and review.decided_by_id == analyst.id
    assert session.scalar(select(Profile.level).where(Profile.customer_id == review.customer_id)) == "medium"
    docs = documents_for(session, "lending.application", application.id)
    assert [d.id for d in docs] == [review.report_document_id]
    assert docs[0].versions[-1].content_type == "application/pdf"


def test_decline_needs_a_reason_and_rejects_in_lending(session, world):
    application = world.submitted()
    review = reviews.review_of(session, application.id)
    with pytest.raises(UserError) as refused:
        reviews.decide(session, review, recommendation="decline", level="high")
    assert refused.value.field == "reason"
    reviews.decide(session, review, recommendation="decline", level="high", reason="Income not proven")
    assert application.status == "rejected" and application.decision_reason == "Income not proven"


def test_maker_checker_the_preparer_cannot_review_and_the_approver_cannot_disburse(session, world):
    officer, analyst, teller = make_user(session, "officer"), make_user(session, "analyst"), make_user(session, "t")
    with as_user(session, officer):
        application = world.submitted()
    review = reviews.review_of(session, application.id)
    assert review.prepared_by_id == officer.id
    with as_user(session, officer), pytest.raises(UserError) as refused:
        reviews.decide(session, review, recommendation="approve", level="low")
    assert "another analyst" in str(refused.value)
    with as_user(session, analyst):
        reviews.decide(session, review, recommendation="approve", level="low")
    lending.list_for_funding(session, application)
    for investor in (world.investor(), world.investor()):
        lending.invest(session, application, investor, application.amount / 2)
    with as_user(session, analyst), pytest.raises(ConflictError) as vetoed:
        lending.disburse(session, application)
    assert "another person must disburse" in str(vetoed.value)
    with as_user(session, teller):
        loan = lending.disburse(session, application)
    assert loan.principal == application.amount


def test_starter_card_and_rules_are_data(session):
    card = scorecards.ensure_starter(session)
    assert session.scalars(select(Scorecard)).all() == [card]
    assert len(rules.ensure_defaults(session)) == len(session.scalars(select(Rule)).all()) == 7
    with pytest.raises(UserError) as refused:
        scorecards.create(session, name="Bad", definition=[{"code": "x", "fact": "shoe_size", "bins": []}],
                          bands=[{"min_score": 0, "grade": "E", "level": "low"}])
    assert refused.value.field == "definition"
    assert session.scalar(select(Review)) is None


def test_models_and_migrations_agree(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db, owners=("risk",))
