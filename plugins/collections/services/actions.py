"""The daily action items: what each open case's strategy asks for today, set-based.

One ``INSERT ... SELECT`` joins every open case to its stage's active
strategy actions and creates an item for each action the loan's days past due
have reached and that has no item for this occurrence yet. The occurrence is
the day past due the step belongs to: ``day_offset`` for a one-off step; for
a repeating one the latest ``day_offset + k × repeat_every`` reached (a missed
repetition is not made up: nobody calls five times on one day). The unique
key (case, action, occurrence) makes a second run create nothing. A case
found late (say at day 8) gets each one-off step of its stage it has passed.

SMS and email items are sent at once through core's message service (setting
``collections.auto_send``, default on): such an item is created ``sent`` and
its text, rendered in SQL, is composed in the same transaction (one
``INSERT … SELECT`` into ``core_message``). An item whose customer has no
phone or email stays due for the collector. An item whose address opted out of
the channel (core's consent, checked by a ``NOT EXISTS`` in the same
statement) is created ``skipped``; its message is kept as ``suppressed``.
Calls, letters, visits and legal reviews wait for the collector, who marks
them done by logging the contact or by hand.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, insert, literal, select

from core.audit import record_event
from core.errors import UserError
from core.messages import opted_out_sql
from core.models.meta import utcnow
from plugins.collections.i18n import _, _n, word
from plugins.collections.models import MESSAGE_CHANNELS, OPEN_STATUSES, ActionItem, Case, StrategyAction
from plugins.collections.services import config, messages, strategies
from plugins.collections.services.cases import business_date
from plugins.lending.models import Customer, Loan

SENDER = "collections.action_items"
OPTED_OUT = "opted out (core.messages)"


@dataclass
class ActionRun:
    business_date: object = None
    created: Counter = field(default_factory=Counter)
    sent: int = 0
    suppressed: int = 0
    cases: int = 0

    @property
    def summary(self) -> str:
        from core.formatting import current

        fmt = current()
        made = ", ".join(f"{fmt.number(n)} {fmt.label(channel, 'collections')}"
                         for channel, n in sorted(self.created.items())) or fmt.translate(_("none"))
        created = _n("${n} action item created (${made})", "${n} action items created (${made})",
                     sum(self.created.values()), mapping={"made": made})
        cases = _n("over ${n} open case", "over ${n} open cases", self.cases)
        sent = _n("${n} message sent", "${n} messages sent", self.sent)
        held = _n("${n} not sent (opted out)", "${n} not sent (opted out)", self.suppressed)
        return fmt.translate(_("as of ${date}: ${created} ${cases}; ${sent}, ${held}", mapping={
            "date": fmt.date(self.business_date), "created": created, "cases": cases, "sent": sent, "held": held}))


def create_due_items(session) -> ActionRun:
    """Create today's action items for every open case; send the SMS and email ones. See the module docstring."""
    strategies.ensure_defaults(session)
    on = business_date(session)
    run = ActionRun(business_date=on)
    C, L, A, S, K = (Case.__table__, Loan.__table__, ActionItem.__table__, StrategyAction.__table__,
                     Customer.__table__)
    run.cases = session.scalar(select(func.count()).where(C.c.status.in_(OPEN_STATUSES))) or 0
    dpd = L.c.days_past_due
    now = utcnow()
    # One statement for every action of every stage: the planner sees the whole job at once.
    occurrence = case(
        (S.c.repeat_every.is_(None), S.c.day_offset),
        else_=S.c.day_offset + (dpd - S.c.day_offset) // S.c.repeat_every * S.c.repeat_every)
    already = exists().where(A.c.case_id == C.c.id, A.c.action_id == S.c.id, A.c.occurrence == occurrence)
    # SMS and email go out at once when the customer has the address: the item is born "sent",
    # or "skipped" when the address opted out of the channel (its message is kept as suppressed).
    address = case((S.c.channel == "sms", K.c.phone), else_=K.c.email)
    automatic = and_(literal(config.auto_send(config.settings(session))), S.c.channel.in_(MESSAGE_CHANNELS),
                     S.c.message != "", address != "")
    sendable = and_(automatic, ~opted_out_sql(S.c.channel, address))
    status = case((sendable, "sent"), (automatic, "skipped"), else_="due")
    due = (select(C.c.id, S.c.id, occurrence, C.c.stage, S.c.channel, literal(on), status,
                  case((sendable, SENDER), (automatic, OPTED_OUT), else_=""), case((automatic, now), else_=None),
                  literal(now))
           .select_from(C.join(L, L.c.id == C.c.loan_id).join(K, K.c.id == C.c.customer_id)
                        .join(S, and_(S.c.stage == C.c.stage, S.c.active.is_(True), S.c.day_offset <= dpd)))
           .where(C.c.status.in_(OPEN_STATUSES), ~already))
    made = session.execute(insert(A).from_select(
        ["case_id", "action_id", "occurrence", "stage", "channel", "due_on", "status", "done_by", "done_at",
         "created_at"], due).returning(A.c.id, A.c.channel, A.c.status)).all()
    run.created.update(channel for _id, channel, _status in made)
    composed = [i for i, _channel, status in made if status in ("sent", "skipped")]
    messages.queue_for_items(session, composed)
    run.sent = sum(1 for _i, _channel, status in made if status == "sent")
    run.suppressed = len(composed) - run.sent
    record_event(session, "action_items_created", "collections.action_item", None,
                 {"business_date": on, "created": dict(run.created), "sent": run.sent,
                  "suppressed": run.suppressed})
    session.expire_all()
    return run


# -- by hand ---------------------------------------------------------------------------------

def due_items(session, case_id: int) -> list[ActionItem]:
    return list(session.scalars(select(ActionItem).where(ActionItem.case_id == case_id, ActionItem.status == "due")
                                .order_by(ActionItem.due_on, ActionItem.id)))


def finish_item(session, item: ActionItem, status: str, by: str) -> ActionItem:
    """A collector marks an item done or skipped."""
    if status not in ("done", "skipped"):
        raise UserError(_("Mark an action item done or skipped."), "status")
    if item.status != "due":
        raise UserError(_("This action item is already ${status}.", mapping={"status": word(item.status)}), "status")
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
