"""The product form: deform schema, percent <-> fraction for rates, appstructs."""
from __future__ import annotations

from decimal import Decimal
from itertools import permutations

import colander
import deform

from core.web import parsing
from core.web.forms import CSRFSchema
from plugins.products.models import ALLOCATION_PARTS, DAY_COUNTS, TERM_FIELDS, LoanProduct
from plugins.products.schedule import METHOD_TITLES

# People think in percent; the services and the database keep fractions.
RATE_FIELDS = ("default_rate", "min_rate", "max_rate", "origination_fee_rate", "penalty_daily_rate",
               "service_fee_rate")
HUNDRED = Decimal(100)
ALLOCATIONS = [(",".join(p), " → ".join(p)) for p in permutations(ALLOCATION_PARTS)]

NEW_PRODUCT = {
    "min_term_months": 6, "max_term_months": 36, "repayment_method": "equal_installment",
    "day_count": "actual/365", "origination_fee_rate": Decimal(0), "penalty_daily_rate": Decimal("0.05"),
    "grace_days": 3, "service_fee_rate": Decimal(0), "min_investment": Decimal("50.00"),
    "investment_increment": Decimal("50.00"), "funding_window_days": 14,
    "allocation_order": ",".join(ALLOCATION_PARTS),
}


def _money(title, description=""):
    return colander.SchemaNode(parsing.Money(), title=title, description=description)


def _percent(title, description=""):
    # Numeric(9, 6) fractions: a percentage keeps at most four decimals.
    return colander.SchemaNode(parsing.Percent(), title=title, description=description)


def _whole(title, description=""):
    return colander.SchemaNode(parsing.WholeNumber(), title=title, description=description)


class ProductSchema(CSRFSchema):
    code = colander.SchemaNode(colander.String(), title="Code", description="Short and unique, like CASH-12.",
                               validator=parsing.column_text(LoanProduct.code))
    name = colander.SchemaNode(colander.String(), title="Name", validator=parsing.column_text(LoanProduct.name))
    description = colander.SchemaNode(colander.String(), title="Description", missing="",
                                      widget=deform.widget.TextAreaWidget(rows=3))
    repayment_method = colander.SchemaNode(
        colander.String(), title="Repayment method",
        widget=deform.widget.SelectWidget(values=list(METHOD_TITLES.items())))
    min_amount = _money("Minimum amount")
    max_amount = _money("Maximum amount")
    min_term_months = _whole("Minimum term (months)")
    max_term_months = _whole("Maximum term (months)")
    min_rate = _percent("Minimum rate (% a year)")
    default_rate = _percent("Default rate (% a year)")
    max_rate = _percent("Maximum rate (% a year)")
    origination_fee_rate = _percent("Origination fee (% of the amount)")
    penalty_daily_rate = _percent("Late penalty (% of the overdue amount a day)")
    grace_days = _whole("Grace period (days)", "Days after the due date before penalties run.")
    day_count = colander.SchemaNode(
        colander.String(), title="Day count for penalties",
        widget=deform.widget.SelectWidget(values=[(d, d) for d in DAY_COUNTS]))
    service_fee_rate = _percent("Investor service fee (% of the interest)")
    min_investment = _money("Minimum investment")
    investment_increment = _money("Investment increment")
    funding_window_days = _whole("Funding window (days)", "How long a loan stays open to investors.")
    allocation_order = colander.SchemaNode(
        colander.String(), title="Repayment allocation order",
        description="What a payment settles first.", widget=deform.widget.SelectWidget(values=ALLOCATIONS))


def product_schema(product=None) -> ProductSchema:
    schema = ProductSchema()
    if product is not None and product.status != "draft":
        del schema["code"]  # an offered product keeps its code
    return schema


def to_service(data: dict) -> dict:
    """Form values -> service keywords (rates from percent to fractions)."""
    out = dict(data)
    for name in RATE_FIELDS:
        if out.get(name) is not None:
            out[name] = out[name] / HUNDRED
    return out


def plain(value: Decimal) -> Decimal:
    """12.000000 -> 12 (not 1.2E+1): how a person would type it."""
    return Decimal(format(value.normalize(), "f"))


def appstruct(product=None) -> dict:
    """Form values of a product (or of a new one)."""
    if product is None:
        return dict(NEW_PRODUCT)
    version = product.current_version
    values = {"code": product.code, "name": product.name, "description": product.description}
    for name in TERM_FIELDS:
        value = getattr(version, name)
        values[name] = plain(value * HUNDRED) if name in RATE_FIELDS else value
    return values
