"""Collections' webhook events (core.webhooks), published where the things happen.

Each one is queued in the transaction of the change that made it happen (core's
``publish``): the deliveries commit with the case, contact or promise, or not at all.
Payloads are compact: ids, amounts as strings with two decimals, ISO dates.
"""
from __future__ import annotations

from core.api import DATE, DATETIME, ID, MONEY, WebhookEvent, nullable, obj, text
from plugins.collections.i18n import _

CASE_OPENED = "collections.case.opened"
CASE_ESCALATED = "collections.case.escalated"
CASE_CLOSED = "collections.case.closed"
PROMISE_MADE = "collections.promise.made"
PROMISE_BROKEN = "collections.promise.broken"

STAGE = {"type": "string", "enum": ["early", "mid", "late"]}


def declarations() -> list[WebhookEvent]:
    return [
        WebhookEvent(CASE_OPENED, _("A collection case was opened for an overdue loan."),
                     obj({"case_id": ID, "loan_id": ID, "customer_id": ID, "stage": STAGE, "bucket": text(10),
                          "overdue_amount": MONEY, "opened_on": DATE})),
        WebhookEvent(CASE_ESCALATED, _("A late-stage case was escalated to legal."),
                     obj({"case_id": ID, "loan_id": ID, "customer_id": ID, "stage": STAGE, "reason": text(2000),
                          "escalated_at": DATETIME})),
        WebhookEvent(CASE_CLOSED, _("A collection case was closed (the loan is current again, closed or written "
                                    "off)."),
                     obj({"case_id": ID, "loan_id": ID, "status": {"enum": ["resolved", "written_off"]},
                          "reason": text(60), "closed_on": DATE})),
        WebhookEvent(PROMISE_MADE, _("A debtor promised to pay an amount by a date."),
                     obj({"promise_id": ID, "case_id": ID, "loan_id": ID, "contact_id": nullable(ID),
                          "collector_id": nullable(ID), "amount": MONEY, "made_on": DATE, "due_on": DATE})),
        WebhookEvent(PROMISE_BROKEN, _("A promise to pay was broken: its day (plus the grace days) passed without "
                                       "the payment."),
                     obj({"promise_id": ID, "case_id": ID, "loan_id": ID, "amount": MONEY, "paid_amount": MONEY,
                          "due_on": DATE, "broken_promises": {"type": "integer", "minimum": 0}})),
    ]


def _money(value) -> str:
    return f"{value or 0:.2f}"


def _day(value):
    return value.isoformat() if value is not None else None


def publish(session, event: str, data: dict) -> int:
    from core.webhooks import publish as core_publish

    return core_publish(session, event, data)


def case_opened(session, case) -> None:
    publish(session, CASE_OPENED, {"case_id": case.id, "loan_id": case.loan_id, "customer_id": case.customer_id,
                                   "stage": case.stage, "bucket": case.bucket,
                                   "overdue_amount": _money(case.overdue_amount), "opened_on": _day(case.opened_on)})


def case_escalated(session, case, reason: str) -> None:
    publish(session, CASE_ESCALATED, {"case_id": case.id, "loan_id": case.loan_id, "customer_id": case.customer_id,
                                      "stage": case.stage, "reason": reason,
                                      "escalated_at": case.escalated_at.isoformat()})


def case_closed(session, case) -> None:
    publish(session, CASE_CLOSED, {"case_id": case.id, "loan_id": case.loan_id, "status": case.status,
                                   "reason": case.close_reason, "closed_on": _day(case.closed_on)})


def promise_made(session, case, promise) -> None:
    publish(session, PROMISE_MADE, {"promise_id": promise.id, "case_id": case.id, "loan_id": case.loan_id,
                                    "contact_id": promise.contact_id, "collector_id": promise.collector_id,
                                    "amount": _money(promise.amount), "made_on": _day(promise.made_on),
                                    "due_on": _day(promise.due_on)})


def promise_broken(session, case, promise) -> None:
    publish(session, PROMISE_BROKEN, {"promise_id": promise.id, "case_id": case.id, "loan_id": case.loan_id,
                                      "amount": _money(promise.amount), "paid_amount": _money(promise.paid_amount),
                                      "due_on": _day(promise.due_on), "broken_promises": case.broken_promises})
