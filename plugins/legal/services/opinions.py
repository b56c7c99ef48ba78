"""Legal opinions: any department asks (a question, maybe about a record, a due date), a lawyer answers.

The answer is text plus, when there is one, the opinion document in the
record's documents panel. Each lawyer's queue is the opinions assigned to
them and not yet answered, oldest due date first.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import context
from core.errors import ConflictError, UserError
from plugins.legal.i18n import _
from plugins.legal.models import Opinion
from plugins.legal.services.common import can


def request_opinion(session, *, subject: str, question: str, requested_by_id: int | None, department: str = "",
                    due_on: date | None = None, entity_type: str = "", entity_id: str = "") -> Opinion:
    if not (subject or "").strip():
        raise UserError(_("Give the request a subject."), "subject")
    if not (question or "").strip():
        raise UserError(_("Write the question for legal."), "question")
    if due_on is not None and due_on < context.today(session):
        raise UserError(_("The due date is in the past."), "due_on")
    opinion = Opinion(subject=subject.strip()[:200], question=question.strip(), requested_by_id=requested_by_id,
                      department=(department or "").strip()[:60], due_on=due_on,
                      entity_type=(entity_type or "")[:40], entity_id=str(entity_id or "")[:40])
    session.add(opinion)
    session.flush()
    return opinion


def assign(session, opinion: Opinion, lawyer) -> Opinion:
    if opinion.status == "answered":
        raise ConflictError(_("Opinion ${id} was already answered.", mapping={"id": opinion.id}), "status")
    if lawyer is None or not can(session, lawyer, "legal.opinion.answer"):
        raise UserError(_("Choose a lawyer."), "lawyer_id")
    opinion.lawyer_id, opinion.status = lawyer.id, "assigned"
    session.flush()
    return opinion


def answer(session, opinion: Opinion, lawyer, text: str) -> Opinion:
    if opinion.status == "answered":
        raise ConflictError(_("Opinion ${id} was already answered.", mapping={"id": opinion.id}), "status")
    if opinion.lawyer_id != lawyer.id:
        raise ConflictError(_("Opinion ${id} is assigned to another lawyer.", mapping={"id": opinion.id}), "lawyer")
    if not (text or "").strip():
        raise UserError(_("Write the opinion."), "answer")
    opinion.answer, opinion.status, opinion.answered_on = text.strip(), "answered", context.today(session)
    session.flush()
    return opinion


def queue(session, lawyer_id: int) -> list[Opinion]:
    return list(session.scalars(select(Opinion).where(Opinion.lawyer_id == lawyer_id, Opinion.status == "assigned")
                                .order_by(Opinion.due_on.is_(None), Opinion.due_on, Opinion.id)))
