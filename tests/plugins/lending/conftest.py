"""Fixtures for the lending plugin's tests: products + lending only, a world builder, an event recorder."""
from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from core import hookimpl

SETTINGS = {"mutuo.timezone": "UTC"}


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending")


class EventRecorder:
    """A test plugin: implements every lending hook and records the calls."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.reviewer: str | None = None

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


@pytest.fixture
def events(mutuo_db):
    recorder = EventRecorder()
    mutuo_db.pm.register(recorder, name="lending-test-events")
    yield recorder
    mutuo_db.pm.unregister(name="lending-test-events")


@pytest.fixture
def session(dbsession, mutuo_db):
    """A session bound to the test plugin manager and settings (as a request or a job would be)."""
    from core.context import bind

    bind(dbsession, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
    return dbsession


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


@pytest.fixture
def world(session, mutuo_db, clock):
    return World(session, mutuo_db.documents, clock)


class Clock:
    """The lending services' idea of today, frozen for a test."""

    def __init__(self):
        self.day: date | None = None

    def today(self, session) -> date:
        return self.day or date.today()

    @contextmanager
    def at(self, day: date):
        before, self.day = self.day, day
        try:
            yield
        finally:
            self.day = before


@pytest.fixture
def clock(monkeypatch):
    from core import context

    frozen = Clock()
    monkeypatch.setattr(context, "today", frozen.today)
    return frozen


@pytest.fixture
def today_is(clock):
    """today_is(day): freeze today."""
    def set_today(day: date):
        clock.day = day
    return set_today


def days(n: int) -> timedelta:
    return timedelta(days=n)
