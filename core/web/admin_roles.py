"""Admin screens for roles: list, create, copy, edit, the permission matrix, who holds what."""
from itertools import groupby

import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import accounts
from core.i18n import _, translate
from core.models.user import Role, RolePermission
from core.security import ADMIN_ROLE, get_visible_or_404, restricted_query, security_registry
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.helpers import for_request
from core.web.listing import Column, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash


class RoleSchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=colander.Regex(
        r"^[a-z][a-z0-9_]{0,63}$", _("Use lowercase letters, digits and underscores, starting with a letter.")))
    title = colander.SchemaNode(colander.String(), title=_("Title"),
                                validator=parsing.column_text(Role.title, extra=colander.Length(1)))
    description = colander.SchemaNode(colander.String(), title=_("Description"), missing="",
                                      widget=deform.widget.TextAreaWidget(rows=3),
                                      validator=parsing.column_text(Role.description, multiline=True))


def grouped_permissions(request):
    """[(plugin title, [Permission...])] in plugin order, for the matrix."""
    reg = security_registry(request)
    pm = request.registry["mutuo.pm"]
    titles = {"core": _("Core")} | {p.info.name: p.info.title for p in pm.enabled}
    order = list(titles)
    perms = sorted(reg.permissions.values(), key=lambda p: (order.index(p.plugin) if p.plugin in order else 99, p.name))
    return [(titles.get(plugin, plugin), list(items)) for plugin, items in groupby(perms, key=lambda p: p.plugin)]


def _role_url(request, role):
    return request.route_url("admin.role", id=role.id)


@view_config(route_name="admin.roles", renderer="core:web/templates/admin/roles.pt", permission="core.role.view")
def roles(request):
    h = for_request(request)
    stmt = restricted_query(request, Role).options(selectinload(Role.grants), selectinload(Role.users))  # no N+1
    listing = Listing(request, stmt, columns=[
        Column("name", _("Name"), Role.name, link=_role_url),
        Column("title", _("Title"), Role.title, value=h.role_title),
        Column("permissions", _("Permissions"), value=lambda r: _("all") if r.name == ADMIN_ROLE else len(r.grants)),
        Column("users", _("Users"), value=lambda r: len(r.users)),
        Column("plugin", _("Declared by"), Role.plugin, value=lambda r: r.plugin or _("admin")),
    ], default_sort="name", export_name="roles")
    return render_listing(listing, title=_("Roles"))


@view_config(route_name="admin.role", renderer="core:web/templates/admin/role.pt", permission="core.role.view")
def role_page(request):
    role = get_visible_or_404(request, Role, request.matchdict["id"])
    editable = request.has_permission("core.role.manage") and role.name != ADMIN_ROLE
    error = None
    if request.method == "POST" and editable and "save_permissions" in request.POST:
        wanted = request.POST.getall("permission")
        try:
            accounts.set_role_permissions(request.dbsession, role, wanted, security_registry(request).permissions)
        except accounts.AccountError as exc:  # a name no enabled plugin declares: say so, save nothing
            request.response.status = 400
            error = translate(_("${error} Tick permissions from the list below.",
                                mapping={"error": parsing.printable(translate(exc), 300)}))
        else:
            flash(request, _("Permissions of ${role} saved.", mapping={"role": role.name}))
            return HTTPFound(_role_url(request, role))
    held = set(security_registry(request).permissions) if role.name == ADMIN_ROLE else role.permissions
    return {"title": role.name, "role": role, "groups": grouped_permissions(request), "held": held,
            "editable": editable, "panels": record_panels(request, role), "error": error}


@view_config(route_name="admin.role_new", renderer="core:web/templates/form_page.pt", permission="core.role.manage")
def role_new(request):
    source = None
    if request.params.get("copy"):
        source = get_visible_or_404(request, Role, request.params["copy"])
    form = make_form(request, RoleSchema(), buttons=(deform.Button("create", _("Create")),))

    def create(data):
        if request.dbsession.scalars(select(Role).where(Role.name == data["name"])).first():
            raise accounts.AccountError(_("Role “${name}” already exists.", mapping={"name": data["name"]}), "name")
        role = Role(name=data["name"], title=data["title"], description=data["description"], builtin=False)
        request.dbsession.add(role)
        request.dbsession.flush()
        if source is not None:
            perms = security_registry(request).permissions if source.name == ADMIN_ROLE else source.permissions
            accounts.set_role_permissions(request.dbsession, role, perms, security_registry(request).permissions)
        flash(request, _("Role ${name} created; now tick its permissions.", mapping={"name": role.name}))
        return _role_url(request, role)

    appstruct = {}
    if source is not None:
        h = for_request(request)
        appstruct = {"name": f"{source.name}_copy", "description": h.role_description(source),
                     "title": translate(_("${title} (copy)", mapping={"title": h.role_title(source)}))}
    title = _("Copy role ${name}", mapping={"name": source.name}) if source else _("New role")
    return page(title, process(request, form, create, appstruct))


@view_config(route_name="admin.role_edit", renderer="core:web/templates/form_page.pt", permission="core.role.manage")
def role_edit(request):
    role = get_visible_or_404(request, Role, request.matchdict["id"])
    form = make_form(request, RoleSchema(), buttons=(deform.Button("save", _("Save")),))

    def save(data):
        if data["name"] != role.name:
            if role.builtin:
                raise accounts.AccountError(_("Built-in roles keep their name; copy the role to make a new one."), "name")
            if request.dbsession.scalars(select(Role).where(Role.name == data["name"])).first():
                raise accounts.AccountError(_("Role “${name}” already exists.", mapping={"name": data["name"]}), "name")
            role.name = data["name"]
        role.title, role.description = data["title"], data["description"]
        flash(request, _("Role ${name} saved.", mapping={"name": role.name}))
        return _role_url(request, role)

    appstruct = {"name": role.name, "title": role.title, "description": role.description}
    return page(_("Edit role ${name}", mapping={"name": role.name}), process(request, form, save, appstruct))


@view_config(route_name="admin.permissions", renderer="core:web/templates/admin/permissions.pt", permission="core.role.view")
def permissions(request):
    """The matrix: permissions (grouped by plugin) × roles, a tick where the role grants it; the users
    of the chosen role (``?role=ID``) in the side panel."""
    session = request.dbsession
    roles = list(session.scalars(select(Role).options(selectinload(Role.users)).order_by(Role.name)))
    granted = {(g.role_id, g.permission) for g in session.scalars(select(RolePermission))}
    everything = {r.id for r in roles if r.name == ADMIN_ROLE}  # admin holds every permission, later ones too
    groups = grouped_permissions(request)
    selected = request.params.get("permission")
    if selected:
        groups = [(title, [p for p in perms if p.name == selected]) for title, perms in groups]
        groups = [g for g in groups if g[1]]
    chosen = next((r for r in roles if str(r.id) == request.params.get("role", "")), None)
    users = sorted((u for u in chosen.users if u.active), key=lambda u: u.username) if chosen else []
    return {"title": _("Permissions"), "roles": roles, "groups": groups, "selected": selected, "chosen": chosen,
            "users": users, "holds": lambda role, perm: role.id in everything or (role.id, perm.name) in granted}


def includeme(config):
    config.add_route("admin.roles", "/admin/roles")
    config.add_route("admin.role_new", "/admin/roles/new")
    config.add_route("admin.role", "/admin/roles/{id}")
    config.add_route("admin.role_edit", "/admin/roles/{id}/edit")
    config.add_route("admin.permissions", "/admin/permissions")
    config.scan("core.web.admin_roles")
