"""Valid product terms for tests to start from."""
from decimal import Decimal as D

TERMS = dict(
    min_amount=D("1000.00"), max_amount=D("50000.00"), min_term_months=6, max_term_months=36,
    min_rate=D("0.08"), default_rate=D("0.12"), max_rate=D("0.24"), repayment_method="equal_installment",
    min_investment=D("50.00"), investment_increment=D("50.00"), funding_window_days=14,
)
