"""Promotions: validity (end date included), eligibility, limits held by the database, the discount on the loan."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.errors import UserError
from plugins.marketing.models import Redemption
from plugins.marketing.services import promotions


def promo(session, **kw):
    spec = dict(code="WELCOME", name="Welcome", valid_from=date(2025, 1, 1), valid_to=date(2025, 1, 31),
                rate=D("0.5"), role="borrower")
    spec.update(kw)
    return promotions.create_promotion(session, **spec)


def test_discount_is_visible_on_the_loan(session, world):
    promotion = promo(session)
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    assert loan.origination_fee == D("100.00")  # 2 % of 10,000 is 200, half off
    assert loan.payout == D("9900.00")
    redemption = promotions.redemption_for_loan(session, loan)
    assert redemption.promotion_id == promotion.id and redemption.customer_id == loan.customer_id
    assert (redemption.fee, redemption.discount, redemption.slot) == (D("200.00"), D("100.00"), 1)


def test_end_date_is_included_and_the_day_after_is_not(session, world):
    promo(session, amount=D("30.00"), rate=None)
    on_last_day = world.loan(disbursed_on=date(2025, 1, 31))
    assert on_last_day.origination_fee == D("170.00")
    after = world.loan(disbursed_on=date(2025, 2, 1))
    assert after.origination_fee == D("200.00")
    assert promotions.redemption_for_loan(session, after) is None
    before = promo(session, code="LATER", valid_from=date(2025, 3, 1), valid_to=date(2025, 3, 1))
    assert promotions.is_valid_on(before, date(2025, 3, 1)) and not promotions.is_valid_on(before, date(2025, 2, 28))


def test_eligibility_by_role_and_verification(session, world):
    for_investors = promo(session, code="INV", role="investor")
    loan = world.loan(disbursed_on=date(2025, 1, 10))
    assert loan.origination_fee == D("200.00")  # a borrower is not eligible for an investors' promotion
    verified_only = promo(session, code="VER")
    unverified = world.customer(verified=False)
    assert not promotions.is_eligible(verified_only, unverified)
    assert promotions.is_eligible(verified_only, loan.customer)
    assert not promotions.is_eligible(for_investors, loan.customer)
    both = world.customer(role="both")
    assert promotions.is_eligible(for_investors, both) and promotions.is_eligible(verified_only, both)


def test_global_and_per_customer_limits(session, world):
    promo(session, global_limit=2, per_customer_limit=1)
    borrower = world.customer()
    first = world.loan(disbursed_on=date(2025, 1, 5), borrower=borrower)
    again = world.loan(disbursed_on=date(2025, 1, 6), borrower=borrower)
    other = world.loan(disbursed_on=date(2025, 1, 7))
    late = world.loan(disbursed_on=date(2025, 1, 8))
    assert [loan.origination_fee for loan in (first, again, other, late)] == [
        D("100.00"), D("200.00"), D("100.00"), D("200.00")]  # once per customer, twice in all
    slots = session.execute(select(Redemption.slot, Redemption.customer_slot).order_by(Redemption.slot)).all()
    assert [tuple(s) for s in slots] == [(1, 1), (2, 1)]


def test_the_database_refuses_a_slot_taken_twice(session, world):
    promotion = promo(session)
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    from sqlalchemy.exc import IntegrityError

    twin = Redemption(promotion_id=promotion.id, customer_id=loan.customer_id, application_id=loan.application_id,
                      slot=1, customer_slot=2, fee=D("200.00"), discount=D("100.00"), redeemed_on=date(2025, 1, 15))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(twin)
        session.flush()


def test_promotion_rules(session):
    with pytest.raises(UserError) as err:
        promo(session, valid_to=date(2024, 12, 31))
    assert err.value.field == "valid_to"
    with pytest.raises(UserError) as err:
        promo(session, amount=D("10.00"))
    assert err.value.field == "rate"
    with pytest.raises(UserError) as err:
        promo(session, rate=D("1.5"))
    assert err.value.field == "rate"
    with pytest.raises(UserError) as err:
        promo(session, global_limit=0)
    assert err.value.field == "global_limit"
    promo(session)
    with pytest.raises(UserError) as err:
        promo(session, code="welcome")
    assert err.value.field == "code"


@pytest.mark.postgres
def test_concurrent_redemptions_never_exceed_the_limits(mutuo_db):
    """Eight borrowers race for a promotion with room for three: exactly three redeem it."""
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): SQLite serialises writers")
    from core import context, testing
    from core.audit import Actor, set_actor
    from plugins.lending.testing import World

    def setup(session):
        set_actor(session, Actor(None, "setup"))
        context.bind(session, pm=mutuo_db.pm)
        world = World(session, mutuo_db.documents, None)
        promotion = promo(session, code="RACE", global_limit=3, per_customer_limit=1)
        version = world.product()
        apps = [world.application(version=version) for _ in range(8)]
        twice = world.customer()
        twin_apps = [world.application(version=version, borrower=twice) for _ in range(4)]
        return promotion.id, [(a.id, a.customer_id) for a in apps], [(a.id, a.customer_id) for a in twin_apps]

    promotion_id, racers, twins = mutuo_db.transaction(setup)

    def work(session, n, barrier, pairs):
        from plugins.lending.models import Application
        from plugins.marketing.models import Promotion

        promotion = session.get(Promotion, promotion_id)
        application = session.get(Application, pairs[n][0])
        customer = application.customer
        barrier.wait()
        made = promotions.redeem(session, promotion, customer, application.id, D("200.00"), date(2025, 1, 15))
        return made.slot if made is not None else None

    prepare = lambda s: context.bind(s, pm=mutuo_db.pm)  # noqa: E731
    results, errors = testing.race(mutuo_db, lambda s, n, b: work(s, n, b, racers), 8, prepare=prepare)
    assert not errors, errors
    assert sorted(r for r in results if r is not None) == [1, 2, 3]
    count = mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(Redemption)
                                                    .where(Redemption.promotion_id == promotion_id)))
    assert count == 3

    # one customer racing with itself for a promotion once per customer: once
    def second(session):
        set_actor(session, Actor(None, "setup"))
        return promo(session, code="ONCE", global_limit=None, per_customer_limit=1).id

    promotion_id = mutuo_db.transaction(second)
    results, errors = testing.race(mutuo_db, lambda s, n, b: work(s, n, b, twins), 4, prepare=prepare)
    assert not errors, errors
    assert [r for r in results if r is not None] == [1]
