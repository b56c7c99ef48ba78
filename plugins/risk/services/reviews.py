"""The pre-loan review: opened at submission, decided by an analyst or by the committee.

:func:`open_review` (lending's ``lending_application_submitted``) scores the
application with the active scorecard, runs the rules, screens the
applicant and measures their exposure. Rule outcome ``refer`` sends the
review straight to the committee's next meeting; otherwise it waits in the
analysts' queue (``pending``), a knock-out with the recommendation to decline.

:func:`decide` is the analyst's assessment (risk level, warnings,
conditions, recommendation) and its effect:

* ``approve`` / ``approve_with_conditions`` → lending's ``review_decision``
  approves — refused when a knock-out rule fired, when a blacklist hit is
  open, or when the analyst prepared the application (maker-checker);
* ``decline`` → lending's ``review_decision`` rejects with the reason;
* ``refer`` → the committee's next meeting.

Each decision writes the risk assessment report (PDF) as a document of
the application. Whoever approved (the analyst, or the committee members
who voted for it) may not disburse the loan: :func:`disbursement_veto`.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from plugins.lending import services as lending
from plugins.lending.models import Application
from plugins.risk.i18n import _
from plugins.risk.models import LEVELS, RECOMMENDATIONS, AgendaItem, Review, Vote
from plugins.risk.services import blacklist, rules, scorecards
from plugins.risk.services.config import decimal_setting

REVIEWER = "risk"
APPLICATION_ENTITY = "lending.application"


def open_review(session, application: Application) -> Review:
    scorecard = scorecards.ensure_starter(session)
    review = Review(application_id=application.id, customer_id=application.customer_id, scorecard_id=scorecard.id,
                    status="pending", prepared_by_id=current_actor(session).id, opened_on=context.today(session))
    session.add(review)
    blacklist.screen_customer(session, application.customer)
    _score(session, review, scorecard, application)
    session.flush()
    if review.rule_outcome == "refer":
        refer(session, review)
    return review


def _score(session, review: Review, scorecard, application: Application) -> None:
    """Score, rules, screening and exposure of ``application`` onto ``review`` (with ``scorecard``)."""
    facts = scorecards.facts(session, application)
    result = scorecards.card(scorecard).score(facts)
    outcome, results = rules.evaluate(rules.current_rules(session), facts, result.score)
    screening = blacklist.screening_state(session, application.customer_id)
    if screening == "hit" and outcome == "pass":
        outcome = "refer"
    review.score, review.grade, review.score_level = result.score, result.grade, result.level
    review.bad_rate = Decimal(str(round(result.bad_rate, 6)))
    review.explanation, review.reasons = result.explanation(), ", ".join(result.reasons)[:200]
    review.rule_results, review.rule_outcome, review.screening = results, outcome, screening
    review.exposure = facts["exposure"]
    review.recommendation = "decline" if outcome == "decline" else ""


def update_profile(session, review: Review, *, birth_date=None, monthly_income=None, monthly_debt=None) -> Review:
    """The applicant's age, income and debts as the analyst verified them; the review is scored again with
    the version that scored it (a pending review only: a referral stays with the committee)."""
    from plugins.risk.services.monitoring import profile_of

    _check_open(review, "pending")
    if monthly_income is not None and monthly_income <= 0:
        raise UserError(_("The monthly income must be above zero."), "monthly_income")
    if monthly_debt is not None and monthly_debt < 0:
        raise UserError(_("The monthly debt payments cannot be negative."), "monthly_debt")
    profile = profile_of(session, review.customer_id)
    profile.birth_date, profile.monthly_income, profile.monthly_debt = birth_date, monthly_income, monthly_debt
    session.flush()
    _score(session, review, review.scorecard, review.application)
    session.flush()
    if review.rule_outcome == "refer":
        refer(session, review)
    return review


def review_of(session, application_id: int) -> Review | None:
    return session.scalar(select(Review).where(Review.application_id == application_id))


def _check_open(review: Review, *statuses: str) -> None:
    if review.status not in statuses:
        raise ConflictError(_("Review ${id} is ${status}; it cannot be decided now.",
                              mapping={"id": review.id, "status": review.status}), "status")


def _check_not_maker(session, review: Review) -> None:
    actor = current_actor(session).id
    if actor is not None and actor == review.prepared_by_id:
        raise UserError(_("You prepared this application; another analyst must review it."), "recommendation")


def refer(session, review: Review) -> AgendaItem:
    """Send the review to the committee: onto the agenda of the next planned meeting (one is planned if none)."""
    from plugins.risk.services import committee

    _check_open(review, "pending")
    review.status = "referred"
    session.flush()
    return committee.put_on_agenda(session, review)


def decide(session, review: Review, *, recommendation: str, level: str, warnings: str = "", conditions: str = "",
           reason: str = "", report: bool = True) -> Review:
    """The analyst's assessment and decision (see the module docstring)."""
    _check_open(review, "pending")
    if recommendation not in RECOMMENDATIONS:
        raise UserError(_("Choose a recommendation."), "recommendation")
    if level not in LEVELS:
        raise UserError(_("Choose a risk level."), "level")
    _check_not_maker(session, review)
    approving = recommendation in ("approve", "approve_with_conditions")
    if approving and review.rule_outcome == "decline":
        raise UserError(_("A knock-out rule fired; decline it or refer it to the committee."), "recommendation")
    if approving and blacklist.open_hits(session, review.customer_id):
        raise UserError(_("The applicant has an open blacklist hit; confirm or clear it first."), "recommendation")
    if recommendation == "approve_with_conditions" and not conditions.strip():
        raise UserError(_("Write the conditions."), "conditions")
    if recommendation == "decline" and not reason.strip():
        raise UserError(_("Give the reason for declining; the borrower will be told."), "reason")
    review.level, review.warnings, review.conditions = level, warnings.strip(), conditions.strip()
    review.recommendation = recommendation
    review.analyst_id = current_actor(session).id
    _assess_customer(session, review, level)
    if recommendation == "refer":
        refer(session, review)
    else:
        finish(session, review, approving, reason.strip() or conditions.strip())
    if report:  # the demo writes one in twenty (a PDF each is its most expensive step)
        write_report(session, review)
    return review


def _assess_customer(session, review: Review, level: str) -> None:
    """The analyst's level becomes the customer's, except that a borrower on watch stays at least ``high``."""
    from plugins.risk.models import LEVELS as ORDER
    from plugins.risk.services.monitoring import profile_of, set_level

    profile = profile_of(session, review.customer_id)
    if profile.on_watch and ORDER.index(level) < ORDER.index("high"):
        return
    set_level(session, review.customer, level, f"review {review.id}")


def finish(session, review: Review, approved: bool, reason: str) -> Review:
    """Record the decision here and in lending (one transaction)."""
    review.status = "approved" if approved else "declined"
    review.decided_by_id = current_actor(session).id
    review.decided_at = utcnow()
    session.flush()
    lending.review_decision(session, review.application, REVIEWER, approved, reason)
    record_event(session, "risk_review_" + review.status, "risk.review", review.id,
                 {"application_id": review.application_id, "score": str(review.score), "reason": reason})
    return review


def approvers(session, review: Review) -> set[int]:
    """Who approved the application: the analyst, or the committee members who voted for it."""
    found = set()
    if review.status == "approved" and review.decided_by_id is not None:
        found.add(review.decided_by_id)
    voted = select(Vote.user_id).join(AgendaItem, AgendaItem.id == Vote.item_id).where(
        AgendaItem.review_id == review.id, AgendaItem.decision.in_(("approved", "approved_with_conditions")),
        Vote.vote.in_(("approve", "approve_with_conditions")))
    found.update(session.scalars(voted))
    return found


def disbursement_veto(session, application: Application) -> str | None:
    """Maker-checker: whoever approved the loan may not disburse it (from ``risk.maker_checker_amount``)."""
    if application.amount < decimal_setting(session, "risk.maker_checker_amount"):
        return None
    actor = current_actor(session).id
    review = review_of(session, application.id)
    if review is None or actor is None:
        return None
    if actor in approvers(session, review):
        return str(context_text(_("You approved application ${id}; another person must disburse it.",
                                  mapping={"id": application.id})))
    return None


def context_text(message) -> str:
    from core.i18n import translate

    return translate(message)


def write_report(session, review: Review):
    """The risk assessment report (PDF from ``templates/assessment.pt``), a new version on each decision."""
    import io

    from core.documents import store_from_settings, upload
    from plugins.risk.services.documents import render_assessment

    pdf = render_assessment(session, review)
    store = store_from_settings(context.settings(session))
    version = upload(session, store, stream=io.BytesIO(pdf), filename=f"risk-assessment-{review.application_id}.pdf",
                     title=context_text(_("Risk assessment of application ${id}", mapping={"id": review.application_id})),
                     entity_type=APPLICATION_ENTITY, entity_id=review.application_id,
                     document_id=review.report_document_id, user_id=current_actor(session).id)
    review.report_document_id = version.document_id
    session.flush()
    return version
