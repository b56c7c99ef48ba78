"""The application status machine, review through the hook or by hand, and funding."""
from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import UserError
from plugins.lending import services
from plugins.lending.services.applications import TRANSITIONS

from .test_customers_and_cash import refused

TODAY = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(TODAY)


def in_status(world, session, status):
    """An application brought to ``status`` through the services."""
    if status == "draft":
        return world.application()
    if status in ("submitted", "approved", "rejected"):
        application = world.application()
        services.submit(session, application)
        if status == "approved":
            services.approve(session, application, "fine")
        if status == "rejected":
            services.reject(session, application, "income too low")
        return application
    if status == "listed":
        return world.listed(listed_on=TODAY)
    if status == "funded":
        return world.funded(listed_on=TODAY)
    if status == "disbursed":
        application = world.funded(listed_on=TODAY)
        services.disburse(session, application, TODAY)
        return application
    if status == "cancelled":
        application = world.application()
        services.cancel(session, application, "duplicate")
        return application
    if status == "expired":
        application = world.listed(listed_on=date(2025, 1, 1))
        assert services.expire_listings(session, TODAY) == 1
        return application
    raise AssertionError(status)


STATUSES = ("draft", "submitted", "approved", "rejected", "listed", "funded", "disbursed", "cancelled", "expired")


def attempt(session, world, application, action):
    if action == "edit":
        return services.update_application(session, application, purpose="x")
    if action == "submit":
        return services.submit(session, application)
    if action == "approve":
        return services.approve(session, application, "")
    if action == "reject":
        return services.reject(session, application, "no")
    if action == "list":
        return services.list_for_funding(session, application, TODAY)
    if action == "invest":
        return services.invest(session, application, world.investor(), D("100.00"))
    if action == "disburse":
        return services.disburse(session, application, TODAY)
    if action == "expire":
        return None  # the job only looks at listed applications; covered below
    if action == "cancel":
        return services.cancel(session, application, "because")
    raise AssertionError(action)


@pytest.mark.parametrize("status", STATUSES)
def test_every_action_refused_outside_its_statuses(session, world, status):
    application = in_status(world, session, status)
    assert application.status == status
    for action, starts in TRANSITIONS.items():
        if status in starts or action == "expire":
            continue
        with pytest.raises(UserError) as info:
            attempt(session, world, application, action)
        assert info.value.field == "status"
        assert str(info.value).startswith(f"Only {' or '.join(starts)} applications can be")
        assert f"application {application.id} is {status}." in str(info.value)
        assert application.status == status


def test_happy_path_through_every_status(session, world, events):
    application = world.application()
    assert application.status == "draft"
    services.update_application(session, application, amount=D("12000.00"), purpose="new roof")
    services.submit(session, application)
    assert application.status == "submitted" and application.review_pending == ""
    application_events = [n for n in events.names() if not n.startswith("lending_customer_")]
    assert application_events[:2] == ["lending_application_submitted", "lending_review_required"]
    assert events.of("lending_application_submitted")[0]["status"] == "submitted"
    services.approve(session, application, "stable income")
    assert (application.status, application.decided_by, application.decision_reason) == \
        ("approved", "test", "stable income")
    services.list_for_funding(session, application, TODAY)
    assert application.status == "listed" and application.funding_deadline == date(2025, 3, 15)
    a, b = world.investor(), world.investor()
    services.invest(session, application, a, D("7000.00"))
    assert application.status == "listed"
    assert services.remaining(session, application) == D("5000.00")
    services.invest(session, application, b, D("5000.00"))
    assert application.status == "funded" and application.funded_at is not None
    loan = services.disburse(session, application, TODAY)
    assert application.status == "disbursed" and loan.application_id == application.id


def test_rejection_needs_a_reason(session, world):
    application = world.application()
    services.submit(session, application)
    refused(services.reject, session, application, "  ", field="reason", match="Give the reason")
    services.reject(session, application, "income too low")
    assert (application.status, application.decision_reason) == ("rejected", "income too low")


def test_terms_checked_against_the_product(session, world):
    version = world.product()
    borrower = world.customer()
    create = services.create_application
    refused(create, session, customer=borrower, product_version_id=version.id, amount=D("999.99"), term_months=12,
            field="amount", match="between 1,000.00 and 50,000.00")
    refused(create, session, customer=borrower, product_version_id=version.id, amount=D("5000"), term_months=48,
            field="term_months", match="between 3 and 36")
    refused(create, session, customer=borrower, product_version_id=version.id, amount=D("5000"), term_months=12,
            annual_rate=D("0.30"), field="annual_rate", match="rate must be between")
    refused(create, session, customer=borrower, product_version_id=version.id, amount="lots", term_months=12,
            field="amount")
    refused(create, session, customer=borrower, product_version_id=version.id, amount=D("5000"), term_months="x",
            field="term_months")
    refused(create, session, customer=borrower, product_version_id=None, amount=D("5000"), term_months=12,
            field="product_version_id")
    refused(create, session, customer=borrower, product_version_id=999999, amount=D("5000"), term_months=12,
            field="product_version_id")
    investor = world.investor()
    refused(create, session, customer=investor, product_version_id=version.id, amount=D("5000"), term_months=12,
            field="customer_id", match="investor only")
    application = create(session, customer=borrower, product_version_id=version.id, amount=D("5000"), term_months=12)
    assert application.annual_rate == version.default_rate  # blank rate: the product's default
    assert (application.region, application.industry) == (borrower.region, borrower.industry)


def test_retired_product_refused_on_submit(session, world):
    from plugins.products import services as products

    version = world.product()
    application = world.application(version=version)
    products.retire(session, version.product)
    refused(services.submit, session, application, field="product_version_id", match="retired")


def test_submit_needs_verified_borrower(session, world):
    borrower = world.customer(verified=False)
    application = world.application(borrower=borrower)
    refused(services.submit, session, application, field="customer_id", match="KYC is pending")


def test_only_products_and_lending_means_approval_by_hand(session, world, mutuo_db):
    assert mutuo_db.pm.enabled_names == ["products", "lending"]
    assert not list(mutuo_db.pm.hook.lending_review_required.get_hookimpls())
    application = world.application()
    services.submit(session, application)
    assert application.review_pending == ""
    services.approve(session, application, "checked by hand")
    assert application.status == "approved"


def test_a_reviewing_plugin_holds_the_application(session, world, events):
    events.reviewer = "risk"
    application = world.application()
    services.submit(session, application)
    assert application.status == "submitted" and application.review_pending == "risk"
    message = refused(services.approve, session, application, "", field="status")
    assert message == f"Application {application.id} is being reviewed by risk; their decision approves or rejects it."
    refused(services.reject, session, application, "no", field="status", match="being reviewed by risk")
    refused(services.review_decision, session, application, "legal", True, field="status",
            match="legal is not reviewing")
    refused(services.review_decision, session, application, "risk", False, "", field="reason")
    services.review_decision(session, application, "risk", True, "score 720")
    assert (application.status, application.decided_by, application.review_pending) == ("approved", "risk", "")


def test_every_reviewer_must_approve_one_rejection_rejects(session, world, events, mutuo_db):
    from core import hookimpl

    class Legal:
        @hookimpl
        def lending_review_required(self, application):
            return "legal"

    mutuo_db.pm.register(Legal(), name="legal-reviewer")
    try:
        events.reviewer = "risk"
        first = world.application()
        services.submit(session, first)
        assert sorted(services.reviewers(first)) == ["legal", "risk"]
        services.review_decision(session, first, "risk", True)
        assert first.status == "submitted" and first.review_pending == "legal"
        services.review_decision(session, first, "legal", True)
        assert first.status == "approved"
        second = world.application()
        services.submit(session, second)
        services.review_decision(session, second, "legal", False, "contract clause missing")
        assert (second.status, second.decision_reason, second.decided_by) == \
            ("rejected", "contract clause missing", "legal")
    finally:
        mutuo_db.pm.unregister(name="legal-reviewer")


# -- funding ---------------------------------------------------------------------------

def test_investment_refusals(session, world):
    version = world.product(min_investment=D("100.00"), investment_increment=D("50.00"))
    application = world.listed(version=version, amount=D("1000.00"), listed_on=TODAY)
    rich, poor = world.investor(), world.investor(cash=D("120.00"))
    invest = services.invest
    refused(invest, session, application, rich, D("99.00"), field="amount", match="minimum investment is 100.00")
    refused(invest, session, application, rich, D("120.00"), field="amount",
            match="Invest 100.00 plus steps of 50.00, e.g. 100.00 or 150.00")
    refused(invest, session, application, rich, D("1050.00"), field="amount", match="Only 1,000.00 remains")
    refused(invest, session, application, rich, D("0"), field="amount", match="greater than zero")
    refused(invest, session, application, poor, D("150.00"), field="amount", match="has only 120.00 available")
    borrower = application.customer
    refused(invest, session, application, borrower, D("100.00"), field="investor_id", match="investor")
    both = world.customer(role="both")
    own = world.listed(borrower=both, listed_on=TODAY)
    refused(invest, session, own, both, D("100.00"), field="investor_id", match="their own application")
    unverified = world.customer(role="investor", verified=False)
    refused(invest, session, application, unverified, D("100.00"), field="investor_id", match="KYC is pending")
    services.invest(session, application, rich, D("950.00"))
    # The last piece may be below the minimum and off the increment.
    services.invest(session, application, poor, D("50.00"))
    assert application.status == "funded"
    assert services.remaining(session, application) == D("0.00")


def test_investing_after_the_deadline_refused(session, world, today_is):
    application = world.listed(listed_on=date(2025, 1, 1))
    today_is(date(2025, 2, 1))
    refused(services.invest, session, application, world.investor(), D("100.00"), field="status",
            match="closed on 2025-01-15")


def test_cancel_releases_reservations(session, world):
    application = world.funded(listed_on=TODAY)
    refused(services.cancel, session, application, "", field="reason")
    services.cancel(session, application, "borrower withdrew")
    assert application.status == "cancelled"
    assert {i.status for i in application.investments} == {"released"}
    for investment in application.investments:
        assert services.reserved(session, investment.investor_id) == D("0.00")


def test_expire_listings_releases_reservations(session, world, today_is):
    today_is(date(2025, 1, 2))
    old = world.listed(listed_on=date(2025, 1, 1))  # deadline 2025-01-15
    investor = world.investor()
    services.invest(session, old, investor, D("500.00"))
    today_is(TODAY)  # a listing is never dated in the future
    fresh = world.listed(listed_on=date(2025, 2, 20))  # deadline 2025-03-06
    assert services.expire_listings(session, date(2025, 1, 15)) == 0  # the deadline day itself is still open
    assert services.expire_listings(session, TODAY) == 1
    assert (old.status, fresh.status) == ("expired", "listed")
    assert old.investments[0].status == "released"
    assert services.available(session, investor.id) == D("100000.00")
    assert "Funding window closed on 2025-01-15" in old.closed_reason
