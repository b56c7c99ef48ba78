"""Scorecard versions and rules: look, draft a new version, edit the draft, activate it; edit a rule."""
from __future__ import annotations

import json

import colander
from pyramid.view import view_config

from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.record import record_panels
from core.web.shell import flash
from plugins.risk.i18n import _, word
from plugins.risk.models import RULE_CHECKS, Rule, Scorecard
from plugins.risk.services import rules, scorecards
from plugins.risk.views.common import FORM_PAGE, TEMPLATES, choices, run_action, select_node, text_node


def scorecard_url(request, scorecard_id) -> str:
    return request.route_url("risk.scorecard", id=scorecard_id)


@view_config(route_name="risk.scorecards", renderer=TEMPLATES + "scorecards.pt", permission="risk.scorecard.view")
def scorecard_list(request):
    cards = request.dbsession.scalars(restricted_query(request, Scorecard)
                                      .order_by(Scorecard.name, Scorecard.version.desc())).all()
    return {"title": _("Scorecards and rules"), "cards": cards, "rules": rules.ensure_defaults(request.dbsession),
            "word": word, "can_manage": request.has_permission("risk.scorecard.manage")}


@view_config(route_name="risk.scorecard", renderer=TEMPLATES + "scorecard.pt", permission="risk.scorecard.view")
def scorecard_page(request):
    card = get_visible_or_404(request, Scorecard, request.matchdict["id"])
    parsed = scorecards.card(card)
    return {"title": f"{card.name} v{card.version}", "card": card, "parsed": parsed, "word": word,
            "csrf": request.session.get_csrf_token(), "can_manage": request.has_permission("risk.scorecard.manage"),
            "panels": record_panels(request, card, can_edit=False)}


@view_config(route_name="risk.scorecard_version", request_method="POST", permission="risk.scorecard.manage")
def scorecard_version(request):
    card = get_visible_or_404(request, Scorecard, request.matchdict["id"])
    return run_action(request, lambda: request.route_url("risk.scorecard_edit", id=scorecards.new_version(
        request.dbsession, card).id), _("New draft version made."), scorecard_url(request, card.id))


@view_config(route_name="risk.scorecard_activate", request_method="POST", permission="risk.scorecard.manage")
def scorecard_activate(request):
    card = get_visible_or_404(request, Scorecard, request.matchdict["id"])
    return run_action(request, lambda: scorecards.activate(request.dbsession, card),
                      _("Version activated: new applications are scored with it."), scorecard_url(request, card.id))


def _json(node, value):
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise colander.Invalid(node, _("Not valid JSON: ${error}", mapping={"error": str(error)})) from error
    if not isinstance(parsed, list):
        raise colander.Invalid(node, _("A list is expected."))


class DraftSchema(CSRFSchema):
    pdo = colander.SchemaNode(colander.Decimal(), title=_("Points to double the odds"))
    base_score = colander.SchemaNode(colander.Decimal(), title=_("Base score"))
    base_odds = colander.SchemaNode(colander.Decimal(), title=_("Base odds"))
    odds_good_to_bad = select_node(_("The base odds are written"), [
        ("good", _("good:bad (50 = fifty good for one bad)")), ("bad", _("bad:good (0.02 = the same)"))])
    reason_count = colander.SchemaNode(colander.Integer(), title=_("Reason codes shown"),
                                       validator=colander.Range(0, 10))
    definition = text_node(_("Characteristics and bins (JSON)"), _("Each: code, label, fact, kind (numeric or "
                                                                    "category), reason, bins (label, points and "
                                                                    "low/high, categories, other or missing)."),
                           rows=16, missing=None, validator=_json)
    bands = text_node(_("Score bands (JSON)"), _("Each: min_score, grade, level."), rows=6, missing=None,
                      validator=_json)


@view_config(route_name="risk.scorecard_edit", renderer=FORM_PAGE, permission="risk.scorecard.manage")
def scorecard_edit(request):
    card = get_visible_or_404(request, Scorecard, request.matchdict["id"])
    form = make_form(request, DraftSchema(), buttons=("save",))

    def save(data):
        scorecards.update_draft(request.dbsession, card, pdo=data["pdo"], base_score=data["base_score"],
                                base_odds=data["base_odds"], odds_good_to_bad=data["odds_good_to_bad"] == "good",
                                reason_count=data["reason_count"], definition=json.loads(data["definition"]),
                                bands=json.loads(data["bands"]))
        flash(request, _("Draft saved."))
        return scorecard_url(request, card.id)

    values = {"pdo": card.pdo, "base_score": card.base_score, "base_odds": card.base_odds,
              "odds_good_to_bad": "good" if card.odds_good_to_bad else "bad", "reason_count": card.reason_count,
              "definition": json.dumps(card.definition, indent=1, ensure_ascii=False),
              "bands": json.dumps(card.bands, indent=1)}
    return page(_("Edit ${name} v${version}", mapping={"name": card.name, "version": card.version}),
                process(request, form, save, values))


class RuleSchema(CSRFSchema):
    code = text_node(_("Code"), missing=None)
    check = select_node(_("Check"), choices(RULE_CHECKS))
    limit = colander.SchemaNode(colander.Decimal(), title=_("Limit"), missing=None)
    outcome = select_node(_("When it fires"), choices(("decline", "refer")))
    active = colander.SchemaNode(colander.Boolean(), title=_("Active"), missing=False)


@view_config(route_name="risk.rule", renderer=FORM_PAGE, permission="risk.scorecard.manage")
def rule_edit(request):
    rule = get_visible_or_404(request, Rule, request.matchdict["id"])
    form = make_form(request, RuleSchema(), buttons=("save",))

    def save(data):
        rules.save_rule(request.dbsession, rule, position=rule.position, **data)
        flash(request, _("Rule saved."))
        return request.route_url("risk.scorecards")

    values = {"code": rule.code, "check": rule.check, "outcome": rule.outcome, "active": rule.active}
    if rule.limit is not None:
        values["limit"] = rule.limit
    return page(_("Rule ${code}", mapping={"code": rule.code}), process(request, form, save, values))


