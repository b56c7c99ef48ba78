"""The schedule calculator: a GET form (so product pages can link to it prefilled), the
schedule with its totals and APR, and the same schedule as CSV."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import colander
from pyramid.response import Response
from pyramid.view import view_config

from core.errors import UserError
from core.web import parsing
from plugins.products import services
from plugins.products.schedule import METHOD_TITLES, add_months

HUNDRED = Decimal(100)


class CalculatorSchema(colander.MappingSchema):
    amount = colander.SchemaNode(parsing.Money(), title="Amount")
    term_months = colander.SchemaNode(parsing.WholeNumber(), title="Term (months)")
    rate = colander.SchemaNode(parsing.Percent(), title="Rate (% a year)")
    method = colander.SchemaNode(colander.String(), title="Repayment method",
                                 validator=colander.OneOf(list(METHOD_TITLES)))
    first_due_date = colander.SchemaNode(parsing.BoundedDate(), title="First due date")
    fee_rate = colander.SchemaNode(parsing.Percent(), title="Origination fee (%)", missing=Decimal(0))


def default_values(today: date) -> dict:
    return {"amount": "10000.00", "term_months": "12", "rate": "12", "method": "equal_installment",
            "first_due_date": add_months(today, 1).isoformat(), "fee_rate": "0"}


@view_config(route_name="products.calculator", renderer="plugins.products:templates/calculator.pt",
             permission="products.view", request_method="GET")
def calculator(request):
    submitted = "amount" in request.GET
    values = {**default_values(date.today()), **{k: v.strip() for k, v in request.GET.items()}}
    result = {"title": "Schedule calculator", "values": values, "errors": {}, "quote": None,
              "methods": list(METHOD_TITLES.items())}
    if not submitted:
        return result
    try:
        schema = CalculatorSchema().bind(request=request)
        data = schema.deserialize({node.name: values.get(node.name, "") for node in schema.children})
        quote = services.quote(data["amount"], data["term_months"], data["rate"] / HUNDRED, data["method"],
                               data["first_due_date"], data["fee_rate"] / HUNDRED)
    except colander.Invalid as exc:
        result["errors"] = exc.asdict()
    except UserError as exc:
        result["errors"] = {exc.field or "amount": str(exc)}
    else:
        if request.GET.get("format") == "csv":
            return csv_response(quote)
        result["quote"] = quote
        result["csv_url"] = request.current_route_url(_query={**values, "format": "csv"})
    if result["errors"]:
        request.response.status = 400
    return result


def csv_response(quote: services.Quote) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Number", "Due date", "Principal", "Interest", "Total", "Remaining principal"])
    for item in quote.installments:
        writer.writerow([item.number, item.due_date.isoformat(), item.principal, item.interest, item.total,
                         item.remaining])
    writer.writerow(["Total", "", quote.principal, quote.interest, quote.total, ""])
    response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = 'attachment; filename="schedule.csv"'
    return response
