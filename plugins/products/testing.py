"""Builders for tests of products and of the plugins that lend with them (a public module: import it)."""
from __future__ import annotations

from decimal import Decimal as D

#: Valid product terms to start from; override what a test is about.
TERMS = dict(
    min_amount=D("1000.00"), max_amount=D("50000.00"), min_term_months=6, max_term_months=36,
    min_rate=D("0.08"), default_rate=D("0.12"), max_rate=D("0.24"), repayment_method="equal_installment",
    min_investment=D("50.00"), investment_increment=D("50.00"), funding_window_days=14,
)


def active_product(session, code: str = "TEST", name: str = "Test product", **terms):
    """An active product made through the services; returns its current version."""
    from plugins.products import services

    product = services.create_product(session, code=code, name=name, **{**TERMS, **terms})
    services.activate(session, product)
    return product.current_version
