"""Demo products: one per repayment method, made through the services.

Names and descriptions are written in the language the demo is loaded in (the CLI's
``--locale``/``LANG``, else the company default); codes stay as they are.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from core import context
from core.demo import replay_day, story_start
from core.formatting import current
from plugins.products import services
from plugins.products.i18n import _, _n

COMMON = {
    "day_count": "actual/365", "penalty_daily_rate": D("0.0005"), "grace_days": 3,
    "service_fee_rate": D("0.10"), "min_investment": D("50.00"), "investment_increment": D("50.00"),
    "funding_window_days": 14,
}

PRODUCTS = [
    dict(code="CASH-12", name=_("Personal cash loan"), repayment_method="equal_installment",
         description=_("Equal monthly installments for households; the classic annuity."),
         min_amount=D("1000.00"), max_amount=D("50000.00"), min_term_months=6, max_term_months=36,
         min_rate=D("0.08"), default_rate=D("0.12"), max_rate=D("0.24"), origination_fee_rate=D("0.02")),
    dict(code="SME-24", name=_("Small business loan"), repayment_method="equal_principal",
         description=_("Equal principal parts: interest falls month by month."),
         min_amount=D("10000.00"), max_amount=D("500000.00"), min_term_months=12, max_term_months=60,
         min_rate=D("0.09"), default_rate=D("0.14"), max_rate=D("0.20"), origination_fee_rate=D("0.015")),
    dict(code="BRIDGE-6", name=_("Bridge loan"), repayment_method="interest_first",
         description=_("Interest each month, principal at the end: for a known incoming payment."),
         min_amount=D("5000.00"), max_amount=D("200000.00"), min_term_months=3, max_term_months=12,
         min_rate=D("0.10"), default_rate=D("0.15"), max_rate=D("0.22"), origination_fee_rate=D("0.01"),
         allocation_order="penalty,fee,principal,interest"),
    dict(code="INV-3", name=_("Invoice advance"), repayment_method="bullet",
         description=_("Principal and interest together at maturity, when the invoice is paid."),
         min_amount=D("2000.00"), max_amount=D("100000.00"), min_term_months=1, max_term_months=6,
         min_rate=D("0.10"), default_rate=D("0.16"), max_rate=D("0.20"), origination_fee_rate=D("0.01")),
]


def _in_language(spec: dict) -> dict:
    fmt = current()
    return {**spec, "name": fmt.translate(spec["name"]), "description": fmt.translate(spec["description"])}


def load(session, scale: int) -> str:
    """The products, on the first day of the demo's history (lending's loans come after)."""
    start = story_start(context.today(session), scale)
    with replay_day(session, start):
        made = _products(session, scale)
    # A second version a week later, so the version history has something to show.
    with replay_day(session, start + timedelta(days=7)):
        services.update_product(session, made[0], default_rate=D("0.115"), max_term_months=48)
    count = len(made)
    return _n("${n} product", "${n} products", count)


def _products(session, scale: int) -> list:
    made = []
    for spec in map(_in_language, PRODUCTS):
        product = services.create_product(session, **COMMON, **spec)
        services.activate(session, product)
        made.append(product)
    for i in range(max(min(scale, 3) - 1, 0) * 2):  # a few pilots on bigger books, not one per unit
        spec = _in_language(PRODUCTS[i % len(PRODUCTS)])
        pilot = current().translate(_("${name} (pilot ${number})", mapping={"name": spec["name"], "number": i + 1}))
        product = services.create_product(session, **COMMON, **{**spec, "code": f"{spec['code']}-X{i + 1}",
                                                                 "name": pilot})
        if i % 2:
            services.activate(session, product)
            services.retire(session, product)
        made.append(product)
    return made
