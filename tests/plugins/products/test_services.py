"""The product workflow (draft → active → retired, versions) and every validation rule."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.models.audit import AuditEntry
from plugins.products import services
from plugins.products.models import LoanProduct, ProductVersion
from plugins.products.testing import TERMS


def new(session, code="CASH-12", **changes):
    return services.create_product(session, code=code, name="Cash loan", **{**TERMS, **changes})


@pytest.fixture
def session(dbsession):
    return dbsession


def test_create_makes_a_draft_with_version_one(session):
    product = new(session, description="  For households. ")
    assert product.status == "draft" and product.description == "For households."
    version = product.current_version
    assert version.number == 1 and version.allocation == ("penalty", "fee", "interest", "principal")
    assert version.day_count == "actual/365" and version.grace_days == 0
    assert version.origination_fee_rate == D("0")


def test_draft_edits_change_version_one_in_place(session):
    product = new(session)
    services.update_product(session, product, default_rate=D("0.10"), name="Household cash", code="HH-12")
    assert [v.number for v in product.versions] == [1]
    assert product.current_version.default_rate == D("0.10")
    assert (product.code, product.name) == ("HH-12", "Household cash")


def test_active_edits_add_a_version_and_keep_the_old_one(session):
    product = new(session)
    services.activate(session, product)
    first = product.current_version
    services.update_product(session, product, default_rate=D("0.115"), max_term_months=48)
    assert [v.number for v in product.versions] == [1, 2]
    assert first.default_rate == D("0.12") and first.max_term_months == 36  # what was made under v1 keeps it
    assert product.current_version.default_rate == D("0.115")
    assert product.current_version.allocation_order == first.allocation_order


def test_active_edit_without_term_changes_adds_no_version(session):
    product = new(session)
    services.activate(session, product)
    services.update_product(session, product, name="Renamed", default_rate=D("0.12"))
    assert len(product.versions) == 1 and product.name == "Renamed"


def test_selectable_versions_are_current_versions_of_active_products(session):
    draft = new(session, code="DRAFT")
    active = new(session, code="ACTIVE")
    retired = new(session, code="RETIRED")
    for product in (active, retired):
        services.activate(session, product)
    services.retire(session, retired)
    services.update_product(session, active, default_rate=D("0.2"))
    assert services.selectable_versions(session) == [active.current_version]
    services.ensure_selectable(session, active.current_version)
    with pytest.raises(UserError, match=r"^Product ACTIVE has new terms \(version 2\); choose it again") as exc:
        services.ensure_selectable(session, active.versions[0])
    assert exc.value.field == "product_version_id"
    with pytest.raises(UserError, match="^Product RETIRED is retired; choose an active product.$"):
        services.ensure_selectable(session, retired.current_version)
    with pytest.raises(UserError, match="^Product DRAFT is not active yet; choose an active product.$"):
        services.ensure_selectable(session, draft.current_version)


def test_get_version(session):
    product = new(session)
    assert services.get_version(session, product.current_version.id) is product.current_version
    assert services.get_version(session, str(product.current_version.id)) is product.current_version
    for missing in (999999, "x", None):
        with pytest.raises(UserError, match="no such product version") as exc:
            services.get_version(session, missing)
        assert exc.value.field == "product_version_id"


def test_check_terms(session):
    version = new(session).current_version
    assert services.check_terms(version, D("1000.00"), 6) == D("0.12")
    assert services.check_terms(version, D("50000.00"), 36, D("0.24")) == D("0.24")
    refusals = [
        ((D("999.99"), 12), "amount", "The amount must be between 1,000.00 and 50,000.00 for CASH-12 (version 1)."),
        ((D("50000.01"), 12), "amount", "The amount must be between 1,000.00 and 50,000.00 for CASH-12 (version 1)."),
        ((D("1000.001"), 12), "amount", "Write the amount in whole cents, like 1234.50."),
        ((D("5000.00"), 5), "term_months", "The term must be between 6 and 36 months for CASH-12 (version 1)."),
        ((D("5000.00"), 37), "term_months", "The term must be between 6 and 36 months for CASH-12 (version 1)."),
        ((D("5000.00"), 12, D("0.07")), "rate", "The rate must be between 8% and 24% a year for CASH-12 (version 1)."),
        ((D("5000.00"), 12, D("0.2401")), "rate", "The rate must be between 8% and 24% a year for CASH-12 (version 1)."),
    ]
    for args, field, message in refusals:
        with pytest.raises(UserError) as exc:
            services.check_terms(version, *args)
        assert (exc.value.field, str(exc.value)) == (field, message)


def test_workflow_refusals(session):
    product = new(session)
    with pytest.raises(UserError, match="^Product CASH-12 is a draft and was never offered; activate it or leave"):
        services.retire(session, product)
    services.activate(session, product)
    with pytest.raises(UserError, match="^Product CASH-12 is already active.$"):
        services.activate(session, product)
    with pytest.raises(UserError, match="^The code of an active product cannot change") as exc:
        services.update_product(session, product, code="OTHER")
    assert exc.value.field == "code"
    services.retire(session, product)
    with pytest.raises(UserError, match="^Product CASH-12 is already retired.$"):
        services.retire(session, product)
    with pytest.raises(UserError, match="^Product CASH-12 is retired and stays retired; create a new product"):
        services.activate(session, product)
    with pytest.raises(UserError, match="^Product CASH-12 is retired; its terms can no longer change"):
        services.update_product(session, product, default_rate=D("0.1"))


def test_code_rules(session):
    new(session, code="CASH-12")
    cases = [
        ("", "Give the product a code, like CASH-12."),
        ("  ", "Give the product a code, like CASH-12."),
        ("cash 12", "A code has up to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit."),
        ("-X", "A code has up to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit."),
        ("X" * 33, "A code has up to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit."),
        ("cash-12", "Code cash-12 is taken by product “Cash loan”; choose another."),
    ]
    for code, message in cases:
        with pytest.raises(UserError) as exc:
            new(session, code=code)
        assert (exc.value.field, str(exc.value)) == ("code", message)
    with pytest.raises(UserError, match="^Give the product a name.$"):
        services.create_product(session, code="N", name=" ", **TERMS)
    with pytest.raises(UserError, match="^A name has at most 200 characters.$"):
        services.create_product(session, code="N", name="n" * 201, **TERMS)


RULES = [
    # (changes, field, message)
    ({"min_amount": None}, "min_amount", "The minimum amount is required."),
    ({"repayment_method": ""}, "repayment_method", "The repayment method is required."),
    ({"min_amount": "abc"}, "min_amount", "The minimum amount must be a number."),
    ({"min_amount": D("-1")}, "min_amount", "The minimum amount cannot be negative."),
    ({"min_amount": D("0")}, "min_amount", "The minimum amount must be more than zero."),
    ({"min_amount": D("10.001")}, "min_amount", "The minimum amount has at most two decimal places."),
    ({"max_amount": D("1000000000000.01")}, "max_amount", "The maximum amount is at most 1,000,000,000,000.00."),
    ({"max_amount": D("999.99")}, "max_amount", "The maximum amount must be at least the minimum amount (1,000.00)."),
    ({"min_term_months": 0}, "min_term_months", "The minimum term is at least 1 month."),
    ({"min_term_months": D("6.5")}, "min_term_months", "The minimum term is a whole number."),
    ({"max_term_months": 601}, "max_term_months", "The maximum term is at most 600 months."),
    ({"max_term_months": 5}, "max_term_months", "The maximum term must be at least the minimum term (6 months)."),
    ({"min_rate": D("-0.01")}, "min_rate", "The minimum rate cannot be negative."),
    ({"max_rate": D("1.5")}, "max_rate", "The maximum rate is at most 100%."),
    ({"default_rate": D("0.1234567")}, "default_rate",
     "The default rate has at most four decimals as a percentage (0.0001%)."),
    ({"max_rate": D("0.07")}, "max_rate", "The maximum rate must be at least the minimum rate (8%)."),
    ({"default_rate": D("0.25")}, "default_rate",
     "The default rate must lie between the minimum (8%) and the maximum rate (24%)."),
    ({"default_rate": D("0.075")}, "default_rate",
     "The default rate must lie between the minimum (8%) and the maximum rate (24%)."),
    ({"repayment_method": "balloon"}, "repayment_method",
     "Unknown repayment method “balloon”; choose one of equal_installment, equal_principal, interest_first, bullet."),
    ({"day_count": "actual/360"}, "day_count",
     "Unknown day-count convention “actual/360”; choose one of actual/365, 30/360."),
    ({"origination_fee_rate": D("-0.01")}, "origination_fee_rate", "The origination fee rate cannot be negative."),
    ({"penalty_daily_rate": D("2")}, "penalty_daily_rate", "The daily penalty rate is at most 100%."),
    ({"service_fee_rate": "x"}, "service_fee_rate", "The investor service fee rate must be a number."),
    ({"grace_days": -1}, "grace_days", "The grace period cannot be negative."),
    ({"grace_days": 366}, "grace_days", "The grace period is at most 365 days."),
    ({"funding_window_days": 0}, "funding_window_days", "The funding window is at least 1 day."),
    ({"funding_window_days": 400}, "funding_window_days", "The funding window is at most 365 days."),
    ({"min_investment": D("0")}, "min_investment", "The minimum investment must be more than zero."),
    ({"min_investment": D("60000.00")}, "min_investment",
     "The minimum investment cannot exceed the maximum amount (50,000.00)."),
    ({"investment_increment": D("0")}, "investment_increment",
     "The investment increment must be more than zero, like 1.00."),
    ({"investment_increment": D("-5")}, "investment_increment", "The investment increment cannot be negative."),
    ({"investment_increment": D("50000.01")}, "investment_increment",
     "The investment increment cannot exceed the maximum amount."),
    ({"allocation_order": "penalty,fee,interest"}, "allocation_order",
     "The allocation order must name each of penalty, fee, interest, principal exactly once, separated by commas."),
    ({"allocation_order": "penalty,fee,fee,principal"}, "allocation_order",
     "The allocation order must name each of penalty, fee, interest, principal exactly once, separated by commas."),
    ({"allocation_order": "penalty,fee,interest,principal,tax"}, "allocation_order",
     "The allocation order must name each of penalty, fee, interest, principal exactly once, separated by commas."),
]


@pytest.mark.parametrize("changes, field, message", RULES, ids=[r[1] + ":" + r[2][:30] for r in RULES])
def test_every_rule_is_refused_on_its_field(session, changes, field, message):
    with pytest.raises(UserError) as exc:
        new(session, **changes)
    assert (exc.value.field, str(exc.value)) == (field, message)
    # The same rule holds when an active product is edited (and nothing is versioned).
    product = new(session, code="OK")
    services.activate(session, product)
    with pytest.raises(UserError) as exc:
        services.update_product(session, product, **dict(changes.items()))
    assert exc.value.field == field
    assert len(product.versions) == 1


def test_allocation_order_is_normalized(session):
    product = new(session, allocation_order=" Interest , principal,fee ,penalty")
    assert product.current_version.allocation_order == "interest,principal,fee,penalty"
    product2 = new(session, code="B", allocation_order=("fee", "penalty", "interest", "principal"))
    assert product2.current_version.allocation == ("fee", "penalty", "interest", "principal")


def test_unknown_fields_are_a_programming_error(session):
    with pytest.raises(TypeError, match="unknown product fields: colour"):
        new(session, colour="red")


def test_floats_are_refused(session):
    with pytest.raises(TypeError, match="must not be a float"):
        new(session, default_rate=0.12)


def test_history_records_versions_and_status(mutuo_db):
    def run(session):
        product = new(session)
        services.activate(session, product)
        services.update_product(session, product, default_rate=D("0.2"))
        return product.id

    product_id = mutuo_db.transaction(run)
    with mutuo_db.session_factory() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity_type.in_(
            ["products.product", "products.version"])).order_by(AuditEntry.id)).all()
        mine = [e for e in entries if e.entity_type == "products.product" and e.entity_id == str(product_id)]
        assert [e.action for e in mine[-2:]] == ["insert", "update"]
        assert '"status":["draft","active"]' in mine[-1].changes
        assert sum(e.entity_type == "products.version" and e.action == "insert" for e in entries) >= 2
        assert session.get(LoanProduct, product_id).current_version.number == 2
        assert len(session.scalars(select(ProductVersion)).all()) == 2


def test_quote_and_its_refusals():
    q = services.quote(D("10000.00"), 12, D("0.12"), "equal_installment", date(2025, 1, 31), D("0.02"))
    assert (q.principal, q.interest, q.total, q.fee) == (D("10000.00"), D("661.86"), D("10661.86"), D("200.00"))
    assert q.apr > D("0.12")
    refusals = [
        ((D("0"), 12, D("0.1"), "bullet"), "amount", "The amount must be more than zero."),
        ((D("1.001"), 12, D("0.1"), "bullet"), "amount", "The amount has at most two decimal places."),
        ((D("1E13"), 12, D("0.1"), "bullet"), "amount", "The amount is at most 1,000,000,000,000.00."),
        ((D("100"), 0, D("0.1"), "bullet"), "term_months", "The term is from 1 to 600 months."),
        ((D("100"), 12, D("1.01"), "bullet"), "rate", "The rate is from 0 to 100% a year."),
        ((D("100"), 12, D("0.1"), "balloon"), "method", "Choose a repayment method: Equal installments (annuity), "
         "Equal principal, Interest first, principal at the end, Bullet (everything at maturity)."),
    ]
    for args, field, message in refusals:
        with pytest.raises(UserError) as exc:
            services.quote(*args, date(2025, 1, 1))
        assert (exc.value.field, str(exc.value)) == (field, message)
    with pytest.raises(UserError, match="origination fee") as exc:
        services.quote(D("100"), 12, D("0.1"), "bullet", date(2025, 1, 1), D("1"))
    assert exc.value.field == "fee_rate"


def test_demo_data_has_one_active_product_per_method(mutuo_db):
    from plugins.products.demo import load

    assert mutuo_db.transaction(lambda s: load(s, 1)) == "4 products"
    with mutuo_db.session_factory() as session:
        methods = sorted(v.repayment_method for v in services.selectable_versions(session))
        assert methods == ["bullet", "equal_installment", "equal_principal", "interest_first"]
        counts = services.product_counts(session)
        assert counts["status"] == {"active": 4} and set(counts["method"].values()) == {1}


def test_demo_data_scales(mutuo_db):
    from plugins.products.demo import load

    assert mutuo_db.transaction(lambda s: load(s, 3)) == "8 products"
