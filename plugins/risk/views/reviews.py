"""The reviews list, a review's page (score explained, rules, screening, the committee) and the decision form."""
from __future__ import annotations

import colander
from pyramid.view import view_config
from sqlalchemy import select

from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.models import Customer
from plugins.risk.i18n import _, word
from plugins.risk.models import LEVELS, OUTCOMES, RECOMMENDATIONS, REVIEW_STATUSES, AgendaItem, Profile, Review
from plugins.risk.search import REVIEWS
from plugins.risk.services import blacklist, reviews
from plugins.risk.views.common import FORM_PAGE, TEMPLATES, choices, select_node, text_node


def review_url(request, review_id) -> str:
    return request.route_url("risk.review", id=review_id)


@view_config(route_name="risk.reviews", renderer=LIST_PAGE, permission="risk.review.view")
def review_list(request):
    stmt = restricted_query(request, Review).join(Customer, Customer.id == Review.customer_id) \
        .add_columns(Customer.name)
    link = lambda request, row: review_url(request, row[0].id)  # noqa: E731
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Review.id, value=lambda r: r[0].id, link=link),
        Column("application", _("Application"), Review.application_id, value=lambda r: r[0].application_id),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.name, link=link, wide=True),
        Column("opened_on", _("Opened"), Review.opened_on, value=lambda r: r[0].opened_on),
        Column("score", _("Score"), Review.score, value=lambda r: r[0].score, kind="number"),
        Column("grade", _("Grade"), Review.grade, value=lambda r: r[0].grade),
        Column("rules", _("Rule outcome"), Review.rule_outcome, value=lambda r: r[0].rule_outcome, kind="label",
               domain="risk"),
        Column("screening", _("Screening"), Review.screening, value=lambda r: r[0].screening, kind="label",
               domain="risk"),
        Column("status", _("Status"), Review.status, value=lambda r: r[0].status, kind="label", domain="risk",
               card="key"),
        Column("reasons", _("Reason codes"), None, value=lambda r: r[0].reasons, optional=True, wide=True),
    ], filters=[
        REVIEWS.filter(_("Search")),
        Filter("status", _("Status"), lambda s, v: s.where(Review.status == v), tuple(choices(REVIEW_STATUSES))),
        Filter("outcome", _("Rule outcome"), lambda s, v: s.where(Review.rule_outcome == v), tuple(choices(OUTCOMES))),
        Filter("grade", _("Grade"), lambda s, v: s.where(Review.grade == v),
               tuple((g, g) for g in ("A", "B", "C", "D", "E"))),
    ], default_sort="-id", export_name="risk-reviews")
    return render_listing(listing, title=_("Risk reviews"))


@view_config(route_name="risk.review", renderer=TEMPLATES + "review.pt", permission="risk.review.view")
def review_page(request):
    review = get_visible_or_404(request, Review, request.matchdict["id"])
    session = request.dbsession
    items = session.scalars(select(AgendaItem).where(AgendaItem.review_id == review.id).order_by(AgendaItem.id)).all()
    return {"title": _("Review ${id}", mapping={"id": review.id}), "review": review, "word": word,
            "hits": blacklist.open_hits(session, review.customer_id), "items": items,
            "profile": session.scalar(select(Profile).where(Profile.customer_id == review.customer_id)),
            "can_decide": review.status == "pending" and request.has_permission("risk.review.decide"),
            "panels": record_panels(request, review, can_edit=False)}


class DecisionSchema(CSRFSchema):
    recommendation = select_node(_("Recommendation"), choices(RECOMMENDATIONS))
    level = select_node(_("Risk level"), choices(LEVELS))
    warnings = text_node(_("Warnings"), _("What could go wrong with this loan."), rows=3)
    conditions = text_node(_("Conditions"), _("Needed to approve with conditions."), rows=2)
    reason = text_node(_("Reason for declining"), _("The borrower will be told."), rows=2)


@view_config(route_name="risk.review_decide", renderer=FORM_PAGE, permission="risk.review.decide")
def review_decide(request):
    review = get_visible_or_404(request, Review, request.matchdict["id"])
    form = make_form(request, DecisionSchema(), buttons=("decide",))

    def decide(data):
        reviews.decide(request.dbsession, review, recommendation=data["recommendation"], level=data["level"],
                       warnings=data["warnings"], conditions=data["conditions"], reason=data["reason"])
        flash(request, _("Review ${id}: ${status}.", mapping={"id": review.id, "status": word(review.status)}))
        return review_url(request, review.id)

    default = {"recommendation": review.recommendation or ("decline" if review.rule_outcome == "decline"
                                                           else "approve"),
               "level": review.score_level or "medium"}
    return page(_("Decide review ${id}", mapping={"id": review.id}), process(request, form, decide, default))


class ProfileSchema(CSRFSchema):
    birth_date = colander.SchemaNode(parsing.BoundedDate(), title=_("Birth date"), missing=None,
                                     widget=parsing.DateTextWidget())
    monthly_income = colander.SchemaNode(parsing.Money(), title=_("Monthly income"), missing=None)
    monthly_debt = colander.SchemaNode(parsing.Money(), title=_("Monthly debt payments"), missing=None)


@view_config(route_name="risk.review_profile", renderer=FORM_PAGE, permission="risk.review.decide")
def review_profile(request):
    """The applicant's age, income and debts, then the review is scored again with the same card."""
    review = get_visible_or_404(request, Review, request.matchdict["id"])
    form = make_form(request, ProfileSchema(), buttons=("save",))
    profile = request.dbsession.scalar(select(Profile).where(Profile.customer_id == review.customer_id))

    def save(data):
        reviews.update_profile(request.dbsession, review, **data)
        flash(request, _("Review ${id} scored again.", mapping={"id": review.id}))
        return review_url(request, review.id)

    values = {k: getattr(profile, k) for k in ("birth_date", "monthly_income", "monthly_debt")} if profile else {}
    return page(_("Applicant's finances"), process(request, form, save, {k: v for k, v in values.items()
                                                                         if v is not None}))
