"""The products plugin's JSON API under ``/api/v1/products`` (docs/api.md, docs/plugins/products.md).

The catalog (``/products``: list, record, create, edit, activate, retire), the versions of a
product's terms (``/products/{id}/versions``, ``/versions/{id}``, new terms as a new version) and
the schedule calculator (``POST /schedule``). Every handler calls the services the web pages
call (``plugins.products.services``) and lets their refusals through: a ``UserError`` is a 422
naming its field, a ``ConflictError`` (the product's status refuses it) a 409.

Bodies are locale-independent: money is a string with two decimals (``"1234.50"``), rates are
fractions as strings (``"0.120000"`` is 12 % a year), dates ISO.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import selectinload

from core.api import (
    DATE,
    DATETIME,
    ID,
    MONEY,
    Filter,
    Listing,
    Operation,
    Reply,
    WebhookEvent,
    array,
    nullable,
    obj,
    text,
)
from core.security import get_visible_or_404, restricted_query
from core.web.parsing import DEFAULT_MAX_TEXT, parse_date, parse_text
from plugins.products import services
from plugins.products.i18n import _
from plugins.products.models import DAY_COUNTS, STATUSES, TERM_FIELDS, LoanProduct, ProductVersion
from plugins.products.schedule import METHODS

# -- schemas -----------------------------------------------------------------------------------

RATE = {"type": "string", "pattern": r"^[0-9]{1,4}\.[0-9]{6}$",
        "description": "A rate as a fraction with six decimals: \"0.120000\" is 12 %."}
RATE_IN = {"type": "string", "pattern": r"^[0-9]{1,4}(\.[0-9]{1,12})?$",
           "description": "A rate as a fraction: \"0.12\" is 12 % (at most six decimals for product terms)."}
WHOLE = {"type": "integer", "minimum": 0, "maximum": 2147483647}
METHOD = {"type": "string", "enum": list(METHODS)}
DAY_COUNT = {"type": "string", "enum": list(DAY_COUNTS)}
STATUS = {"type": "string", "enum": list(STATUSES)}
ALLOCATION = {"type": "string", "maxLength": 64, "minLength": 1,
              "description": "A permutation of penalty,fee,interest,principal: what a payment settles first."}

MONEY_TERMS = ("min_amount", "max_amount", "min_investment", "investment_increment")
WHOLE_TERMS = ("min_term_months", "max_term_months", "grace_days", "funding_window_days")
RATE_TERMS = ("default_rate", "min_rate", "max_rate", "origination_fee_rate", "penalty_daily_rate",
              "service_fee_rate")


def _term_schema(name: str, money: dict, rate: dict) -> dict:
    if name in MONEY_TERMS:
        return money
    if name in WHOLE_TERMS:
        return WHOLE
    if name in RATE_TERMS:
        return rate
    return {"repayment_method": METHOD, "day_count": DAY_COUNT, "allocation_order": ALLOCATION}[name]


VERSION = obj({"id": ID, "product_id": ID, "product_code": text(32), "number": {"type": "integer", "minimum": 1},
               "current": {"type": "boolean"}, "created_at": DATETIME,
               **{name: _term_schema(name, MONEY, RATE) for name in TERM_FIELDS}})
PRODUCT = obj({"id": ID, "code": text(32), "name": text(200), "description": {"type": "string"}, "status": STATUS,
               "created_at": DATETIME, "current_version": nullable(VERSION)})

TERMS_IN = {name: _term_schema(name, MONEY, RATE_IN) for name in TERM_FIELDS}
INFO_IN = {"code": text(32, 1), "name": text(200, 1), "description": text(DEFAULT_MAX_TEXT)}
#: A new product: what the web form asks; the optional terms default as the services say.
NEW_PRODUCT = obj({**INFO_IN, **TERMS_IN},
                  required=["code", "name", *[n for n in TERM_FIELDS if n not in services.OPTIONAL_TERMS]])
PRODUCT_CHANGES = obj({**INFO_IN, **TERMS_IN}, required=[])
NEW_TERMS = obj(TERMS_IN, required=[], minProperties=1)

INSTALLMENT = obj({"number": {"type": "integer", "minimum": 1}, "due_date": DATE, "principal": MONEY,
                   "interest": MONEY, "total": MONEY, "remaining": MONEY})
QUOTE_IN = obj({"amount": MONEY, "term_months": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "rate": RATE_IN, "method": METHOD, "first_due_date": DATE, "fee_rate": RATE_IN},
               required=["amount", "term_months", "rate", "method", "first_due_date"])
QUOTE = obj({"amount": MONEY, "term_months": {"type": "integer", "minimum": 1}, "rate": {"type": "string"},
             "method": METHOD, "first_due_date": DATE, "fee_rate": {"type": "string"},
             "installments": array(INSTALLMENT, minItems=1),
             "totals": obj({"principal": MONEY, "interest": MONEY, "total": MONEY}),
             "fee": MONEY, "net_disbursed": MONEY, "apr": {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{6}$"}})

EVENT_DATA = obj({"product_id": ID, "code": text(32), "status": STATUS, "version_id": ID,
                  "version_number": {"type": "integer", "minimum": 1}})


# -- serializers ---------------------------------------------------------------------------------

def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.6f}"


def version_json(v: ProductVersion) -> dict:
    out = {"id": v.id, "product_id": v.product_id, "product_code": v.product.code, "number": v.number,
           "current": v.product.current_version is v, "created_at": v.created_at}
    for name in TERM_FIELDS:
        value = getattr(v, name)
        out[name] = _money(value) if name in MONEY_TERMS else _rate(value) if name in RATE_TERMS else value
    return out


def product_json(p: LoanProduct) -> dict:
    version = p.current_version
    return {"id": p.id, "code": p.code, "name": p.name, "description": p.description or "", "status": p.status,
            "created_at": p.created_at, "current_version": version_json(version) if version is not None else None}


def quote_json(q: services.Quote, body: dict) -> dict:
    return {"amount": _money(q.principal), "term_months": int(body["term_months"]), "rate": body["rate"],
            "method": q.method,
            "first_due_date": body["first_due_date"], "fee_rate": body.get("fee_rate", "0"),
            "installments": [{"number": i.number, "due_date": i.due_date, "principal": _money(i.principal),
                              "interest": _money(i.interest), "total": _money(i.total),
                              "remaining": _money(i.remaining)} for i in q.installments],
            "totals": {"principal": _money(q.principal), "interest": _money(q.interest), "total": _money(q.total)},
            "fee": _money(q.fee), "net_disbursed": _money(q.principal - q.fee), "apr": _rate(q.apr)}


# -- request bodies -> service keywords -------------------------------------------------------

def _service_fields(body: dict) -> dict:
    """JSON values as the services take them (the web form's ``to_service`` does the same for its fields):
    text cleaned by the forms' text rule, amounts and rates as Decimals, whole numbers as ints."""
    out = {}
    for name, value in body.items():
        if name in ("code", "name"):
            out[name] = parse_text(value, name, max_length=32 if name == "code" else 200)
        elif name == "description":
            out[name] = parse_text(value, name, multiline=True)
        elif name in MONEY_TERMS or name in RATE_TERMS:
            out[name] = Decimal(value)
        elif name in WHOLE_TERMS:
            out[name] = int(value)  # JSON may write 12.0; the services take ints
        else:
            out[name] = value
    return out


# -- handlers ---------------------------------------------------------------------------------

def list_products(request, call):
    return restricted_query(request, LoanProduct).options(selectinload(LoanProduct.versions))


def _product(request, call) -> LoanProduct:
    return get_visible_or_404(request, LoanProduct, call.path["id"])


def read_product(request, call):
    return product_json(_product(request, call))


def create_product(request, call):
    product = services.create_product(request.dbsession, **_service_fields(call.body))
    return Reply(product_json(product), status=201,
                 location=request.route_url("api.products.products.read", id=product.id))


def update_product(request, call):
    product = _product(request, call)
    services.update_product(request.dbsession, product, **_service_fields(call.body))
    return product_json(product)


def activate(request, call):
    product = _product(request, call)
    services.activate(request.dbsession, product)
    return product_json(product)


def retire(request, call):
    product = _product(request, call)
    services.retire(request.dbsession, product)
    return product_json(product)


def list_versions(request, call):
    product = _product(request, call)
    return (restricted_query(request, ProductVersion).where(ProductVersion.product_id == product.id)
            .options(selectinload(ProductVersion.product).selectinload(LoanProduct.versions)))


def read_version(request, call):
    version = get_visible_or_404(request, ProductVersion, call.path["id"])
    get_visible_or_404(request, LoanProduct, version.product_id)  # the product's rules apply to its versions
    return version_json(version)


def create_version(request, call):
    product = _product(request, call)
    version = services.new_version(request.dbsession, product, **_service_fields(call.body))
    return Reply(version_json(version), status=201,
                 location=request.route_url("api.products.versions.read", id=version.id))


def schedule(request, call):
    body = call.body
    quote = services.quote(Decimal(body["amount"]), int(body["term_months"]), Decimal(body["rate"]), body["method"],
                           parse_date(body["first_due_date"], "first_due_date"),
                           Decimal(body.get("fee_rate", "0")))
    return quote_json(quote, body)


# -- the declarations ------------------------------------------------------------------------

def operations() -> list[Operation]:
    page = lambda item: item  # noqa: E731  (a listing's response is its item schema)
    return [
        Operation("GET", "/products", "products.list", list_products, "products.view", _("List loan products"),
                  description=_("Each with the terms in force (its current version). Filters: status, code, "
                                "search (in code and name), method (of the current version)."),
                  response=page(PRODUCT),
                  listing=Listing(LoanProduct, product_json,
                                  filters={"status": Filter(LoanProduct.status, schema=STATUS),
                                           "code": Filter(LoanProduct.code, description="The exact code."),
                                           "search": Filter(schema=text(200, 1),
                                                            description="Text in the code or the name (any case).",
                                                            where=lambda value, session: services.matching(value)),
                                           "method": Filter(schema=METHOD,
                                                            description="The current version's repayment method.",
                                                            where=lambda value, session: services.with_method(value))},
                                  sorts={"code": LoanProduct.code, "name": LoanProduct.name,
                                         "created_at": LoanProduct.created_at},
                                  default_sort="code")),
        Operation("GET", "/products/{id}", "products.read", read_product, "products.view",
                  _("One loan product with its current terms"), response=PRODUCT),
        Operation("POST", "/products", "products.create", create_product, "products.manage",
                  _("Create a loan product (a draft with version 1)"),
                  description=_("Rates are fractions (\"0.12\" is 12 %). Optional terms take the services' "
                                "defaults: day count actual/365, no fees, no penalty, no grace period, "
                                "allocation penalty,fee,interest,principal."),
                  body=NEW_PRODUCT, response=PRODUCT, status=201, idempotent=True),
        Operation("PATCH", "/products/{id}", "products.update", update_product, "products.manage",
                  _("Change a product's name, description or terms"),
                  description=_("A draft is changed in place; changed terms of an active product become a new "
                                "version; a retired product refuses (409). The code of an active product "
                                "cannot change."),
                  body=PRODUCT_CHANGES, response=PRODUCT),
        Operation("POST", "/products/{id}/activate", "products.activate", activate, "products.manage",
                  _("Activate a draft product: new applications may choose it"), response=PRODUCT),
        Operation("POST", "/products/{id}/retire", "products.retire", retire, "products.manage",
                  _("Retire an active product: new applications can no longer choose it"), response=PRODUCT),
        Operation("GET", "/products/{id}/versions", "versions.list", list_versions, "products.view",
                  _("The versions of a product's terms"), response=page(VERSION),
                  listing=Listing(ProductVersion, version_json, sorts={"number": ProductVersion.number},
                                  default_sort="number")),
        Operation("POST", "/products/{id}/versions", "versions.create", create_version, "products.manage",
                  _("New terms for an active product, as a new version"),
                  description=_("The terms not given are the current version's. A draft is refused (409: "
                                "change its terms with PATCH), so is a retired product, and terms equal to "
                                "the current ones (422)."),
                  body=NEW_TERMS, response=VERSION, status=201, idempotent=True),
        Operation("GET", "/versions/{id}", "versions.read", read_version, "products.view",
                  _("One version of a product's terms"), response=VERSION),
        Operation("POST", "/schedule", "schedule.calculate", schedule, "products.view",
                  _("Calculate a repayment schedule"),
                  description=_("The schedule calculator: the installments, their totals (the principal parts "
                                "add up to the amount to the cent), the origination fee and the APR. Nothing is "
                                "stored."),
                  body=QUOTE_IN, response=QUOTE),
    ]


def events() -> list[WebhookEvent]:
    return [
        WebhookEvent("products.product.activated", _("A loan product was activated: new applications may choose it."),
                     EVENT_DATA),
        WebhookEvent("products.product.retired", _("A loan product was retired: new applications can no longer "
                                                   "choose it."), EVENT_DATA),
        WebhookEvent("products.version.created", _("An active product's terms changed: a new version is in force."),
                     EVENT_DATA),
    ]
