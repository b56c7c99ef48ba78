"""Hooks the ``lending`` plugin calls, for other departments to implement.

Every hook is called with keyword arguments, **inside the caller's
transaction**: whatever an implementation writes to the session commits or
rolls back together with the lending operation that triggered it. An
implementation that raises :class:`core.errors.UserError` refuses the whole
operation (the user sees the message; nothing is saved). A plugin that is not
enabled simply does not answer.

Implementations receive ORM objects of :mod:`plugins.lending.models`; read
them, link to them by foreign key, but change them only through
:mod:`plugins.lending.services`.

Each hook is documented in docs/plugins/lending.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from pyramid.request import Request
    from sqlalchemy.orm import Session

    from plugins.lending.demo import Story
    from plugins.lending.models import Application, CashEntry, Customer, Investment, Loan, Repayment
    from plugins.lending.panels import CustomerPanel


@hookspec
def lending_review_required(application: Application) -> str | None:
    """Ask whether a plugin wants to review a submitted application.

    Called once, right after ``application`` (a
    :class:`plugins.lending.models.Application`) moved from ``draft`` to
    ``submitted`` and after :func:`lending_application_submitted`. Return a
    short reviewer name (e.g. ``"risk"``) to hold the application until that
    reviewer decides through
    :func:`plugins.lending.services.review_decision`; return ``None`` to
    let it pass. When no enabled plugin answers, a user holding
    ``lending.application.approve`` approves or rejects it by hand.
    Returns a string or None.
    """


@hookspec
def lending_application_submitted(application: Application) -> None:
    """React to an application having been submitted.

    Called when ``application`` moves from ``draft`` to ``submitted``, before
    :func:`lending_review_required` is asked. Useful for scoring, blacklist
    checks or notifications. Returns nothing.
    """


@hookspec
def lending_loan_disbursed(loan: Loan) -> None:
    """React to a new loan.

    Called when a funded application is disbursed, after ``loan`` (a
    :class:`plugins.lending.models.Loan`) and its installments and holdings
    are flushed (so ``loan.id`` is set). Returns nothing.
    """


@hookspec
def lending_repayment_posted(repayment: Repayment) -> None:
    """React to a posted repayment.

    Called after ``repayment`` (a :class:`plugins.lending.models.Repayment`)
    has been allocated to the installments and distributed to the investors'
    cash accounts; ``repayment.loan`` is the loan. Called before
    :func:`lending_loan_closed` when the repayment closes the loan.
    Returns nothing.
    """


@hookspec
def lending_loan_delinquency_changed(loan: Loan, old_bucket: str, new_bucket: str, days_past_due: int) -> None:
    """React to a loan moving between delinquency buckets.

    Called by the close of business job for each business date it closes,
    for every active loan whose bucket changed that day (``"current"``,
    ``"1-30"``, ``"31-60"``, ``"61-90"``, ``"91+"`` by default; the setting
    ``lending.buckets`` changes the ranges), and when a repayment or the
    closing of a loan changes it. ``days_past_due`` is the new count.
    Called once per loan and change, in loan id order. Returns nothing.
    """


@hookspec
def lending_loan_closed(loan: Loan) -> None:
    """React to a loan that has nothing left to pay.

    Called when a repayment settles the last amount owed; ``loan.status`` is
    already ``"closed"`` and ``loan.closed_on`` the repayment's date.
    Returns nothing.
    """


@hookspec
def lending_demo_day(session: Session, day: date, story: Story) -> None:
    """Add a department's part to one day of the demo's replayed history.

    Called only by the demo loader (``mutuo demo load``, lending's
    ``plugins.lending.demo``), once for every day of the replayed 18 months,
    in date order, inside lending's demo transaction: the business date is
    ``day`` and new records and audit entries are stamped on it
    (``core.demo.replay_day``). By then close of business has closed the day
    before (its events fired) and expired listings; the day's applications,
    investments, disbursements and repayments follow. Run the department's
    daily jobs and its people's work through its services here.
    ``story.next_payment(loan_id)`` says when an overdue borrower will pay
    (a date, or None), so contacts and promises fit what happens next.
    Returns nothing.
    """


@hookspec
def lending_demo_review(session: Session, application: Application, approved: bool, reason: str) -> None:
    """Decide, in the demo's story, an application a reviewing plugin is holding.

    Called only by the demo loader, when the story reaches the approval
    (``approved=True``) or the rejection (``approved=False``, ``reason`` the
    story's) of an application whose ``review_pending`` names reviewers.
    The reviewer plays its people's part through its own services and ends
    with :func:`plugins.lending.services.review_decision`, so the story goes
    on (a plugin that holds applications and does not implement this leaves
    them in review, and the story's later steps for them are skipped).
    Returns nothing.
    """


# -- customers, cash and funding (wave 2: marketing, crm, finance, risk and service react to these) --------

@hookspec
def lending_customer_created(customer: Customer) -> None:
    """React to a new customer (KYC pending).

    Called by :func:`plugins.lending.services.create_customer` after the row
    is flushed (``customer.id`` is set). Marketing turns the visitor's clicks
    into touchpoints here; CRM links its account. Returns nothing.
    """


@hookspec
def lending_customer_verified(customer: Customer) -> None:
    """React to a customer whose identity (KYC) was just verified.

    Called by :func:`plugins.lending.services.set_kyc` when the status
    becomes ``"verified"``; ``customer.kyc_checked_at`` is set. A conversion
    for marketing. Returns nothing.
    """


@hookspec
def lending_cash_deposited(entry: CashEntry) -> None:
    """React to money an investor transferred in.

    Called by :func:`plugins.lending.services.deposit` after the entry is
    flushed. ``entry`` is the :class:`plugins.lending.models.CashEntry`
    (``kind == "deposit"``, a positive ``amount``, ``reference`` as the bank
    gave it). Finance posts it to the books. Returns nothing.
    """


@hookspec
def lending_cash_withdrawn(entry: CashEntry) -> None:
    """React to money paid out to an investor.

    Called by :func:`plugins.lending.services.withdraw` after the entry is
    flushed. ``entry`` is the cash entry (``kind == "withdrawal"``, a
    **negative** ``amount``). Returns nothing.
    """


@hookspec
def lending_investment_reserved(investment: Investment) -> None:
    """React to an investor reserving cash for a listed application.

    Called after ``investment`` (status ``"reserved"``) is flushed, and
    before :func:`lending_application_funded` when it completes the funding.
    The investor's first investment is a conversion for marketing.
    Returns nothing.
    """


@hookspec
def lending_investments_released(application: Application, investments: list[Investment]) -> None:
    """React to reservations given back to the investors.

    Called when ``application`` is cancelled or its listing expires, with the
    investments that were ``"reserved"`` and are now ``"released"`` (never
    called with an empty list). Returns nothing.
    """


@hookspec
def lending_application_funded(application: Application) -> None:
    """React to an application whose investments now cover its whole amount.

    Called by :func:`plugins.lending.services.invest` after the reservation
    that completed the funding (and its :func:`lending_investment_reserved`).
    ``application.status`` is ``"funded"``; it waits for disbursement. CRM
    closes the opportunity it came from as won. Returns nothing.
    """


@hookspec
def lending_disbursement_veto(application: Application) -> str | None:
    """Say why a funded application must not be disbursed yet, or ``None``.

    Called by :func:`plugins.lending.services.disburse` before anything is
    written. Risk uses it for its maker-checker rule (a second person
    approves large loans). Every non-empty answer is shown to the user and
    nothing is disbursed. Returns a translated message or None.
    """


@hookspec
def lending_origination_fee_discount(application: Application, fee: Decimal, disbursed_on: date) -> Decimal | None:
    """Offer a discount on the origination fee of ``application``, or ``None``.

    Called by :func:`plugins.lending.services.disburse` after the vetoes and
    the funding check, before the loan is written, with ``fee`` the product's origination fee
    and ``disbursed_on`` the disbursement date.
    Marketing uses it for its fee-discount promotions (and records the
    redemption in the same transaction). Return a non-negative ``Decimal``
    amount to take off the fee; the answers are added up and the fee never
    goes below zero.
    """


@hookspec
def lending_loan_written_off(loan: Loan, outstanding_principal: Decimal) -> None:
    """React to a loan written off.

    Called by :func:`plugins.lending.services.write_off` after the loan is
    flushed: ``loan.status`` is ``"written_off"`` and ``loan.closed_on`` the write-off
    date; ``outstanding_principal`` is what the investors will not get back.
    Finance posts the loss; legal may keep pursuing it. Returns nothing.
    """


@hookspec
def lending_customer_panels(request: Request, customer: Customer) -> list[CustomerPanel]:
    """Panels another department shows on a customer's page.

    Called when lending's customer page (and the service plugin's customer
    360 page) is drawn. Return :class:`plugins.lending.panels.CustomerPanel`
    objects; each names the permission a user needs to see it. Keep it to a
    few indexed queries: the page calls every enabled plugin.
    Returns a list (may be empty).
    """
