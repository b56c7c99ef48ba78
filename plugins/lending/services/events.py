"""Lending's webhook events (declared in :mod:`plugins.lending.api`), published where its pluggy events fire.

Each function queues the event with :func:`core.webhooks.publish` inside the caller's
transaction, so the deliveries commit with the change or not at all. Payloads are compact:
ids, amounts as strings with two decimals, ISO dates.
"""
from __future__ import annotations

from core.webhooks import publish


def _money(value) -> str:
    return f"{value or 0:.2f}"


def application_submitted(session, application) -> None:
    publish(session, "lending.application.submitted", {
        "application_id": application.id, "customer_id": application.customer_id,
        "amount": _money(application.amount), "review_pending": application.review_pending.split()})


def loan_disbursed(session, loan) -> None:
    publish(session, "lending.loan.disbursed", {
        "loan_id": loan.id, "application_id": loan.application_id, "customer_id": loan.customer_id,
        "principal": _money(loan.principal), "payout": _money(loan.payout),
        "disbursed_on": loan.disbursed_on.isoformat()})


def repayment_posted(session, repayment, loan) -> None:
    publish(session, "lending.repayment.posted", {
        "repayment_id": repayment.id, "loan_id": loan.id, "reference": repayment.reference,
        "amount": _money(repayment.amount), "paid_on": repayment.paid_on.isoformat(), "loan_status": loan.status})


def delinquency_changed(session, loan_id: int, old_bucket: str, new_bucket: str, days_past_due: int) -> None:
    publish(session, "lending.loan.delinquency_changed", {
        "loan_id": loan_id, "old_bucket": old_bucket, "new_bucket": new_bucket, "days_past_due": int(days_past_due)})


def loan_closed(session, loan) -> None:
    publish(session, "lending.loan.closed", {"loan_id": loan.id, "closed_on": loan.closed_on.isoformat()})
