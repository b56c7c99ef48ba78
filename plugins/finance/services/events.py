"""Lending's money events posted to the journal (called by the hookimpls in plugins/finance/__init__.py).

Each reaction is one or two reads and :func:`.journal.post` (two inserts): they run inside lending's
transaction thousands of times in a replay. What an event posts is the posting rules' business
(:data:`plugins.finance.chart.DEFAULT_RULES`); here only its amounts are gathered.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

from core import context
from core.money import ZERO
from plugins.finance.services import guarantee
from plugins.finance.services.journal import post
from plugins.lending.models import CashEntry, Holding


def deposited(entry) -> None:
    post(object_session(entry), "lending_cash_deposited", "lending.cash_entry", entry.id, entry.entry_date,
         {"amount": entry.amount}, customer_id=entry.customer_id, memo=entry.reference)


def withdrawn(entry) -> None:
    post(object_session(entry), "lending_cash_withdrawn", "lending.cash_entry", entry.id, entry.entry_date,
         {"amount": -entry.amount}, customer_id=entry.customer_id, memo=entry.reference)


def reserved(investment) -> None:
    session = object_session(investment)
    post(session, "lending_investment_reserved", "lending.investment", investment.id, context.today(session),
         {"amount": investment.amount}, customer_id=investment.investor_id,
         memo=f"Application {investment.application_id}")


def released(application, investments) -> None:
    session = object_session(application)
    post(session, "lending_investments_released", "lending.application", application.id, context.today(session),
         {"released": [(i.investor_id, i.amount) for i in investments]}, customer_id=application.customer_id,
         memo=f"Application {application.id} {application.status}")


def disbursed(loan) -> None:
    session = object_session(loan)
    spent = session.execute(select(Holding.investor_id, Holding.amount).where(Holding.loan_id == loan.id)).all()
    contribution = guarantee.contribution(session, loan)
    post(session, "lending_loan_disbursed", "lending.loan", loan.id, loan.disbursed_on,
         {"spent": [tuple(row) for row in spent], "principal": loan.principal, "origination_fee": loan.origination_fee,
          "payout": loan.payout, "guarantee_contribution": contribution},
         customer_id=loan.customer_id, loan_id=loan.id, memo=f"Loan {loan.id}")


def repaid(repayment) -> None:
    session = object_session(repayment)
    shares = session.execute(select(CashEntry.customer_id, CashEntry.amount)
                             .where(CashEntry.repayment_id == repayment.id)).all()
    distributed = [tuple(row) for row in shares]
    post(session, "lending_repayment_posted", "lending.repayment", repayment.id, repayment.paid_on,
         {"amount": repayment.amount, "distributed": distributed, "service_fee": repayment.service_fee,
          "fee": repayment.fee, "platform_share": repayment.fee + repayment.service_fee,
          "principal": repayment.principal, "interest": repayment.interest, "penalty": repayment.penalty,
          "undistributed": repayment.distributed - sum((x[1] for x in distributed), ZERO)},
         customer_id=repayment.loan.customer_id, loan_id=repayment.loan_id, memo=repayment.reference)
    guarantee.recover(session, repayment)


def written_off(loan, outstanding_principal) -> None:
    session = object_session(loan)
    post(session, "lending_loan_written_off", "lending.loan", loan.id, loan.closed_on or context.today(session),
         {"outstanding_principal": outstanding_principal}, customer_id=loan.customer_id, loan_id=loan.id,
         memo=f"Loan {loan.id} written off")
