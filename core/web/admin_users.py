"""Admin screens for users: list, create, edit, roles, (de)activate, reset password."""
import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import or_, select

from core import accounts
from core.apikeys import revoke_api_key, user_keys
from core.models.user import ApiKey, Role, User
from core.security import get_visible_or_404, restricted_query, security_registry
from core.sessions import live_sessions
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash


@colander.deferred
def _role_choices(node, kw):
    roles = kw["request"].dbsession.scalars(select(Role).order_by(Role.name))
    return deform.widget.CheckboxChoiceWidget(values=[(r.name, f"{r.name} — {r.title}") for r in roles])


class UserSchema(CSRFSchema):
    username = colander.SchemaNode(colander.String(), validator=parsing.column_text(User.username, extra=colander.Length(1)))
    full_name = colander.SchemaNode(colander.String(), missing="", validator=parsing.column_text(User.full_name))
    email = colander.SchemaNode(colander.String(), missing="", validator=colander.All(parsing.column_text(User.email),
                                                                           colander.Any(colander.Email(), colander.OneOf([""]))))
    region = colander.SchemaNode(colander.String(), missing="", description="Used to match work to people (e.g. collections).",
                                 validator=parsing.column_text(User.region))
    roles = colander.SchemaNode(colander.Set(), widget=_role_choices, missing=())


class NewUserSchema(UserSchema):
    password = colander.SchemaNode(colander.String(), widget=deform.widget.CheckedPasswordWidget(),
                                   description="At least 10 characters, not the username, not a common password.")


class ResetPasswordSchema(CSRFSchema):
    password = colander.SchemaNode(colander.String(), title="New password", widget=deform.widget.CheckedPasswordWidget())


def _user_url(request, user):
    return request.route_url("admin.user", id=user.id)


@view_config(route_name="admin.users", renderer="core:web/templates/admin/users.pt", permission="core.user.view")
def users(request):
    def search(stmt, q):
        like = f"%{q}%"
        return stmt.where(or_(User.username.ilike(like), User.full_name.ilike(like), User.email.ilike(like)))

    roles = [(r.name, r.name) for r in request.dbsession.scalars(select(Role).order_by(Role.name))]
    listing = Listing(
        request, restricted_query(request, User),
        columns=[
            Column("username", "Username", User.username, link=_user_url),
            Column("full_name", "Full name", User.full_name),
            Column("email", "Email", User.email),
            Column("roles", "Roles", value=lambda u: ", ".join(r.name for r in u.roles)),
            Column("active", "Active", User.active, value=lambda u: "yes" if u.active else "no"),
            Column("last_login", "Last login", User.last_login, value=lambda u: u.last_login and u.last_login.strftime("%Y-%m-%d %H:%M")),
        ],
        filters=[
            Filter("q", "Search", search),
            Filter("role", "Role", lambda s, v: s.where(User.roles.any(Role.name == v)), tuple(roles)),
            Filter("active", "Active", lambda s, v: s.where(User.active.is_(v == "yes")), (("yes", "yes"), ("no", "no"))),
        ],
        default_sort="username", export_name="users",
    )
    return render_listing(listing, title="Users")


@view_config(route_name="admin.user_new", renderer="core:web/templates/form_page.pt", permission="core.user.manage")
def user_new(request):
    form = make_form(request, NewUserSchema(), buttons=("create",))

    def create(data):
        user = accounts.create_user(request.dbsession, data["username"], data["password"], full_name=data["full_name"],
                                    email=data["email"], roles=data["roles"], region=data["region"])
        flash(request, f"User {user.username} created.")
        return _user_url(request, user)

    return page("New user", process(request, form, create))


@view_config(route_name="admin.user", renderer="core:web/templates/admin/user.pt", permission="core.user.view")
def user_page(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    granted = accounts_effective(request, user)
    return {"title": user.username, "user": user, "granted": granted,
            "keys": user_keys(request.dbsession, user.id),
            "key_revoke_url": (lambda key: request.route_url("admin.user_key_revoke", id=user.id, key=key.id))
            if request.has_permission("core.user.manage") else None,
            "sessions": live_sessions(request.dbsession, user.id, request.registry.settings),
            "panels": record_panels(request, user, can_edit=request.has_permission("core.user.manage"))}


def accounts_effective(request, user):
    from core.security import effective_permissions

    reg = security_registry(request)
    return [(reg.permissions[name], roles) for name, roles in sorted(effective_permissions(user, reg).items())]


@view_config(route_name="admin.user_edit", renderer="core:web/templates/form_page.pt", permission="core.user.manage")
def user_edit(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    form = make_form(request, UserSchema(), buttons=("save",))

    def save(data):
        if data["username"] != user.username:
            accounts.rename_user(request.dbsession, user, data["username"])  # the rules of create_user
        user.full_name, user.email, user.region = data["full_name"], data["email"], data["region"]
        accounts.set_user_roles(request.dbsession, user, data["roles"])
        flash(request, f"User {user.username} saved.")
        return _user_url(request, user)

    appstruct = {"username": user.username, "full_name": user.full_name, "email": user.email,
                 "region": user.region, "roles": {r.name for r in user.roles}}
    return page(f"Edit {user.username}", process(request, form, save, appstruct))


@view_config(route_name="admin.user_password", renderer="core:web/templates/form_page.pt", permission="core.user.manage")
def user_password(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    form = make_form(request, ResetPasswordSchema(), buttons=("reset",))

    def reset(data):
        accounts.set_password(request.dbsession, user, data["password"], field="password")
        flash(request, f"Password of {user.username} reset; their sessions are ended and their API keys revoked.")
        return _user_url(request, user)

    return page(f"Reset password of {user.username}", process(request, form, reset))


@view_config(route_name="admin.user_key_revoke", request_method="POST", permission="core.user.manage")
def user_key_revoke(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    key = request.dbsession.get(ApiKey, int(request.matchdict["key"])) if request.matchdict["key"].isdigit() else None
    if key is None or key.user_id != user.id:
        raise HTTPNotFound()
    revoke_api_key(request.dbsession, key, "revoked by an administrator")
    flash(request, f"Key {key.prefix}… of {user.username} is revoked.")
    return HTTPFound(_user_url(request, user))


@view_config(route_name="admin.user_active", request_method="POST", permission="core.user.manage")
def user_active(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    active = request.POST.get("active") == "1"
    if not active and user.id == request.user.id:
        flash(request, "You cannot deactivate yourself.", "danger")
    else:
        accounts.set_active(request.dbsession, user, active)
        flash(request, f"{user.username} is {'active' if active else 'deactivated; their sessions and keys stopped working'}.")
    return HTTPFound(_user_url(request, user))


def includeme(config):
    config.add_route("admin.users", "/admin/users")
    config.add_route("admin.user_new", "/admin/users/new")
    config.add_route("admin.user", "/admin/users/{id}")
    config.add_route("admin.user_edit", "/admin/users/{id}/edit")
    config.add_route("admin.user_password", "/admin/users/{id}/password")
    config.add_route("admin.user_active", "/admin/users/{id}/active")
    config.add_route("admin.user_key_revoke", "/admin/users/{id}/keys/{key}/revoke")
    config.scan("core.web.admin_users")
