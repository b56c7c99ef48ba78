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
from plugins.collections.i18n import _, word
from plugins.collections.models import ACTION_KINDS, STAGES, StrategyAction
from plugins.collections.services import strategies
from plugins.collections.services.messages import PLACEHOLDERS
from plugins.collections.views.common import TEMPLATES, label, run_action, select_widget, text_node


def whole_node(title: str, description: str = "", missing=""):
    """A day count or position: ASCII digits within an Integer column (the service checks its own limits)."""
    return colander.SchemaNode(parsing.WholeNumber(-parsing.INT32_MAX, parsing.INT32_MAX), title=title,
                               description=description, missing=missing)


class ActionSchema(CSRFSchema):
    stage = colander.SchemaNode(colander.String(), title=_("Stage"),
                                widget=select_widget([(s, label(s)) for s in STAGES]))
    day_offset = whole_node(_("Day past due"), _("D+n: the day past due this step is due (1 = the first day late)."),
                            missing=colander.required)
    channel = colander.SchemaNode(colander.String(), title=_("Channel"),
                                  widget=select_widget([(k, label(k)) for k in ACTION_KINDS]))
    repeat_every = whole_node(_("Repeat every (days)"), _("Blank: once. A number: again every so many days while "
                                                         "the case stays in the stage."))
    title = text_node(_("Title"), _("What the collector sees, e.g. 'Second call'."),
                      validator=parsing.column_text(StrategyAction.title))
    message = text_node(_("SMS / email text"), _("Sent by the daily job for SMS and email steps. Placeholders: "
                                                 "${placeholders}.",
                                                 mapping={"placeholders": ", ".join("{" + p + "}" for p in PLACEHOLDERS)}),
                        widget=deform.widget.TextAreaWidget(rows=3))
    position = whole_node(_("Position"), _("Order within the stage; blank: last."))
    active = colander.SchemaNode(colander.Boolean(), title=_("Active"), missing=False, default=True,
                                 widget=deform.widget.CheckboxWidget())


_SAVE = deform.Button("save", _("Save"))


def _described(action: StrategyAction) -> str:
    """``early sms day 1`` in the user's words (the model's str() stays English, for logs)."""
    from core.formatting import current

    fmt = current()
    values = {"stage": fmt.label(action.stage, "collections"), "channel": fmt.label(action.channel, "collections"),
              "day": action.day_offset, "every": action.repeat_every}
    if action.repeat_every:
        return fmt.translate(_("${stage}: ${channel} day ${day}, every ${every} days", mapping=values))
    return fmt.translate(_("${stage}: ${channel} day ${day}", mapping=values))


def _title(action: StrategyAction):
    return _("Strategy action: ${action}", mapping={"action": _described(action)})


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
    return {"title": _("Collection strategies"), "grouped": grouped,
            "can_manage": request.has_permission("collections.strategy.manage")}


@view_config(route_name="collections.strategy_new", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.manage")
def strategy_new(request):
    form = make_form(request, ActionSchema(), buttons=(deform.Button("add", _("Add")),))

    def save(data):
        action = strategies.create_action(request.dbsession, **data)
        flash(request, _("Added to the ${stage} strategy: ${action}.",
                         mapping={"stage": word(action.stage), "action": _described(action)}))
        return request.route_url("collections.strategies")

    result = process(request, form, save, appstruct={"stage": request.params.get("stage", "early"), "active": True})
    return result if not isinstance(result, dict) else {"title": _("New strategy action"), "action": None, **result}


@view_config(route_name="collections.strategy", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.view", request_method="GET")
def strategy_page(request):
    action = _get(request)
    values = {"title": _title(action), "action": action, "form": None,
              "panels": record_panels(request, action, can_edit=False)}
    if request.has_permission("collections.strategy.manage"):
        values["form"] = make_form(request, ActionSchema(), buttons=(_SAVE,)).render(_appstruct(action))
    return values


@view_config(route_name="collections.strategy", renderer=TEMPLATES + "strategy.pt",
             permission="collections.strategy.manage", request_method="POST")
def strategy_edit(request):
    action = _get(request)
    form = make_form(request, ActionSchema(), buttons=(_SAVE,))

    def save(data):
        strategies.update_action(request.dbsession, action, **data)
        flash(request, _("Saved: ${action}.", mapping={"action": _described(action)}))
        return request.route_url("collections.strategies")

    result = process(request, form, save, appstruct=_appstruct(action))
    if not isinstance(result, dict):
        return result
    return {"title": _title(action), "action": action,
            "panels": record_panels(request, action, can_edit=False), **result}


@view_config(route_name="collections.strategy_delete", request_method="POST",
             permission="collections.strategy.manage")
def strategy_delete(request):
    action = _get(request)
    text = _described(action)
    back = request.route_url("collections.strategies")
    result = run_action(request, lambda: strategies.delete_action(request.dbsession, action),
                        _("Deleted: ${action}.", mapping={"action": text}), back)
    return result if isinstance(result, HTTPFound) else HTTPFound(back)
