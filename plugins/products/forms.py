"""The product form: deform schema, percent <-> fraction for rates, appstructs."""
from __future__ import annotations

from decimal import Decimal
from itertools import permutations

import colander
import deform
from babel.numbers import format_decimal

from core.formatting import current
from core.web import parsing
from core.web.forms import CSRFSchema
from plugins.products.i18n import _
from plugins.products.models import ALLOCATION_PARTS, DAY_COUNT_WORDS, DAY_COUNTS, TERM_FIELDS, LoanProduct
from plugins.products.schedule import METHOD_TITLES

# People think in percent; the services and the database keep fractions.
RATE_FIELDS = ("default_rate", "min_rate", "max_rate", "origination_fee_rate", "penalty_daily_rate",
               "service_fee_rate")
HUNDRED = Decimal(100)
ALLOCATION_ORDERS = [",".join(p) for p in permutations(ALLOCATION_PARTS)]

NEW_PRODUCT = {
    "min_term_months": 6, "max_term_months": 36, "repayment_method": "equal_installment",
    "day_count": "actual/365", "origination_fee_rate": Decimal(0), "penalty_daily_rate": Decimal("0.05"),
    "grace_days": 3, "service_fee_rate": Decimal(0), "min_investment": Decimal("50.00"),
    "investment_increment": Decimal("50.00"), "funding_window_days": 14,
    "allocation_order": ",".join(ALLOCATION_PARTS),
}


def allocation_label(order: str) -> str:
    """``penalty,fee,interest,principal`` in words of the current language: ``penalty → fee → …``."""
    fmt = current()
    return " → ".join(fmt.label(part, "products") for part in order.split(","))


def allocation_choices() -> list[tuple[str, str]]:
    return [(order, allocation_label(order)) for order in ALLOCATION_ORDERS]


def _money(title, description=""):
    return colander.SchemaNode(parsing.Money(), title=title, description=description)


class Percent(parsing.Percent):
    """parsing.Percent shown the way the user's language types it (``0,05`` in ``es``; it shows ``str()``),
    so a form shown again after an error reads back what it shows."""

    def show(self, node, appstruct):
        request = (getattr(node, "bindings", None) or {}).get("request")
        return typed(Decimal(appstruct), parsing.request_locale(request) if request is not None else None)


def _percent(title, description=""):
    # Numeric(9, 6) fractions: a percentage keeps at most four decimals.
    return colander.SchemaNode(Percent(), title=title, description=description)


def _whole(title, description=""):
    return colander.SchemaNode(parsing.WholeNumber(), title=title, description=description)


class ProductSchema(CSRFSchema):
    code = colander.SchemaNode(colander.String(), title=_("Code"), description=_("Short and unique, like CASH-12."),
                               validator=parsing.column_text(LoanProduct.code))
    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=parsing.column_text(LoanProduct.name))
    description = colander.SchemaNode(colander.String(), title=_("Description"), missing="",
                                      widget=deform.widget.TextAreaWidget(rows=3))
    repayment_method = colander.SchemaNode(
        colander.String(), title=_("Repayment method"),
        widget=deform.widget.SelectWidget(values=list(METHOD_TITLES.items())))
    min_amount = _money(_("Minimum amount"))
    max_amount = _money(_("Maximum amount"))
    min_term_months = _whole(_("Minimum term (months)"))
    max_term_months = _whole(_("Maximum term (months)"))
    min_rate = _percent(_("Minimum rate (% a year)"))
    default_rate = _percent(_("Default rate (% a year)"))
    max_rate = _percent(_("Maximum rate (% a year)"))
    origination_fee_rate = _percent(_("Origination fee (% of the amount)"))
    penalty_daily_rate = _percent(_("Late penalty (% of the overdue amount a day)"))
    grace_days = _whole(_("Grace period (days)"), _("Days after the due date before penalties run."))
    day_count = colander.SchemaNode(
        colander.String(), title=_("Day count for penalties"),
        widget=deform.widget.SelectWidget(values=[(d, DAY_COUNT_WORDS[d]) for d in DAY_COUNTS]))
    service_fee_rate = _percent(_("Investor service fee (% of the interest)"))
    min_investment = _money(_("Minimum investment"))
    investment_increment = _money(_("Investment increment"))
    funding_window_days = _whole(_("Funding window (days)"), _("How long a loan stays open to investors."))
    allocation_order = colander.SchemaNode(
        colander.String(), title=_("Repayment allocation order"),
        description=_("What a payment settles first."))


def product_schema(product=None) -> ProductSchema:
    """The form's schema, in the language of the request being served (the allocation choices are words)."""
    schema = ProductSchema()
    schema["allocation_order"].widget = deform.widget.SelectWidget(values=allocation_choices())
    if product is not None and product.status != "draft":
        del schema["code"]  # an offered product keeps its code
    return schema


def buttons(*names: str) -> tuple[deform.Button, ...]:
    titles = {"create": _("Create"), "save": _("Save")}
    return tuple(deform.Button(name, titles[name]) for name in names)


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


def typed(value: Decimal, locale: str | None = None) -> str:
    """A percentage as a person types it in ``locale`` (default: the current language): ``0,05`` in ``es``."""
    return format_decimal(plain(value), format="0.####", locale=locale or current().locale_name,
                          group_separator=False)


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
