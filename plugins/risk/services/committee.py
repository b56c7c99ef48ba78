"""The loan review committee: meetings, attendance, agenda, votes, recusals, decisions and minutes.

The rules, as the department runs them:

* **Quorum** (per item): the members present who are not recused on the
  item must be a strict majority of the *full* committee (every member
  of the meeting): 3 of 5, 3 of 4. A recused member neither votes nor
  counts toward that item's quorum.
* **One vote per member per item**: approve, approve with conditions or
  decline; only members present and not recused vote.
* **Decision** by a strict majority of the votes cast: approvals (with or
  without conditions) > half → approved (with conditions when any approval
  set conditions); declines > half → declined; otherwise (a tie) no
  majority. An item without quorum or majority stays referred and moves to
  the next meeting's agenda when the meeting is closed.
* **Maker-checker**: the loan officer who prepared the application cannot
  vote on it (refused by :func:`vote`, not only hidden in the page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from core.models.user import Role, User
from plugins.risk.i18n import _
from plugins.risk.models import VOTES, AgendaItem, Meeting, Member, Recusal, Review, Vote

COMMITTEE_ROLE = "risk_committee_member"


# -- the arithmetic, free of the database -------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    eligible: int       # present and not recused
    quorum: bool
    approvals: int
    conditional: int
    declines: int
    decision: str       # approved | approved_with_conditions | declined | no_quorum | no_majority


def tally(full_committee: int, present: set[int], recused: set[int], votes: dict[int, str]) -> Tally:
    """The decision on one item (see the module docstring); ``votes`` maps member to vote."""
    eligible = len(present - recused)
    counted = {m: v for m, v in votes.items() if m in present and m not in recused}
    approvals = sum(1 for v in counted.values() if v in ("approve", "approve_with_conditions"))
    conditional = sum(1 for v in counted.values() if v == "approve_with_conditions")
    declines = sum(1 for v in counted.values() if v == "decline")
    cast = approvals + declines
    quorum = eligible * 2 > full_committee
    if not quorum:
        decision = "no_quorum"
    elif approvals * 2 > cast:
        decision = "approved_with_conditions" if conditional else "approved"
    elif declines * 2 > cast:
        decision = "declined"
    else:
        decision = "no_majority"
    return Tally(eligible, quorum, approvals, conditional, declines, decision)


# -- meetings ----------------------------------------------------------------------------------------

def committee_members(session) -> list[User]:
    return list(session.scalars(select(User).join(User.roles).where(Role.name == COMMITTEE_ROLE,
                                                                    User.active.is_(True)).order_by(User.id)))


def create_meeting(session, *, held_on: date, member_ids: list[int], title: str = "") -> Meeting:
    member_ids = list(dict.fromkeys(int(m) for m in member_ids or ()))
    if not member_ids:
        raise UserError(_("Choose the committee's members."), "member_ids")
    if held_on < context.today(session):
        raise UserError(_("A meeting cannot be planned in the past."), "held_on")
    meeting = Meeting(held_on=held_on, title=(title or "").strip(), status="planned")
    session.add(meeting)
    session.flush()
    for user_id in member_ids:
        session.add(Member(meeting_id=meeting.id, user_id=user_id, present=False))
    session.flush()
    return meeting


def next_meeting(session) -> Meeting:
    """The next planned meeting; if none, one a week from today with the holders of the committee role
    (a manager adds members by hand when nobody holds it yet)."""
    found = session.scalar(select(Meeting).where(Meeting.status == "planned", Meeting.held_on >= context.today(session))
                           .order_by(Meeting.held_on, Meeting.id))
    if found is not None:
        return found
    meeting = Meeting(held_on=context.today(session) + timedelta(days=7), status="planned")
    session.add(meeting)
    session.flush()
    for user in committee_members(session):
        session.add(Member(meeting_id=meeting.id, user_id=user.id, present=False))
    session.flush()
    session.expire(meeting, ["members"])
    return meeting


def add_member(session, meeting: Meeting, user_id: int) -> Member:
    _open(meeting)
    if any(m.user_id == user_id for m in meeting.members):
        raise ConflictError(_("Already a member of this meeting."), "user_id")
    member = Member(meeting_id=meeting.id, user_id=user_id, present=False)
    session.add(member)
    meeting.members.append(member)
    session.flush()
    return member


def put_on_agenda(session, review: Review, meeting: Meeting | None = None) -> AgendaItem:
    meeting = meeting or next_meeting(session)
    item = AgendaItem(meeting_id=meeting.id, review_id=review.id, decision="pending")
    session.add(item)
    session.flush()
    return item


def _open(meeting: Meeting) -> None:
    if meeting.status != "planned":
        raise ConflictError(_("The meeting is closed."), "status")


def _member(meeting: Meeting, user_id: int) -> Member:
    for member in meeting.members:
        if member.user_id == user_id:
            return member
    raise UserError(_("Only the meeting's members take part."), "user_id")


def set_attendance(session, meeting: Meeting, user_id: int, present: bool) -> Member:
    _open(meeting)
    member = _member(meeting, user_id)
    member.present = present
    session.flush()
    return member


def recuse(session, item: AgendaItem, user_id: int, reason: str) -> Recusal:
    _open(item.meeting)
    _member(item.meeting, user_id)
    if not (reason or "").strip():
        raise UserError(_("Declare the conflict of interest."), "reason")
    if any(v.user_id == user_id for v in item.votes):
        raise ConflictError(_("This member already voted on the item."), "user_id")
    if any(r.user_id == user_id for r in item.recusals):
        raise ConflictError(_("This member is already recused."), "user_id")
    recusal = Recusal(item_id=item.id, user_id=user_id, reason=reason.strip())
    session.add(recusal)
    item.recusals.append(recusal)
    session.flush()
    return recusal


def vote(session, item: AgendaItem, user_id: int, choice: str, note: str = "") -> Vote:
    _open(item.meeting)
    if item.decision != "pending":
        raise ConflictError(_("The item is already decided."), "vote")
    if choice not in VOTES:
        raise UserError(_("Vote approve, approve with conditions or decline."), "vote")
    member = _member(item.meeting, user_id)
    if not member.present:
        raise UserError(_("Only members present vote; record the attendance first."), "vote")
    if item.review.prepared_by_id == user_id:
        raise UserError(_("You prepared this application; you cannot vote on it."), "vote")
    if any(r.user_id == user_id for r in item.recusals):
        raise UserError(_("A recused member does not vote on the item."), "vote")
    if any(v.user_id == user_id for v in item.votes):
        raise ConflictError(_("One vote per member: this member already voted."), "vote")
    if choice == "approve_with_conditions" and not (note or "").strip():
        raise UserError(_("Write the conditions."), "note")
    cast = Vote(item_id=item.id, user_id=user_id, vote=choice, note=(note or "").strip())
    session.add(cast)
    item.votes.append(cast)
    session.flush()
    return cast


def item_tally(item: AgendaItem) -> Tally:
    members = item.meeting.members
    return tally(len(members), {m.user_id for m in members if m.present}, {r.user_id for r in item.recusals},
                 {v.user_id: v.vote for v in item.votes})


def decide_item(session, item: AgendaItem) -> str:
    """Apply the tally: approve or decline the review through lending, or leave it referred."""
    from plugins.risk.services import reviews

    _open(item.meeting)
    if item.decision != "pending":
        return item.decision
    result = item_tally(item)
    item.decision = result.decision
    conditions = "; ".join(v.note for v in item.votes if v.vote == "approve_with_conditions" and v.note)
    item.conditions = conditions
    review = item.review
    if result.decision in ("approved", "approved_with_conditions"):
        review.conditions = conditions or review.conditions
        reviews.finish(session, review, True, conditions)
    elif result.decision == "declined":
        reasons = "; ".join(v.note for v in item.votes if v.vote == "decline" and v.note)
        reviews.finish(session, review, False, reasons or _text(_("Declined by the loan review committee.")))
    session.flush()
    record_event(session, "risk_committee_decision", "risk.meeting", item.meeting_id,
                 {"item": item.id, "review": review.id, "decision": result.decision})
    return result.decision


def _text(message) -> str:
    from core.i18n import translate

    return translate(message)


def close_meeting(session, meeting: Meeting) -> Meeting:
    """Decide every pending item, carry the undecided ones to the next meeting, write the minutes."""
    _open(meeting)
    for item in meeting.items:
        decide_item(session, item)
    meeting.status = "closed"
    session.flush()
    for item in meeting.items:
        if item.decision in ("no_quorum", "no_majority") and item.review.status == "referred":
            put_on_agenda(session, item.review)
    write_minutes(session, meeting)
    return meeting


def write_minutes(session, meeting: Meeting):
    import io

    from core.documents import store_from_settings, upload
    from plugins.risk.services.documents import render_minutes

    rows = [(item, item_tally(item)) for item in meeting.items]
    pdf = render_minutes(session, meeting, rows)
    version = upload(session, store_from_settings(context.settings(session)), stream=io.BytesIO(pdf),
                     filename=f"committee-minutes-{meeting.id}.pdf",
                     title=_text(_("Minutes of committee meeting ${id}", mapping={"id": meeting.id})),
                     entity_type="risk.meeting", entity_id=meeting.id, document_id=meeting.minutes_document_id,
                     user_id=current_actor(session).id)
    meeting.minutes_document_id = version.document_id
    session.flush()
    return version
