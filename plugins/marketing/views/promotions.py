"""Promotions: the list, the form, and a promotion's page with its redemptions."""
from __future__ import annotations

from decimal import Decimal

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import func, select

from core.formatting import for_request
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Listing, render_listing
from core.web.shell import flash
from plugins.lending.models import Customer, Loan
from plugins.marketing.i18n import _
from plugins.marketing.models import ROLES, Promotion, Redemption
from plugins.marketing.services import promotions as service
from plugins.marketing.views.campaigns import FORM_PAGE, _date, _select, _text
from plugins.marketing.views.lists import label

FIELDS = ("code", "name", "valid_from", "valid_to", "rate", "amount", "role", "verified_only", "global_limit",
          "per_customer_limit")


def _used():
    return (select(func.count(Redemption.id)).where(Redemption.promotion_id == Promotion.id).correlate(Promotion)
            .scalar_subquery().label("used"))


@view_config(route_name="marketing.promotions", renderer=LIST_PAGE, permission="marketing.promotion.view")
def promotion_list(request):
    used = _used()
    listing = Listing(request, restricted_query(request, Promotion).add_columns(used), columns=[
        Column("code", _("Code"), Promotion.code, value=lambda r: r[0].code,
               link=lambda req, r: req.route_url("marketing.promotion", id=r[0].id)),
        Column("name", _("Promotion"), Promotion.name, value=lambda r: r[0].name, wide=True),
        Column("valid_from", _("From"), Promotion.valid_from, value=lambda r: r[0].valid_from),
        Column("valid_to", _("To (included)"), Promotion.valid_to, value=lambda r: r[0].valid_to),
        Column("role", _("Customers"), Promotion.role, value=lambda r: label(r[0].role)),
        Column("used", _("Used"), used, value=lambda r: r.used),
        Column("global_limit", _("Limit"), Promotion.global_limit,
               value=lambda r: "—" if r[0].global_limit is None else r[0].global_limit),
    ], default_sort="-valid_from", export_name="marketing-promotions")
    actions = [(_("New promotion"), request.route_url("marketing.promotion_new"))] \
        if request.has_permission("marketing.promotion.manage") else []
    return render_listing(listing, title=_("Promotions"), actions=actions)


class PromotionSchema(CSRFSchema):
    code = _text(_("Code"), colander.required, validator=colander.Length(1, 40))
    name = _text(_("Name"), colander.required, validator=colander.Length(1, 200))
    valid_from = _date(_("Valid from"))
    valid_to = _date(_("Valid to (included)"))
    rate = colander.SchemaNode(parsing.Percent(maximum=Decimal(100)), title=_("Discount on the fee (%)"),
                               missing=None, description=_("Either a percentage of the origination fee…"))
    amount = colander.SchemaNode(parsing.Money(), title=_("Discount amount"), missing=None,
                                 description=_("…or a fixed amount off it (never more than the fee)."))
    role = _text(_("Customers"), "borrower", widget=_select(ROLES))
    verified_only = colander.SchemaNode(colander.Boolean(), title=_("Verified customers only"), missing=False,
                                        widget=deform.widget.CheckboxWidget())
    global_limit = colander.SchemaNode(parsing.WholeNumber(1), title=_("Uses in all"), missing=None,
                                       description=_("Empty: no limit."))
    per_customer_limit = colander.SchemaNode(parsing.WholeNumber(1), title=_("Uses per customer"), missing=1)


def _service_values(data):
    data = dict(data)
    if data.get("rate") is not None:
        data["rate"] = data["rate"] / 100
    return data


def _form(request, buttons):
    return make_form(request, PromotionSchema().bind(request=request), buttons=buttons)


@view_config(route_name="marketing.promotion_new", renderer=FORM_PAGE, permission="marketing.promotion.manage")
def promotion_new(request):
    form = _form(request, ("create",))

    def create(data):
        promotion = service.create_promotion(request.dbsession, **_service_values(data))
        return request.route_url("marketing.promotion", id=promotion.id)

    return page(_("New promotion"), process(request, form, create, {"verified_only": True, "role": "borrower",
                                                                     "per_customer_limit": 1}))


@view_config(route_name="marketing.promotion_edit", renderer=FORM_PAGE, permission="marketing.promotion.manage")
def promotion_edit(request):
    promotion = get_visible_or_404(request, Promotion, request.matchdict["id"])
    form = _form(request, ("save",))

    def save(data):
        service.update_promotion(request.dbsession, promotion, kind=promotion.kind, **_service_values(data))
        flash(request, _("Promotion ${code} saved.", mapping={"code": promotion.code}))
        return request.route_url("marketing.promotion", id=promotion.id)

    values = {k: getattr(promotion, k) for k in FIELDS}
    if values["rate"] is not None:
        values["rate"] = values["rate"] * 100
    return page(_("Edit ${code}", mapping={"code": promotion.code}), process(request, form, save, values))


@view_config(route_name="marketing.promotion", renderer=LIST_PAGE, permission="marketing.promotion.view")
def promotion_page(request):
    """The promotion's terms and every redemption: who, which loan, the fee and the discount."""
    promotion = get_visible_or_404(request, Promotion, request.matchdict["id"])
    stmt = (select(Redemption, Customer.name.label("customer"), Loan.id.label("loan_id"))
            .join(Customer, Customer.id == Redemption.customer_id)
            .outerjoin(Loan, Loan.application_id == Redemption.application_id)
            .where(Redemption.promotion_id == promotion.id))
    listing = Listing(request, stmt, columns=[
        Column("slot", _("Use"), Redemption.slot, value=lambda r: r[0].slot),
        Column("redeemed_on", _("Date"), Redemption.redeemed_on, value=lambda r: r[0].redeemed_on),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.customer,
               link=lambda req, r: req.route_url("lending.customer", id=r[0].customer_id)),
        Column("loan", _("Loan"), Loan.id, value=lambda r: r.loan_id or "—",
               link=lambda req, r: req.route_url("lending.loan", id=r.loan_id) if r.loan_id else None),
        Column("fee", _("Fee before"), Redemption.fee, value=lambda r: r[0].fee),
        Column("discount", _("Discount"), Redemption.discount, value=lambda r: r[0].discount),
    ], default_sort="-slot", export_name=f"marketing-promotion-{promotion.id}")
    fmt = for_request(request)
    terms = (_("${rate} of the origination fee", mapping={"rate": fmt.percent(promotion.rate, 1)})
             if promotion.rate is not None else _("${amount} off the origination fee",
                                                  mapping={"amount": fmt.money(promotion.amount)}))
    intro = _("${terms}, ${start} to ${end} (included); used ${used} of ${limit} times, at most ${each} per "
              "customer.", mapping={"terms": fmt.translate(terms), "start": fmt.date(promotion.valid_from),
                                    "end": fmt.date(promotion.valid_to),
                                    "used": fmt.number(service.usage(request.dbsession, promotion)),
                                    "limit": "∞" if promotion.global_limit is None else fmt.number(promotion.global_limit),
                                    "each": fmt.number(promotion.per_customer_limit)})
    actions = [(_("Edit"), request.route_url("marketing.promotion_edit", id=promotion.id))] \
        if request.has_permission("marketing.promotion.manage") else []
    return render_listing(listing, title=f"{promotion.code} · {promotion.name}", intro=intro, actions=actions)
