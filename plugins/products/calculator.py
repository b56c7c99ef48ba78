"""The schedule calculator: a GET form (so product pages can link to it prefilled), the
schedule with its totals and APR, and the same schedule as CSV.

The form is read in the user's language (``10.000,50`` and ``31/03/2026`` in ``es``) by
core.web.parsing's types; links into it (:func:`link_params`) are written that way too.
The CSV keeps plain figures and ISO dates; only its headers are translated.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import colander
from babel.numbers import format_decimal
from pyramid.response import Response
from pyramid.view import view_config

from core.errors import UserError
from core.formatting import formatter
from core.i18n import translate
from core.web import parsing
from plugins.products import services
from plugins.products.i18n import _
from plugins.products.schedule import METHOD_TITLES, add_months

HUNDRED = Decimal(100)


class CalculatorSchema(colander.MappingSchema):
    amount = colander.SchemaNode(parsing.Money(), title=_("Amount"))
    term_months = colander.SchemaNode(parsing.WholeNumber(), title=_("Term (months)"))
    rate = colander.SchemaNode(parsing.Percent(), title=_("Rate (% a year)"))
    method = colander.SchemaNode(colander.String(), title=_("Repayment method"),
                                 validator=colander.OneOf(list(METHOD_TITLES)))
    first_due_date = colander.SchemaNode(parsing.BoundedDate(), title=_("First due date"))
    fee_rate = colander.SchemaNode(parsing.Percent(), title=_("Origination fee (%)"), missing=Decimal(0))


def _typed(value: Decimal, locale: str, places: int | None = None) -> str:
    """A number as a person types it in ``locale``: no group separators, ``10000,00`` in ``es``."""
    pattern = "0." + "0" * places if places else "0.####"
    return format_decimal(value, format=pattern, locale=locale, group_separator=False)


def default_values(today: date, locale: str = parsing.DEFAULT_LOCALE) -> dict:
    return {"amount": _typed(Decimal("10000.00"), locale, 2), "term_months": "12", "rate": "12",
            "method": "equal_installment", "first_due_date": formatter(locale).date_input(add_months(today, 1)),
            "fee_rate": "0"}


def link_params(params: dict, locale: str) -> dict:
    """``services.calculator_params`` (plain figures) written the way ``locale`` types them."""
    out = dict(params)
    if out.get("amount"):
        out["amount"] = _typed(Decimal(out["amount"]), locale, 2)
    for name in ("rate", "fee_rate"):
        if out.get(name):
            out[name] = _typed(Decimal(out[name]), locale)
    return out


@view_config(route_name="products.calculator", renderer="plugins.products:templates/calculator.pt",
             permission="products.view", request_method="GET")
def calculator(request):
    locale = parsing.request_locale(request)
    submitted = "amount" in request.GET
    values = {**default_values(date.today(), locale), **{k: v.strip() for k, v in request.GET.items()}}
    result = {"title": _("Schedule calculator"), "values": values, "errors": {}, "quote": None,
              "methods": list(METHOD_TITLES.items())}
    if not submitted:
        return result
    try:
        schema = CalculatorSchema().bind(request=request)
        data = schema.deserialize({node.name: values.get(node.name, "") for node in schema.children})
        quote = services.quote(data["amount"], data["term_months"], data["rate"] / HUNDRED, data["method"],
                               data["first_due_date"], data["fee_rate"] / HUNDRED)
    except colander.Invalid as exc:
        result["errors"] = exc.asdict(translate=translate)
    except UserError as exc:
        result["errors"] = {exc.field or "amount": translate(exc)}
    else:
        if request.GET.get("format") == "csv":
            return csv_response(quote)
        result["quote"] = quote
        result["csv_url"] = request.current_route_url(_query={**values, "format": "csv"})
    if result["errors"]:
        request.response.status = 400
    return result


CSV_HEADERS = (_("Number"), _("Due date"), _("Principal"), _("Interest"), _("Total"), _("Remaining principal"))


def csv_response(quote: services.Quote) -> Response:
    """The schedule as CSV: headers in the user's language, figures plain (``9211.51``) and dates ISO."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([translate(title) for title in CSV_HEADERS])
    for item in quote.installments:
        writer.writerow([item.number, item.due_date.isoformat(), item.principal, item.interest, item.total,
                         item.remaining])
    writer.writerow([translate(_("Total")), "", quote.principal, quote.interest, quote.total, ""])
    response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = 'attachment; filename="schedule.csv"'
    return response
