"""The daily action items: what each open case's strategy asks for today, set-based.

For every active strategy action, one ``INSERT ... SELECT`` creates an item
for every open case of that stage whose loan is at least ``day_offset`` days
past due and has no item for this occurrence yet. The occurrence is the day
past due the step belongs to: ``day_offset`` for a one-off step; for a
repeating one the latest ``day_offset + k × repeat_every`` reached (a missed
repetition is not made up: nobody calls five times on one day). The unique
key (case, action, occurrence) makes a second run create nothing.

SMS and email items are then sent at once through the message gateway
(setting ``collections.auto_send``, default on); an item whose customer has
no phone or email stays due for the collector. Calls, letters, visits and
legal reviews wait for the collector, who marks them done by logging the
contact or by hand.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, insert, literal, select, update

from core.audit import record_event
from core.errors import UserError
from core.models.meta import utcnow
from plugins.collections.models import MESSAGE_CHANNELS, OPEN_STATUSES, ActionItem, Case, StrategyAction
from plugins.collections.services import config, messages, strategies
from plugins.collections.services.cases import business_date
from plugins.lending.models import Customer, Loan

CHUNK = 1000


@dataclass
class ActionRun:
    business_date: object = None
    created: Counter = field(default_factory=Counter)
    sent: int = 0
    cases: int = 0

    @property
    def summary(self) -> str:
        made = ", ".join(f"{n} {channel}" for channel, n in sorted(self.created.items())) or "none"
        return (f"as of {self.business_date}: {sum(self.created.values())} action item(s) created ({made}) "
                f"over {self.cases} open case(s); {self.sent} message(s) sent")


def create_due_items(session) -> ActionRun:
    """Create today's action items for every open case; send the SMS and email ones. See the module docstring."""
    strategies.ensure_defaults(session)
    on = business_date(session)
    run = ActionRun(business_date=on)
    C, L, A = Case.__table__, Loan.__table__, ActionItem.__table__
    run.cases = session.scalar(select(func.count()).where(C.c.status.in_(OPEN_STATUSES))) or 0
    now = utcnow()
    for action in strategies.actions(session, active_only=True):
        dpd = L.c.days_past_due
        occurrence = (literal(action.day_offset) + (dpd - action.day_offset) // action.repeat_every
                      * action.repeat_every) if action.repeat_every else literal(action.day_offset)
        already = exists().where(A.c.case_id == C.c.id, A.c.action_id == action.id, A.c.occurrence == occurrence)
        due = (select(C.c.id, literal(action.id), occurrence, C.c.stage, literal(action.channel), literal(on),
                      literal("due"), literal(""), literal(now))
               .select_from(C.join(L, L.c.id == C.c.loan_id))
               .where(C.c.status.in_(OPEN_STATUSES), C.c.stage == action.stage, dpd >= action.day_offset, ~already))
        result = session.execute(insert(A).from_select(
            ["case_id", "action_id", "occurrence", "stage", "channel", "due_on", "status", "done_by", "created_at"],
            due).execution_options(preserve_rowcount=True))  # INSERT row counts are not kept unless asked
        if result.rowcount:
            run.created[action.channel] += result.rowcount
    if config.auto_send(config.settings(session)):
        run.sent = send_due_messages(session, on)
    record_event(session, "action_items_created", "collections.action_item", None,
                 {"business_date": on, "created": dict(run.created), "sent": run.sent})
    session.expire_all()
    return run


def send_due_messages(session, on) -> int:
    """Render and queue every due SMS/email item in batches; mark them sent."""
    A, C, S = ActionItem.__table__, Case.__table__, StrategyAction.__table__
    K, L = Customer.__table__, Loan.__table__
    stmt = (select(A.c.id, A.c.case_id, A.c.channel, S.c.message, K.c.name, K.c.phone, K.c.email, C.c.loan_id,
                   C.c.overdue_amount, L.c.days_past_due)
            .select_from(A.join(S, S.c.id == A.c.action_id).join(C, C.c.id == A.c.case_id)
                         .join(K, K.c.id == C.c.customer_id).join(L, L.c.id == C.c.loan_id))
            .where(A.c.status == "due", A.c.channel.in_(MESSAGE_CHANNELS), C.c.status.in_(OPEN_STATUSES))
            .order_by(A.c.id))
    rows = session.execute(stmt).all()
    sent = 0
    for start in range(0, len(rows), CHUNK):
        batch, done = [], []
        for r in rows[start:start + CHUNK]:
            recipient = r.phone if r.channel == "sms" else r.email
            if not recipient or not r.message:
                continue  # no address or no text: the collector sees the item and decides
            body = messages.render(r.message, customer=r.name, loan=r.loan_id, amount=r.overdue_amount,
                                   days=r.days_past_due, case=r.case_id)
            batch.append({"case_id": r.case_id, "action_item_id": r.id, "channel": r.channel,
                          "recipient": recipient, "body": body[:2000]})
            done.append(r.id)
        sent += messages.queue_many(session, batch)
        if done:
            session.execute(update(A).where(A.c.id.in_(done)).values(status="sent", done_at=utcnow(),
                                                                     done_by="collections.action_items"))
    return sent


# -- by hand ---------------------------------------------------------------------------------

def due_items(session, case_id: int) -> list[ActionItem]:
    return list(session.scalars(select(ActionItem).where(ActionItem.case_id == case_id, ActionItem.status == "due")
                                .order_by(ActionItem.due_on, ActionItem.id)))


def finish_item(session, item: ActionItem, status: str, by: str) -> ActionItem:
    """A collector marks an item done or skipped."""
    if status not in ("done", "skipped"):
        raise UserError("Mark an action item done or skipped.", "status")
    if item.status != "due":
        raise UserError(f"This action item is already {item.status}.", "status")
    item.status, item.done_at, item.done_by = status, utcnow(), by[:100]
    record_event(session, f"action_item_{status}", "collections.case", item.case_id,
                 {"item": item.id, "channel": item.channel, "occurrence": item.occurrence})
    session.flush()
    return item


def complete_matching(session, case_id: int, channel: str, by: str) -> ActionItem | None:
    """Logging a contact through a channel completes the oldest due item of that channel."""
    item = session.scalars(select(ActionItem).where(and_(ActionItem.case_id == case_id, ActionItem.status == "due",
                                                         ActionItem.channel == channel))
                           .order_by(ActionItem.due_on, ActionItem.id).limit(1)).first()
    if item is not None:
        item.status, item.done_at, item.done_by = "done", utcnow(), by[:100]
    return item
