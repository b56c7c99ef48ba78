"""The pipeline's stages, edited by the department: name, order, probability, active."""
from __future__ import annotations

from pyramid.view import view_config

from core.web.forms import run_action
from plugins.crm.i18n import _
from plugins.crm.models import Stage
from plugins.crm.services import pipeline
from plugins.crm.views.common import TEMPLATES


@view_config(route_name="crm.stages", renderer=TEMPLATES + "stages.pt", permission="crm.stage.manage")
def stages_page(request):
    session = request.dbsession
    back = request.route_url("crm.stages")
    if request.method == "POST":
        p = request.POST

        def save():
            stage = None
            if p.get("id", "").isdigit():
                stage = session.get(Stage, int(p["id"]))
            position = p.get("position", "0").strip()
            return pipeline.save_stage(session, p.get("name", ""), p.get("probability", ""),
                                       int(position) if position.lstrip("-").isdigit() else 0,
                                       p.get("active") == "1", stage)

        return run_action(request, save, lambda s: _("Stage ${name} saved.", mapping={"name": s.name}), back)
    return {"title": _("Pipeline stages"), "stages": pipeline.stages(session, active_only=False),
            "csrf": request.session.get_csrf_token()}
