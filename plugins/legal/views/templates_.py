"""Contract templates, their versions and the clause library."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config
from sqlalchemy import select

from core.documents import blob_store
from core.formatting import for_request
from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.legal.i18n import _
from plugins.legal.models import CONTRACT_TYPES, Clause, Template
from plugins.legal.services import templates
from plugins.legal.views.common import (
    FORM_PAGE,
    RECORD,
    action,
    field,
    label,
    post_upload,
    run_action,
    select_node,
    text_node,
)

V, M = "legal.contract.view", "legal.template.manage"


def template_url(request, template) -> str:
    return request.route_url("legal.template", id=template.id)


@view_config(route_name="legal.templates", renderer=LIST_PAGE, permission=V)
def template_list(request):
    listing = Listing(request, restricted_query(request, Template), columns=[
        Column("code", _("Code"), Template.code, link=template_url),
        Column("name", _("Name"), Template.name, link=template_url, wide=True),
        Column("contract_type", _("Type"), Template.contract_type, value=lambda t: label(t.contract_type)),
        Column("active", _("Active"), Template.active),
    ], default_sort="code", export_name="legal-templates")
    actions = [(_("New template"), request.route_url("legal.template_new")),
               (_("Clause library"), request.route_url("legal.clauses"))] if request.has_permission(M) else \
        [(_("Clause library"), request.route_url("legal.clauses"))]
    return render_listing(listing, title=_("Templates and clauses"), actions=actions)


class TemplateSchema(CSRFSchema):
    code = text_node(_("Code"), missing=colander.required, validator=colander.Length(1, 40))
    name = text_node(_("Name"), missing=colander.required, validator=colander.Length(1, 200))
    contract_type = select_node(_("Type"), [(t, label(t)) for t in CONTRACT_TYPES])


@view_config(route_name="legal.template_new", renderer=FORM_PAGE, permission=M)
def template_new(request):
    form = make_form(request, TemplateSchema(), buttons=("create",))

    def create(data):
        template = templates.create_template(request.dbsession, data["code"], data["name"], data["contract_type"])
        flash(request, _("Template ${name} created; add its first version.", mapping={"name": template.name}))
        return template_url(request, template)

    return page(_("New template"), process(request, form, create))


@view_config(route_name="legal.template", renderer=RECORD, permission=V)
def template_page(request):
    template = get_visible_or_404(request, Template, request.matchdict["id"])
    fmt = for_request(request)
    rows = [[fmt.number(v.number), v.format, v.fields, v.clause_codes, fmt.yes_no(v.published), fmt.when(v.created_at)]
            for v in reversed(template.versions)]
    actions = []
    if request.has_permission(M):
        url = request.route_url("legal.template_version", id=template.id)
        actions.append(action("new-version", _("Add a version"), url, [
            field("fields", _("Fields (space separated)"), value=template.versions[-1].fields
                  if template.versions else ""),
            field("clause_codes", _("Clauses (codes, space separated)"),
                  value=template.versions[-1].clause_codes if template.versions else ""),
            field("body", _("HTML text with {{ placeholders }}"), "textarea",
                  value=template.versions[-1].body if template.versions else ""),
            field("file", _("Or a Word (.docx) template"), "file")]))
    latest = template.versions[-1] if template.versions else None
    return {"title": template.name, "status": fmt.label(template.contract_type, "legal"),
            "facts": [(_("Code"), template.code), (_("Current fields"), latest.fields if latest else "—")],
            "actions": actions, "links": [], "notice": None, "csrf": request.session.get_csrf_token(),
            "tables": [{"id": "versions", "title": _("Versions"), "head": [_("Version"), _("Format"), _("Fields"),
                                                                            _("Clauses"), _("Published"), _("When")],
                        "rows": rows, "empty": _("No version yet.")}],
            "panels": record_panels(request, template, can_edit=request.has_permission(M))}


@view_config(route_name="legal.template_version", request_method="POST", permission=M)
def template_version(request):
    template = get_visible_or_404(request, Template, request.matchdict["id"])
    data, _filename = post_upload(request)
    back = template_url(request, template)

    def add():
        kw = {"format": "docx", "docx": data} if data else {"format": "html", "body": request.POST.get("body", "")}
        templates.add_version(request.dbsession, template, fields=request.POST.get("fields", ""),
                              clause_codes=request.POST.get("clause_codes", ""), store=blob_store(request),
                              user_id=request.user.id, **kw)
        return back

    return run_action(request, add, _("New version published."), back)


@view_config(route_name="legal.clauses", renderer=LIST_PAGE, permission=V)
def clause_list(request):
    listing = Listing(request, select(Clause), columns=[
        Column("code", _("Code"), Clause.code), Column("title", _("Title"), Clause.title),
        Column("body", _("Text"), None, wide=True), Column("active", _("Active"), Clause.active),
    ], default_sort="code", export_name="legal-clauses")
    actions = [(_("New or changed clause"), request.route_url("legal.clause_new"))] \
        if request.has_permission(M) else []
    return render_listing(listing, title=_("Clause library"), actions=actions)


class ClauseSchema(CSRFSchema):
    code = text_node(_("Code"), _("Lower-case words joined by '_'; an existing code is updated."),
                     missing=colander.required)
    title = text_node(_("Title"), missing=colander.required)
    body = text_node(_("Text"), _("May use the contract's fields: {{ borrower_name }}."),
                     missing=colander.required, widget=deform.widget.TextAreaWidget(rows=6))


@view_config(route_name="legal.clause_new", renderer=FORM_PAGE, permission=M)
def clause_new(request):
    if not request.has_permission(M):
        raise HTTPForbidden()
    form = make_form(request, ClauseSchema(), buttons=("save",))

    def save(data):
        templates.save_clause(request.dbsession, data["code"], data["title"], data["body"])
        flash(request, _("Clause ${code} saved.", mapping={"code": data["code"]}))
        return request.route_url("legal.clauses")

    return page(_("Clause"), process(request, form, save))
