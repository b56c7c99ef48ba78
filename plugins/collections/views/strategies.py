"""Strategies: each stage's actions, on a screen supervisors edit."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from core.web import parsing
from core.web.forms import CSRFSchema, make_form, process
from core.web.record import record_panels
from core.web.shell import flash
from plugins.collections.models import ACTION_KINDS, STAGES, StrategyAction
from plugins.collections.services import strategies
from plugins.collections.services.messages import PLACEHOLDERS
from plugins.collections.views.common import TEMPLATES, label, run_action, select_widget, text_node


def whole_node(title: str, description: str = "", missing=""):
    """A day count or position: ASCII digits within an Integer column (the service checks its own limits)."""
    return colander.SchemaNode(parsing.WholeNumber(-parsing.INT32_MAX, parsing.INT32_MAX), title=title,
                               description=description, missing=missing)


class ActionSchema(CSRFSchema):
    stage = colander.SchemaNode(colander.String(), title="Stage", widget=select_widget([(s, s) for s in STAGES]))
    day_offset = whole_node("Day past due", "D+n: the day past due this step is due (1 = the first day late).",
                            missing=colander.required)
    channel = colander.SchemaNode(colander.String(), title="Channel",
                                  widget=select_widget([(k, label(k)) for k in ACTION_KINDS]))
    repeat_every = whole_node("Repeat every (days)", "Blank: once. A number: again every so many days while the "
                             "case stays in the stage.")
    title = text_node("Title", "What the collector sees, e.g. 'Second call'.",
                      validator=parsing.column_text(StrategyAction.title))
    message = text_node("SMS / email text", "Sent by the daily job for SMS and email steps. Placeholders: "
                        + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".",
                        widget=deform.widget.TextAreaWidget(rows=3))
    position = whole_node("Position", "Order within the stage; blank: last.")
    active = colander.SchemaNode(colander.Boolean(), title="Active", missing=False, default=True,
                                 widget=deform.widget.CheckboxWidget())


def _appstruct(action: StrategyAction) -> dict:
    return {"stage": action.stage, "day_offset": str(action.day_offset), "channel": action.channel,
            "repeat_every": "" if action.repeat_every is None else str(action.repeat_every), "title": action.title,
            "message": action.message, "position": str(action.position), "active": action.active}


def _get(request) -> StrategyAction:
    action = request.dbsession.get(StrategyAction, parsing.id_or_404(request.matchdict["id"], parsing.int_bound(StrategyAction.id)))
    if action is None:
        raise HTTPNotFound()
    return action


@view_config(route_name="collections.strategies", renderer=TEMPLATES + "strategies.pt",
             permission="collections.strategy.view")
def strategy_list(request):
    session = request.dbsession
    if request.has_permission("collections.strategy.manage"):
        strategies.ensure_defaults(session)  # the first visit shows the defaults to edit
    grouped = {stage: strategies.actions(session, stage) for stage in STAGES}
    return {"title": "Collection strategies", "grouped": grouped, "label": label,
            "can_manage": request.has_permission("collections.strategy.manage")}


@view_config(route_name="collections.strategy_new", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.manage")
def strategy_new(request):
    form = make_form(request, ActionSchema(), buttons=("add",))

    def save(data):
        action = strategies.create_action(request.dbsession, **data)
        flash(request, f"Added to the {action.stage} strategy: {action}.")
        return request.route_url("collections.strategies")

    result = process(request, form, save, appstruct={"stage": request.params.get("stage", "early"), "active": True})
    return result if not isinstance(result, dict) else {"title": "New strategy action", "action": None, **result}


@view_config(route_name="collections.strategy", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.view", request_method="GET")
def strategy_page(request):
    action = _get(request)
    values = {"title": f"Strategy action: {action}", "action": action, "form": None,
              "panels": record_panels(request, action, can_edit=False)}
    if request.has_permission("collections.strategy.manage"):
        values["form"] = make_form(request, ActionSchema(), buttons=("save",)).render(_appstruct(action))
    return values


@view_config(route_name="collections.strategy", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.manage", request_method="POST")
def strategy_edit(request):
    action = _get(request)
    form = make_form(request, ActionSchema(), buttons=("save",))

    def save(data):
        strategies.update_action(request.dbsession, action, **data)
        flash(request, f"Saved: {action}.")
        return request.route_url("collections.strategies")

    result = process(request, form, save, appstruct=_appstruct(action))
    if not isinstance(result, dict):
        return result
    return {"title": f"Strategy action: {action}", "action": action,
            "panels": record_panels(request, action, can_edit=False), **result}


@view_config(route_name="collections.strategy_delete", request_method="POST",
             permission="collections.strategy.manage")
def strategy_delete(request):
    action = _get(request)
    text = str(action)
    back = request.route_url("collections.strategies")
    result = run_action(request, lambda: strategies.delete_action(request.dbsession, action), f"Deleted: {text}.",
                        back)
    return result if isinstance(result, HTTPFound) else HTTPFound(back)
