"""Product services: the catalog's rules, used by views, demo data and other plugins.

Every refusal is a :class:`core.errors.UserError` naming the form field it
belongs to and saying what to do. Callers own the transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from core.errors import ConflictError, UserError
from core.formatting import current
from core.money import CENT
from core.search import Field, Search
from plugins.products.i18n import _, _n
from plugins.products.models import (
    ALLOCATION_PARTS,
    DAY_COUNTS,
    DEFAULT_ALLOCATION,
    TERM_FIELDS,
    LoanProduct,
    ProductVersion,
)
from plugins.products.schedule import (
    MAX_TERM_MONTHS,
    METHOD_TITLES,
    METHODS,
    Installment,
    add_months,
    apr,
    build_schedule,
    schedule_totals,
)

MAX_AMOUNT = Decimal("1000000000000.00")  # far above any loan; stops a slipped finger
MAX_RATE = Decimal(1)  # 100 %: rates are fractions, so 12 (meaning 12 %) is refused
RATE_PLACE = Decimal("0.000001")  # Numeric(9, 6)
MAX_DAYS = 365
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")

PRODUCT_FIELDS = ("code", "name", "description")
OPTIONAL_TERMS = {
    "day_count": "actual/365",
    "origination_fee_rate": Decimal("0"),
    "penalty_daily_rate": Decimal("0"),
    "grace_days": 0,
    "service_fee_rate": Decimal("0"),
    "allocation_order": DEFAULT_ALLOCATION,
}
#: The terms as messages name them ("The ${field} is required."); translated when the message is made.
LABELS = {
    "min_amount": _("minimum amount"), "max_amount": _("maximum amount"),
    "min_term_months": _("minimum term"), "max_term_months": _("maximum term"),
    "default_rate": _("default rate"), "min_rate": _("minimum rate"), "max_rate": _("maximum rate"),
    "origination_fee_rate": _("origination fee rate"), "penalty_daily_rate": _("daily penalty rate"),
    "service_fee_rate": _("investor service fee rate"), "grace_days": _("grace period"),
    "min_investment": _("minimum investment"), "investment_increment": _("investment increment"),
    "funding_window_days": _("funding window"), "repayment_method": _("repayment method"),
    "day_count": _("day-count convention"), "allocation_order": _("allocation order"),
}


# -- reading -------------------------------------------------------------------

def get_product(session: Session, product_id) -> LoanProduct:
    product = session.get(LoanProduct, product_id)
    if product is None:
        raise UserError(_("There is no such product; choose one from the list."), "product_id")
    return product


def get_version(session: Session, version_id) -> ProductVersion:
    """The version with this id; UserError on ``product_version_id`` if there is none."""
    try:
        version = session.get(ProductVersion, int(version_id))
    except (TypeError, ValueError):
        version = None
    if version is None:
        raise UserError(_("There is no such product version; choose a product from the list."), "product_version_id")
    return version


def current_version_ids():
    """SQL: the id of each product's highest-numbered version."""
    newest = (select(ProductVersion.product_id, func.max(ProductVersion.number).label("number"))
              .group_by(ProductVersion.product_id).subquery())
    return (select(ProductVersion.id)
            .join(newest, (newest.c.product_id == ProductVersion.product_id) & (newest.c.number == ProductVersion.number)))


#: A product by its code or the words of its name (any case, any accents), see core.search.
PRODUCTS = Search(Field(LoanProduct.code_key, "substring"), Field(LoanProduct.name_key, "words"))


def matching(text: str):
    """SQL: products whose code contains ``text`` or whose name holds its words (any case or accents)."""
    where = PRODUCTS.condition(text)
    return true() if where is None else where


def with_method(method: str):
    """SQL: products whose current version repays by ``method``."""
    return LoanProduct.id.in_(select(ProductVersion.product_id).where(
        ProductVersion.id.in_(current_version_ids()), ProductVersion.repayment_method == method))


def selectable_versions(session: Session) -> list[ProductVersion]:
    """The current version of every active product: what a new application may choose."""
    stmt = (select(ProductVersion).join(LoanProduct)
            .where(LoanProduct.status == "active", ProductVersion.id.in_(current_version_ids()))
            .order_by(LoanProduct.code))
    return list(session.scalars(stmt))


def ensure_selectable(session: Session, version: ProductVersion) -> None:
    """Refuse versions a new application may not use: retired, draft or superseded."""
    product = version.product
    if product.status == "retired":
        raise UserError(_("Product ${code} is retired; choose an active product.", mapping={"code": product.code}),
                        "product_version_id")
    if product.status != "active":
        raise UserError(_("Product ${code} is not active yet; choose an active product.",
                          mapping={"code": product.code}), "product_version_id")
    newest = product.current_version
    if newest is not None and newest.id != version.id:
        raise UserError(_("Product ${code} has new terms (version ${number}); choose it again to apply them.",
                          mapping={"code": product.code, "number": newest.number}), "product_version_id")


def check_terms(version: ProductVersion, amount: Decimal, term_months: int, rate: Decimal | None = None) -> Decimal:
    """Refuse an amount, term or rate outside the version's ranges; return the rate that applies."""
    fmt = current()
    which = {"code": version.product.code, "number": version.number}
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(CENT):
        raise UserError(_("Write the amount in whole cents, like ${example}.",
                          mapping={"example": format_decimal(Decimal("1234.50"), format="0.00",
                                                             locale=fmt.locale)}), "amount")
    if not version.min_amount <= amount <= version.max_amount:
        raise UserError(_("The amount must be between ${minimum} and ${maximum} for ${code} (version ${number}).",
                          mapping={"minimum": fmt.money(version.min_amount), "maximum": fmt.money(version.max_amount),
                                   **which}), "amount")
    if not isinstance(term_months, int) or not version.min_term_months <= term_months <= version.max_term_months:
        raise UserError(_("The term must be between ${minimum} and ${maximum} months for ${code} (version ${number}).",
                          mapping={"minimum": fmt.number(version.min_term_months),
                                   "maximum": fmt.number(version.max_term_months), **which}), "term_months")
    if rate is None:
        return version.default_rate
    if not isinstance(rate, Decimal) or not rate.is_finite() or not version.min_rate <= rate <= version.max_rate:
        raise UserError(_("The rate must be between ${minimum} and ${maximum} a year for ${code} (version ${number}).",
                          mapping={"minimum": _percent(version.min_rate), "maximum": _percent(version.max_rate),
                                   **which}), "rate")
    return rate


# -- the workflow ------------------------------------------------------------------

def create_product(session: Session, **fields) -> LoanProduct:
    """A draft product with its first version; fields are the product's and the terms."""
    _unknown(fields)
    info = _product_fields(session, fields, None)
    terms = validate_terms({**OPTIONAL_TERMS, **{k: v for k, v in fields.items() if k in TERM_FIELDS}})
    product = LoanProduct(status="draft", **info)
    product.versions.append(ProductVersion(number=1, **terms))
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: LoanProduct, **fields) -> LoanProduct:
    """Change name, description or terms. A draft is edited in place; an active
    product gets a new version when its terms change; a retired one refuses."""
    _unknown(fields)
    if product.status == "retired":
        raise ConflictError(_("Product ${code} is retired; its terms can no longer change. Create a new product instead.",
                              mapping={"code": product.code}))
    if "code" in fields and fields["code"] != product.code and product.status != "draft":
        raise UserError(_("The code of an active product cannot change: loans and reports refer to it."), "code")
    info = _product_fields(session, {**_product_info(product), **fields}, product)
    current = product.current_version
    terms = validate_terms({**current.terms(), **{k: v for k, v in fields.items() if k in TERM_FIELDS}})
    for name, value in info.items():
        if getattr(product, name) != value:
            setattr(product, name, value)
    if product.status == "draft":
        for name, value in terms.items():
            if getattr(current, name) != value:
                setattr(current, name, value)
    elif any(getattr(current, name) != value for name, value in terms.items()):
        version = ProductVersion(number=current.number + 1, **terms)
        product.versions.append(version)
        session.flush()
        _publish(session, "products.version.created", product)
    session.flush()
    return product


def new_version(session: Session, product: LoanProduct, **terms) -> ProductVersion:
    """New terms for an active product, kept as a new version (the earlier ones stay as they were).

    The terms not given are the current version's. A draft's one version is edited in place
    (:func:`update_product`), a retired product's terms never change, and terms equal to the
    current ones make no version: each is refused.
    """
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown terms: {', '.join(sorted(unknown))}")
    if product.status == "draft":
        raise ConflictError(_("Product ${code} is a draft: its one version is edited in place. Change its terms "
                              "instead, or activate it first.", mapping={"code": product.code}))
    before = product.current_version
    update_product(session, product, **terms)
    if product.current_version is before:
        raise UserError(_("These are the terms of version ${number} already; change at least one to make a new "
                          "version.", mapping={"number": before.number}))
    return product.current_version


def activate(session: Session, product: LoanProduct) -> LoanProduct:
    """Offer a draft product to new applications."""
    if product.status == "active":
        raise ConflictError(_("Product ${code} is already active.", mapping={"code": product.code}))
    if product.status == "retired":
        raise ConflictError(_("Product ${code} is retired and stays retired; create a new product instead.",
                              mapping={"code": product.code}))
    validate_terms(product.current_version.terms())
    product.status = "active"
    session.flush()
    _publish(session, "products.product.activated", product)
    return product


def retire(session: Session, product: LoanProduct) -> LoanProduct:
    """Stop offering a product; loans made under it keep their version."""
    if product.status == "retired":
        raise ConflictError(_("Product ${code} is already retired.", mapping={"code": product.code}))
    if product.status != "active":
        raise ConflictError(_("Product ${code} is a draft and was never offered; activate it or leave it as a "
                              "draft.", mapping={"code": product.code}))
    product.status = "retired"
    session.flush()
    _publish(session, "products.product.retired", product)
    return product


#: The webhook events products publishes (declared in ``mutuo_webhook_events``).
EVENTS = ("products.product.activated", "products.product.retired", "products.version.created")


def event_data(product: LoanProduct) -> dict:
    """The compact payload of a product's events: ids, code, status and the version in force."""
    version = product.current_version
    return {"product_id": product.id, "code": product.code, "status": product.status,
            "version_id": version.id, "version_number": version.number}


def _publish(session: Session, event: str, product: LoanProduct) -> None:
    """Queue ``event`` for the webhook endpoints subscribed to it, in this transaction."""
    from core.webhooks import publish

    publish(session, event, event_data(product))


def _unknown(fields: dict) -> None:
    unknown = set(fields) - set(PRODUCT_FIELDS) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {', '.join(sorted(unknown))}")


def _product_info(product: LoanProduct) -> dict:
    return {name: getattr(product, name) for name in PRODUCT_FIELDS}


def _product_fields(session: Session, fields: dict, product: LoanProduct | None) -> dict:
    code = str(fields.get("code") or "").strip()
    if not code:
        raise UserError(_("Give the product a code, like CASH-12."), "code")
    if not CODE_PATTERN.match(code):
        raise UserError(_("A code has up to 32 letters, digits, dots, dashes or underscores, starting with a "
                          "letter or digit."), "code")
    clash = session.scalars(select(LoanProduct).where(func.lower(LoanProduct.code) == code.lower())).first()
    if clash is not None and clash is not product:
        raise UserError(_("Code ${code} is taken by product “${name}”; choose another.",
                          mapping={"code": code, "name": clash.name}), "code")
    name = str(fields.get("name") or "").strip()
    if not name:
        raise UserError(_("Give the product a name."), "name")
    if len(name) > 200:
        raise UserError(_("A name has at most 200 characters."), "name")
    return {"code": code, "name": name, "description": str(fields.get("description") or "").strip()}


# -- term validation -----------------------------------------------------------------

def validate_terms(terms: dict) -> dict:
    """Check every rule on a full set of terms; return them normalized. Raises UserError(field)."""
    missing = [name for name in TERM_FIELDS if terms.get(name) in (None, "")]
    if missing:
        raise UserError(_("The ${field} is required.", mapping={"field": _label(missing[0])}), missing[0])
    out = {}
    for name in ("min_amount", "max_amount", "min_investment", "investment_increment"):
        out[name] = _amount(terms[name], name)
    for name in ("min_term_months", "max_term_months", "grace_days", "funding_window_days"):
        out[name] = _whole(terms[name], name)
    for name in ("default_rate", "min_rate", "max_rate", "origination_fee_rate", "penalty_daily_rate",
                 "service_fee_rate"):
        out[name] = _rate(terms[name], name)
    out["repayment_method"] = _choice(terms["repayment_method"], METHODS, "repayment_method")
    out["day_count"] = _choice(terms["day_count"], DAY_COUNTS, "day_count")
    out["allocation_order"] = allocation_order(terms["allocation_order"])
    _check_ranges(out)
    return out


def _check_ranges(t: dict) -> None:
    fmt = current()
    if t["min_amount"] <= 0:
        raise UserError(_("The minimum amount must be more than zero."), "min_amount")
    if t["max_amount"] < t["min_amount"]:
        raise UserError(_("The maximum amount must be at least the minimum amount (${minimum}).",
                          mapping={"minimum": fmt.money(t["min_amount"])}), "max_amount")
    if t["min_term_months"] < 1:
        raise UserError(_("The minimum term is at least 1 month."), "min_term_months")
    if t["max_term_months"] > MAX_TERM_MONTHS:
        raise UserError(_("The maximum term is at most ${maximum} months.",
                          mapping={"maximum": fmt.number(MAX_TERM_MONTHS)}), "max_term_months")
    if t["max_term_months"] < t["min_term_months"]:
        raise UserError(_("The maximum term must be at least the minimum term (${term}).",
                          mapping={"term": months(t["min_term_months"])}), "max_term_months")
    if t["max_rate"] < t["min_rate"]:
        raise UserError(_("The maximum rate must be at least the minimum rate (${minimum}).",
                          mapping={"minimum": _percent(t["min_rate"])}), "max_rate")
    if not t["min_rate"] <= t["default_rate"] <= t["max_rate"]:
        raise UserError(_("The default rate must lie between the minimum (${minimum}) and the maximum rate "
                          "(${maximum}).", mapping={"minimum": _percent(t["min_rate"]),
                                                    "maximum": _percent(t["max_rate"])}), "default_rate")
    for name in ("grace_days", "funding_window_days"):
        if t[name] > MAX_DAYS:
            raise UserError(_("The ${field} is at most ${maximum} days.",
                              mapping={"field": _label(name), "maximum": fmt.number(MAX_DAYS)}), name)
    if t["funding_window_days"] < 1:
        raise UserError(_("The funding window is at least 1 day."), "funding_window_days")
    if t["min_investment"] <= 0:
        raise UserError(_("The minimum investment must be more than zero."), "min_investment")
    if t["min_investment"] > t["max_amount"]:
        raise UserError(_("The minimum investment cannot exceed the maximum amount (${maximum}).",
                          mapping={"maximum": fmt.money(t["max_amount"])}), "min_investment")
    if t["investment_increment"] <= 0:
        raise UserError(_("The investment increment must be more than zero, like ${example}.",
                          mapping={"example": fmt.money(Decimal(1))}), "investment_increment")
    if t["investment_increment"] > t["max_amount"]:
        raise UserError(_("The investment increment cannot exceed the maximum amount."), "investment_increment")


def allocation_order(value) -> str:
    """Normalize an allocation order (text "a,b,c,d" or a sequence); it must be a permutation."""
    parts = [p.strip().lower() for p in (value.split(",") if isinstance(value, str) else value)]
    if sorted(parts) != sorted(ALLOCATION_PARTS):
        raise UserError(_("The allocation order must name each of ${parts} exactly once, separated by commas.",
                          mapping={"parts": ", ".join(ALLOCATION_PARTS)}), "allocation_order")
    return ",".join(parts)


def _number(value, field: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{field} must not be a float")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise UserError(_("The ${field} must be a number.", mapping={"field": _label(field)}), field)
    if number < 0:
        raise UserError(_("The ${field} cannot be negative.", mapping={"field": _label(field)}), field)
    return number


def _amount(value, field: str) -> Decimal:
    number = _number(value, field)
    if number != number.quantize(CENT):
        raise UserError(_("The ${field} has at most two decimal places.", mapping={"field": _label(field)}), field)
    if number > MAX_AMOUNT:
        raise UserError(_("The ${field} is at most ${maximum}.",
                          mapping={"field": _label(field), "maximum": current().money(MAX_AMOUNT)}), field)
    return number.quantize(CENT)


def _rate(value, field: str) -> Decimal:
    number = _number(value, field)
    if number != number.quantize(RATE_PLACE):
        raise UserError(_("The ${field} has at most four decimals as a percentage (${smallest}).",
                          mapping={"field": _label(field), "smallest": _percent(RATE_PLACE)}), field)
    if number > MAX_RATE:
        raise UserError(_("The ${field} is at most ${maximum}.",
                          mapping={"field": _label(field), "maximum": _percent(MAX_RATE)}), field)
    return number.quantize(RATE_PLACE)


def _whole(value, field: str) -> int:
    number = _number(value, field)
    if number != number.to_integral_value():
        raise UserError(_("The ${field} is a whole number.", mapping={"field": _label(field)}), field)
    return int(number)


def _choice(value, choices, field: str) -> str:
    if value in choices:
        return value
    values = {"value": value, "choices": ", ".join(choices)}
    if field == "repayment_method":
        raise UserError(_("Unknown repayment method “${value}”; choose one of ${choices}.", mapping=values), field)
    raise UserError(_("Unknown day-count convention “${value}”; choose one of ${choices}.", mapping=values), field)


def _label(field: str) -> str:
    """A term's name in the current language, to go inside a message."""
    return current().translate(LABELS.get(field, field.replace("_", " ")))


def months(n: int) -> str:
    """``12 months`` / ``12 meses`` in the current language."""
    return _n("${n} month", "${n} months", n)


def days(n: int) -> str:
    return _n("${n} day", "${n} days", n)


def _percent(rate: Decimal) -> str:
    """A rate as a percentage in the current language, with the decimals it has (at most four): ``8%``, ``0,05 %``."""
    places = max(0, min(4, -(rate * 100).normalize().as_tuple().exponent))
    return current().percent(rate, places)


# -- the calculator ----------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    installments: list[Installment]
    principal: Decimal
    interest: Decimal
    total: Decimal
    fee: Decimal
    apr: Decimal
    method: str
    annual_rate: Decimal


def quote(amount: Decimal, term_months: int, annual_rate: Decimal, method: str, first_due_date: date,
          fee_rate: Decimal = Decimal(0)) -> Quote:
    """A schedule with its totals and APR, for the calculator. Raises UserError on the field at fault."""
    fmt = current()
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise UserError(_("The amount must be more than zero."), "amount")
    if amount != amount.quantize(CENT):
        raise UserError(_("The amount has at most two decimal places."), "amount")
    if amount > MAX_AMOUNT:
        raise UserError(_("The amount is at most ${maximum}.", mapping={"maximum": fmt.money(MAX_AMOUNT)}), "amount")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise UserError(_("The term is from 1 to ${maximum} months.", mapping={"maximum": fmt.number(MAX_TERM_MONTHS)}),
                        "term_months")
    if not Decimal(0) <= annual_rate <= MAX_RATE:
        raise UserError(_("The rate is from 0 to ${maximum} a year.", mapping={"maximum": _percent(MAX_RATE)}), "rate")
    if method not in METHODS:
        raise UserError(_("Choose a repayment method: ${methods}.",
                          mapping={"methods": ", ".join(fmt.translate(t) for t in METHOD_TITLES.values())}), "method")
    if not Decimal(0) <= fee_rate < 1:
        raise UserError(_("The origination fee is from 0 to less than ${maximum} of the amount.",
                          mapping={"maximum": _percent(MAX_RATE)}), "fee_rate")
    fee = (amount * fee_rate).quantize(CENT)
    if fee >= amount:
        raise UserError(_("The origination fee would take the whole amount; lower it."), "fee_rate")
    installments = build_schedule(amount, annual_rate, term_months, method, first_due_date)
    totals = schedule_totals(installments)
    disbursed_on = add_months(first_due_date, -1)
    rate = apr(amount, installments, fee=fee, disbursed_on=disbursed_on)
    return Quote(installments, totals["principal"], totals["interest"], totals["total"], fee, rate, method,
                 annual_rate)


def calculator_params(version: ProductVersion) -> dict:
    """Query parameters that open the calculator on a typical loan of ``version``:
    its smallest amount over a year (or the nearest term it allows)."""
    term = min(max(12, version.min_term_months), version.max_term_months)
    return {
        "amount": f"{version.min_amount:.2f}",
        "term_months": str(term),
        "rate": f"{(version.default_rate * 100).normalize():f}",
        "method": version.repayment_method,
        "fee_rate": f"{(version.origination_fee_rate * 100).normalize():f}",
    }


# -- statistics -------------------------------------------------------------------

def product_counts(session: Session) -> dict:
    """Counts for the dashboard: products by status, active products by method."""
    by_status = dict(session.execute(select(LoanProduct.status, func.count()).group_by(LoanProduct.status)).all())
    by_method = dict(session.execute(
        select(ProductVersion.repayment_method, func.count())
        .join(LoanProduct)
        .where(LoanProduct.status == "active", ProductVersion.id.in_(current_version_ids()))
        .group_by(ProductVersion.repayment_method)).all())
    return {"status": by_status, "method": {m: by_method.get(m, 0) for m in METHODS}}


def global_search(request, query: str):
    """The products matching ``query`` (hook ``mutuo_search``)."""
    from core.search import Group, Hit, top
    from core.security import restricted_query

    if not request.has_permission("products.view"):
        return []
    found = top(request.dbsession, restricted_query(request, LoanProduct), PRODUCTS, query)
    return [Group(_("Loan products"), [Hit(p.name, request.route_url("products.product", id=p.id), p.code)
                                       for p in found],
                  more=request.route_url("products.list", _query={"q": query}), order=40)]
