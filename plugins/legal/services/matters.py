"""Litigation and arbitration matters: opened from collections' escalations or by hand; recoveries to the loan.

Status: preparing → filed → hearing → judgment → enforcement → closed (a
matter may skip forward — a settlement closes it from any status — but never
goes back). The appeal and enforcement deadlines after a judgment or award
are computed from the body's jurisdiction, kept as settings
(``legal.jurisdiction.<code>.appeal_days`` / ``.enforcement_days``, falling
back to ``legal.jurisdiction.default.*``: 15 and 730 days), and land on the
matter's calendar with reminders.

Money recovered is posted to the loan through lending's
:func:`plugins.lending.services.post_repayment` with a ``LEGAL-`` reference
(the "legal recovery" channel), so lending allocates and distributes it to
the investors and collections credits its case, exactly like any repayment.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core import context
from core.audit import record_event
from core.errors import ConflictError, UserError
from core.money import ZERO, money
from plugins.legal.i18n import _, word
from plugins.legal.models import EVENT_KINDS, MATTER_KINDS, MATTER_STATUSES, Body, Matter, MatterEvent, MatterRecovery
from plugins.legal.services.common import setting_int

OPEN_STATUSES = MATTER_STATUSES[:-1]


def claim_of_loan(loan, today: date) -> dict:
    """Principal still owed, interest and penalties of installments already due, unpaid."""
    principal = sum((i.principal_due - i.principal_paid for i in loan.installments if i.paid_on is None), ZERO)
    due = [i for i in loan.installments if i.paid_on is None and i.due_date < today]
    interest = sum((i.interest_due - i.interest_waived - i.interest_paid + i.fee_due - i.fee_waived - i.fee_paid
                    for i in due), ZERO)
    penalties = sum((i.penalty_due - i.penalty_paid for i in due), ZERO)
    return {"claim_principal": money(principal), "claim_interest": money(interest),
            "claim_penalties": money(penalties)}


def default_lawyer(session) -> int | None:
    """The lawyer holding the fewest open matters (settings may name one: ``legal.default_lawyer``)."""
    from core.models.user import Role, User

    username = context.settings(session).get("legal.default_lawyer")
    if username:
        return session.scalar(select(User.id).where(User.username == username))
    lawyers = select(User.id).where(User.active.is_(True), User.roles.any(Role.name == "lawyer"))
    load = (select(Matter.lawyer_id, func.count().label("n")).where(Matter.status.in_(OPEN_STATUSES))
            .group_by(Matter.lawyer_id).subquery())
    return session.scalar(select(User.id).where(User.id.in_(lawyers)).outerjoin(load, load.c.lawyer_id == User.id)
                          .order_by(func.coalesce(load.c.n, 0), User.id).limit(1))


def open_matter(session, *, title: str, kind: str = "litigation", loan=None, customer_id: int | None = None,
                lawyer_id: int | None = None, body_id: int | None = None, collections_case_id: int | None = None,
                claim: dict | None = None, today: date | None = None) -> Matter:
    today = today or context.today(session)
    if kind not in MATTER_KINDS:
        raise UserError(_("Choose litigation or arbitration."), "kind")
    if not (title or "").strip():
        raise UserError(_("Give the matter a title."), "title")
    claim = claim if claim is not None else (claim_of_loan(loan, today) if loan is not None else {})
    matter = Matter(kind=kind, title=title.strip()[:200], loan_id=loan.id if loan is not None else None,
                    customer_id=customer_id or (loan.customer_id if loan is not None else None),
                    lawyer_id=lawyer_id if lawyer_id is not None else default_lawyer(session), body_id=body_id,
                    collections_case_id=collections_case_id, opened_on=today, status="preparing",
                    **{k: money(v) for k, v in claim.items()})
    session.add(matter)
    session.flush()
    record_event(session, "matter_opened", "legal.matter", matter.id,
                 {"case": collections_case_id, "loan": matter.loan_id})
    context.hooks(session).legal_matter_opened(matter=matter)
    return matter


def on_case_escalated(session, case) -> Matter | None:
    """Collections escalated a late case: a litigation matter on its loan (once per case).

    A matter legal already opened by hand on the loan takes the case instead of a second matter."""
    from core.formatting import current

    if session.scalar(select(Matter.id).where(Matter.collections_case_id == case.id)):
        return None
    loan = case.loan
    existing = session.scalar(select(Matter).where(Matter.loan_id == loan.id, Matter.status.in_(OPEN_STATUSES),
                                                   Matter.collections_case_id.is_(None)).limit(1))
    if existing is not None:
        existing.collections_case_id = case.id
        session.flush()
        return existing
    title = current().translate(_("Recovery of loan ${loan} from ${name}",
                                  mapping={"loan": loan.id, "name": case.customer.name}))
    return open_matter(session, title=title, loan=loan, collections_case_id=case.id)


def move(session, matter: Matter, status: str, *, case_number: str | None = None, body_id: int | None = None,
         outcome: str = "", awarded=None, on: date | None = None) -> Matter:
    on = on or context.today(session)
    if status not in MATTER_STATUSES:
        raise UserError(_("Choose a status."), "status")
    if MATTER_STATUSES.index(status) <= MATTER_STATUSES.index(matter.status):
        raise ConflictError(_("Matter ${id} is already ${status}; it only moves forward.",
                              mapping={"id": matter.id, "status": word(matter.status)}), "status")
    if case_number is not None:
        matter.case_number = case_number.strip()[:100]
    if body_id is not None:
        matter.body_id = body_id
    if status == "filed" and (not matter.case_number or matter.body_id is None):
        raise UserError(_("A filed matter needs the court or arbitration body and its case number."),
                        "case_number" if matter.body_id is not None else "body_id")
    if status == "judgment":
        if awarded is None:
            raise UserError(_("Enter the amount awarded (0 when the claim was dismissed)."), "awarded")
        matter.awarded, matter.judgment_on, matter.outcome = money(awarded), on, (outcome or "").strip()
        _judgment_deadlines(session, matter, on)
    if status == "closed":
        if not (outcome or matter.outcome).strip():
            raise UserError(_("Record the outcome before closing the matter."), "outcome")
        matter.outcome, matter.closed_on = (outcome or matter.outcome).strip(), on
    matter.status = status
    session.flush()
    if status == "closed":
        record_event(session, "matter_closed", "legal.matter", matter.id, {"recovered": str(matter.recovered)})
        context.hooks(session).legal_matter_closed(matter=matter)
    return matter


def jurisdiction_days(session, jurisdiction: str, what: str) -> int:
    defaults = {"appeal_days": 15, "enforcement_days": 730}
    fallback = setting_int(session, f"legal.jurisdiction.default.{what}", defaults[what])
    return setting_int(session, f"legal.jurisdiction.{jurisdiction}.{what}", fallback)


def _judgment_deadlines(session, matter: Matter, on: date) -> None:
    code = matter.body.jurisdiction if matter.body is not None else "default"
    for kind, what in (("appeal_deadline", "appeal_days"), ("enforcement_deadline", "enforcement_days")):
        add_event(session, matter, kind, on + timedelta(days=jurisdiction_days(session, code, what)))


def add_event(session, matter: Matter, kind: str, due_on: date, title: str = "") -> MatterEvent:
    if kind not in EVENT_KINDS:
        raise UserError(_("Choose the kind of date."), "kind")
    if due_on is None:
        raise UserError(_("Enter the date."), "due_on")
    event = MatterEvent(matter_id=matter.id, kind=kind, due_on=due_on, title=(title or "").strip()[:200])
    session.add(event)
    session.flush()
    return event


def set_costs(session, matter: Matter, *, outside_counsel: str | None = None, fees=None, costs=None,
              claim_costs=None) -> Matter:
    for name, value in (("fees", fees), ("costs", costs), ("claim_costs", claim_costs)):
        if value is not None:
            if money(value) < ZERO:
                raise UserError(_("Amounts cannot be negative."), name)
            setattr(matter, name, money(value))
    if outside_counsel is not None:
        matter.outside_counsel = outside_counsel.strip()[:200]
    session.flush()
    return matter


def record_recovery(session, matter: Matter, amount, paid_on: date) -> MatterRecovery:
    """Money recovered (enforcement, settlement) posted to the loan as a repayment, channel legal recovery."""
    from plugins.lending.services import post_repayment

    if matter.loan is None:
        raise ConflictError(_("Matter ${id} is not about a loan; record the money in finance.",
                              mapping={"id": matter.id}), "loan_id")
    if matter.status == "closed":
        raise ConflictError(_("Matter ${id} is closed.", mapping={"id": matter.id}), "status")
    n = session.scalar(select(func.count()).select_from(MatterRecovery)
                       .where(MatterRecovery.matter_id == matter.id)) + 1
    repayment = post_repayment(session, matter.loan, amount, paid_on, f"LEGAL-{matter.id}-{n}")
    recovery = MatterRecovery(matter_id=matter.id, repayment_id=repayment.id, amount=repayment.amount,
                              paid_on=paid_on)
    session.add(recovery)
    matter.recovered = money(matter.recovered + repayment.amount)
    session.flush()
    return recovery


def remind_calendar(session, today: date, leads) -> int:
    from core.formatting import current
    from plugins.legal.services import reminders

    sent = 0
    upcoming = session.scalars(select(MatterEvent).join(Matter).where(
        MatterEvent.done.is_(False), MatterEvent.due_on >= today, Matter.status.in_(OPEN_STATUSES),
        MatterEvent.due_on <= today + timedelta(days=max(leads or [0]))))
    for event in upcoming:
        matter = event.matter
        text = _("Matter ${id} (${title}): ${kind} on ${date}.",
                 mapping={"id": matter.id, "title": matter.title, "kind": word(event.kind),
                          "date": current().date(event.due_on)})
        if reminders.remind(session, entity_type="legal.matter", entity_id=matter.id, kind=f"event:{event.id}",
                            deadline=event.due_on, today=today, user_id=matter.lawyer_id, text=text,
                            leads=leads) is not None:
            sent += 1
    return sent


def create_body(session, name: str, kind: str, jurisdiction: str = "default") -> Body:
    if not (name or "").strip():
        raise UserError(_("Name the court or arbitration body."), "name")
    if kind not in ("court", "arbitration"):
        raise UserError(_("Choose court or arbitration."), "kind")
    body = Body(name=name.strip()[:200], kind=kind, jurisdiction=(jurisdiction or "default").strip()[:20])
    session.add(body)
    session.flush()
    return body
