"""Satisfaction: a CSAT question (1–5) after a ticket is solved, and a periodic NPS question (0–10).

Each survey is a row with a random token; the customer answers on the public
page ``/service/survey/<token>`` (the link is sent through core's messages,
consent respected there) once. The figures:

* CSAT = share of answers of 4 or 5, in % (and the mean score);
* NPS = % promoters (9–10) − % detractors (0–6), from −100 to 100.

Both are computed over answered surveys only; with no answer there is no
figure (``None``), never a zero that reads like a bad month.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, select

from core import context
from core.errors import ConflictError, NotFound, UserError
from core.i18n import translate
from core.messages import compose
from core.models.meta import utcnow
from plugins.lending.models import Customer
from plugins.service.i18n import _
from plugins.service.models import Survey, Ticket

RANGES = {"csat": (1, 5), "nps": (0, 10)}


@dataclass(frozen=True)
class Score:
    answers: int
    value: Decimal | None  # CSAT % satisfied, or NPS
    mean: Decimal | None


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")

def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def csat(scores: list[int]) -> Score:
    """CSAT over 1–5 answers: % of 4s and 5s, and the mean (one decimal)."""
    if not scores:
        return Score(0, None, None)
    mean = (Decimal(sum(scores)) / Decimal(len(scores))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Score(len(scores), _pct(sum(1 for s in scores if s >= 4), len(scores)), mean)


def nps(scores: list[int]) -> Score:
    """NPS over 0–10 answers: % promoters (9–10) minus % detractors (0–6), one decimal."""
    if not scores:
        return Score(0, None, None)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    value = (Decimal(100 * (promoters - detractors)) / Decimal(len(scores))).quantize(Decimal("0.1"), ROUND_HALF_UP)
    mean = (Decimal(sum(scores)) / Decimal(len(scores))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Score(len(scores), value, mean)


def survey_link(session, survey: Survey) -> str:
    base = (context.settings(session).get("service.public_url") or "").rstrip("/")
    return f"{base}/service/survey/{survey.token}"


def _send(session, survey: Survey, email: str, phone: str, text) -> None:
    for channel, address in (("email", email), ("sms", phone)):
        if address:
            compose(session, sender="service", channel=channel, address=address,
                    body=translate(text(survey_link(session, survey))),
                    subject=translate(_("How did we do?")) if channel == "email" else "",
                    entity_type="service.survey", entity_id=survey.id, sender_ref=f"survey:{survey.id}")
            return


def send_csat(session, ticket: Ticket) -> Survey | None:
    """One CSAT survey per ticket, sent when it is first solved; None when there is nobody to ask."""
    if not (ticket.contact_email or ticket.contact_phone):
        return None
    if session.scalar(select(exists().where(Survey.ticket_id == ticket.id, Survey.kind == "csat"))):
        return None
    survey = Survey(kind="csat", token=secrets.token_urlsafe(16), ticket_id=ticket.id,
                    customer_id=ticket.customer_id, agent_id=ticket.assignee_id, category=ticket.category,
                    sent_at=utcnow(), comment="")
    session.add(survey)
    session.flush()
    _send(session, survey, ticket.contact_email, ticket.contact_phone,
          lambda link: _("How satisfied are you with how we handled your enquiry? Answer here: ${link}",
                         mapping={"link": link}))
    return survey


def send_nps(session, limit: int = 200, every_days: int = 90) -> int:
    """Ask up to ``limit`` customers not asked in ``every_days`` days how likely they are to recommend us."""
    since = utcnow() - timedelta(days=every_days)
    asked = select(Survey.customer_id).where(Survey.kind == "nps", Survey.sent_at >= since,
                                             Survey.customer_id.is_not(None))
    customers = session.scalars(select(Customer).where(Customer.id.not_in(asked),
                                                       (Customer.email != "") | (Customer.phone != ""))
                                .order_by(Customer.id).limit(limit)).all()
    for customer in customers:
        survey = Survey(kind="nps", token=secrets.token_urlsafe(16), customer_id=customer.id, sent_at=utcnow(),
                        category="", comment="")
        session.add(survey)
        session.flush()
        _send(session, survey, customer.email, customer.phone,
              lambda link: _("How likely are you to recommend us to a friend, from 0 to 10? Answer here: ${link}",
                             mapping={"link": link}))
    return len(customers)


def find(session, token: str) -> Survey:
    token = token or ""
    # Tokens are URL-safe base64 (secrets.token_urlsafe); anything else (a NUL byte, which PostgreSQL
    # refuses in text) cannot be one, so it is simply not found.
    if not _TOKEN.fullmatch(token):
        raise NotFound(_("This survey does not exist."))
    survey = session.scalars(select(Survey).where(Survey.token == token)).first()
    if survey is None:
        raise NotFound(_("This survey does not exist."))
    return survey


def answer(session, token: str, score: int | None, comment: str = "") -> Survey:
    """Record the customer's answer, once; the score must be in the survey's range."""
    survey = find(session, token)
    if survey.answered_at is not None:
        raise ConflictError(_("This survey has already been answered. Thank you!"))
    low, high = RANGES[survey.kind]
    if score is None or not low <= score <= high:
        raise UserError(_("Choose a score from ${low} to ${high}.", mapping={"low": low, "high": high}), "score")
    survey.score, survey.comment, survey.answered_at = score, (comment or "").strip()[:2000], utcnow()
    session.flush()
    return survey
