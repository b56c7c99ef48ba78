"""Demo products: one per repayment method, made through the services."""
from __future__ import annotations

from decimal import Decimal as D

from plugins.products import services

COMMON = {
    "day_count": "actual/365", "penalty_daily_rate": D("0.0005"), "grace_days": 3,
    "service_fee_rate": D("0.10"), "min_investment": D("50.00"), "investment_increment": D("50.00"),
    "funding_window_days": 14,
}

PRODUCTS = [
    dict(code="CASH-12", name="Personal cash loan", repayment_method="equal_installment",
         description="Equal monthly installments for households; the classic annuity.",
         min_amount=D("1000.00"), max_amount=D("50000.00"), min_term_months=6, max_term_months=36,
         min_rate=D("0.08"), default_rate=D("0.12"), max_rate=D("0.24"), origination_fee_rate=D("0.02")),
    dict(code="SME-24", name="Small business loan", repayment_method="equal_principal",
         description="Equal principal parts: interest falls month by month.",
         min_amount=D("10000.00"), max_amount=D("500000.00"), min_term_months=12, max_term_months=60,
         min_rate=D("0.09"), default_rate=D("0.14"), max_rate=D("0.20"), origination_fee_rate=D("0.015")),
    dict(code="BRIDGE-6", name="Bridge loan", repayment_method="interest_first",
         description="Interest each month, principal at the end: for a known incoming payment.",
         min_amount=D("5000.00"), max_amount=D("200000.00"), min_term_months=3, max_term_months=12,
         min_rate=D("0.10"), default_rate=D("0.15"), max_rate=D("0.22"), origination_fee_rate=D("0.01"),
         allocation_order="penalty,fee,principal,interest"),
    dict(code="INV-3", name="Invoice advance", repayment_method="bullet",
         description="Principal and interest together at maturity, when the invoice is paid.",
         min_amount=D("2000.00"), max_amount=D("100000.00"), min_term_months=1, max_term_months=6,
         min_rate=D("0.10"), default_rate=D("0.16"), max_rate=D("0.20"), origination_fee_rate=D("0.01")),
]


def load(session, scale: int) -> str:
    made = []
    for spec in PRODUCTS:
        product = services.create_product(session, **COMMON, **spec)
        services.activate(session, product)
        made.append(product)
    # A second version, so the version history has something to show.
    services.update_product(session, made[0], default_rate=D("0.115"), max_term_months=48)
    for i in range(max(scale - 1, 0) * 2):
        spec = PRODUCTS[i % len(PRODUCTS)]
        product = services.create_product(session, **COMMON, **{**spec, "code": f"{spec['code']}-X{i + 1}",
                                                                 "name": f"{spec['name']} (pilot {i + 1})"})
        if i % 2:
            services.activate(session, product)
            services.retire(session, product)
        made.append(product)
    return f"{len(made)} products"
