"""Builders for tests of lending and of the plugins that depend on it (a public module: import it).

``World`` makes customers, products, applications and loans through lending's
services, the way users would, so every event fires and every rule holds::

    from plugins.lending.testing import World

    def test_something(dbsession, mutuo_db, clock):
        world = World(dbsession, mutuo_db.documents, clock)
        loan = world.overdue_loan(days_overdue=35)

``EventRecorder`` is a plugin implementing every lending hook; register it on
``mutuo_db.pm`` to see what fired (the ``lending_events`` fixture of
:mod:`plugins.lending.testing` does that for you when you list it in
``pytest_plugins``).
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from core import hookimpl


def _month_before(day: date) -> date:
    """The same day of the previous month (clamped), so the first monthly installment falls on ``day``."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    import calendar

    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class EventRecorder:
    """A test plugin: implements every lending hook and records the calls."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.reviewer: str | None = None
        self.veto: str | None = None  # what lending_disbursement_veto answers

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[dict]:
        return [kw for n, kw in self.calls if n == name]

    @hookimpl
    def lending_review_required(self, application):
        self.calls.append(("lending_review_required", {"application": application.id}))
        return self.reviewer

    @hookimpl
    def lending_application_submitted(self, application):
        self.calls.append(("lending_application_submitted", {"application": application.id,
                                                             "status": application.status}))

    @hookimpl
    def lending_loan_disbursed(self, loan):
        self.calls.append(("lending_loan_disbursed", {"loan": loan.id, "installments": len(loan.installments)}))

    @hookimpl
    def lending_repayment_posted(self, repayment):
        self.calls.append(("lending_repayment_posted", {"repayment": repayment.id, "loan": repayment.loan_id,
                                                        "amount": repayment.amount}))

    @hookimpl
    def lending_loan_delinquency_changed(self, loan, old_bucket, new_bucket, days_past_due):
        self.calls.append(("lending_loan_delinquency_changed", {"loan": loan.id, "old": old_bucket,
                                                                 "new": new_bucket, "dpd": days_past_due}))

    @hookimpl
    def lending_loan_closed(self, loan):
        self.calls.append(("lending_loan_closed", {"loan": loan.id, "status": loan.status}))

    @hookimpl
    def lending_customer_created(self, customer):
        self.calls.append(("lending_customer_created", {"customer": customer.id}))

    @hookimpl
    def lending_customer_verified(self, customer):
        self.calls.append(("lending_customer_verified", {"customer": customer.id}))

    @hookimpl
    def lending_cash_deposited(self, entry):
        self.calls.append(("lending_cash_deposited", {"customer": entry.customer_id, "amount": entry.amount}))

    @hookimpl
    def lending_cash_withdrawn(self, entry):
        self.calls.append(("lending_cash_withdrawn", {"customer": entry.customer_id, "amount": entry.amount}))

    @hookimpl
    def lending_investment_reserved(self, investment):
        self.calls.append(("lending_investment_reserved", {"investment": investment.id,
                                                           "investor": investment.investor_id,
                                                           "amount": investment.amount}))

    @hookimpl
    def lending_investments_released(self, application, investments):
        self.calls.append(("lending_investments_released", {"application": application.id,
                                                            "status": application.status,
                                                            "investments": [i.id for i in investments]}))

    @hookimpl
    def lending_application_funded(self, application):
        self.calls.append(("lending_application_funded", {"application": application.id}))

    @hookimpl
    def lending_disbursement_veto(self, application):
        self.calls.append(("lending_disbursement_veto", {"application": application.id}))
        return self.veto

    @hookimpl
    def lending_loan_written_off(self, loan, outstanding_principal):
        self.calls.append(("lending_loan_written_off", {"loan": loan.id, "lost": outstanding_principal}))


class World:
    """Builds lending records through the services, the way users would."""

    def __init__(self, session, documents_path: str, clock):
        self.session = session
        self.clock = clock
        self.documents_path = documents_path
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def product(self, **terms):
        from plugins.products import services as products

        n = self._next()
        spec = dict(code=f"P{n}", name=f"Product {n}", repayment_method="equal_installment",
                    min_amount=D("1000.00"), max_amount=D("50000.00"), min_term_months=3, max_term_months=36,
                    min_rate=D("0.05"), default_rate=D("0.12"), max_rate=D("0.24"),
                    origination_fee_rate=D("0.02"), penalty_daily_rate=D("0.001"), grace_days=3,
                    service_fee_rate=D("0.01"), min_investment=D("100.00"), investment_increment=D("50.00"),
                    funding_window_days=14)
        spec.update(terms)
        product = products.create_product(self.session, **spec)
        products.activate(self.session, product)
        return product.current_version

    def customer(self, role="borrower", verified=True, **fields):
        from plugins.lending import services

        n = self._next()
        customer = services.create_customer(self.session, role=role, kind="person", name=f"Customer {n}",
                                            id_number=f"ID{n:06d}", region=fields.pop("region", "North"),
                                            industry=fields.pop("industry", "Retail"), **fields)
        if verified:
            self.document(customer)
            services.set_kyc(self.session, customer, "verified")
        return customer

    def document(self, customer):
        from core.documents import store_from_settings, upload

        store = store_from_settings({"mutuo.documents.path": self.documents_path})
        return upload(self.session, store, stream=io.BytesIO(b"identity card scan " + str(customer.id).encode()),
                      filename="id.txt", title="Identity card", entity_type="lending.customer",
                      entity_id=customer.id)

    def investor(self, cash=D("100000.00")):
        from plugins.lending import services

        investor = self.customer(role="investor")
        if cash:
            services.deposit(self.session, investor, cash, entry_date=date(2025, 1, 1))
        return investor

    def application(self, version=None, borrower=None, amount=D("10000.00"), term=12, **kw):
        from plugins.lending import services

        version = version or self.product()
        borrower = borrower or self.customer()
        return services.create_application(self.session, customer=borrower, product_version_id=version.id,
                                           amount=amount, term_months=term, **kw)

    def listed(self, listed_on=None, **kw):
        from plugins.lending import services

        application = self.application(**kw)
        services.submit(self.session, application)
        services.approve(self.session, application, "ok")
        services.list_for_funding(self.session, application, listed_on)
        return application

    def funded(self, investors=2, **kw):
        from plugins.lending import services

        application = self.listed(**kw)
        people = [self.investor() for _ in range(investors)]
        left = application.amount
        for i, person in enumerate(people):
            part = left if i == len(people) - 1 else (application.amount / investors // 50) * 50
            services.invest(self.session, application, person, part)
            left -= part
        return application

    def loan(self, disbursed_on=date(2025, 1, 15), investors=2, **kw):
        from plugins.lending import services

        with self.clock.at(disbursed_on):
            application = self.funded(investors=investors, **kw)
            return services.disburse(self.session, application, disbursed_on)

    def overdue_loan(self, days_overdue: int, **kw):
        """A loan ``days_overdue`` days past due at the last closed business date (yesterday by the
        clock): close of business ran over those days, so its bucket and the events are real."""
        from plugins.lending import services

        today = self.clock.day or date.today()
        closed = today - timedelta(days=1)
        first_due = closed - timedelta(days=days_overdue)
        loan = self.loan(disbursed_on=_month_before(first_due), **kw)
        with self.clock.at(today):
            services.close_of_business(self.session, closed, start=first_due)
        return loan


@pytest.fixture
def lending_events(mutuo_db):
    """An :class:`EventRecorder` registered on the test plugin manager for one test."""
    recorder = EventRecorder()
    mutuo_db.pm.register(recorder, name="lending-test-events")
    yield recorder
    mutuo_db.pm.unregister(name="lending-test-events")


@pytest.fixture
def world(dbsession, mutuo_db, clock):
    """A :class:`World` on the test's session and business clock."""
    return World(dbsession, mutuo_db.documents, clock)
