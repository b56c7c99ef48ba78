"""Admin screens for users: list, create, edit, roles, (de)activate, reset password."""
import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import accounts, search
from core.apikeys import revoke_api_key, user_keys
from core.i18n import _, available_locales, locale_display_name, translate, translate_declared
from core.models.user import ApiKey, Role, User
from core.search import Field, Search
from core.security import get_visible_or_404, restricted_query, security_registry
from core.sessions import live_sessions
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.helpers import for_request
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash


@colander.deferred
def _role_choices(node, kw):
    request = kw["request"]
    h = for_request(request)
    roles = request.dbsession.scalars(select(Role).order_by(Role.name))
    return deform.widget.CheckboxChoiceWidget(values=[(r.name, f"{r.name} — {h.role_title(r)}") for r in roles])


@colander.deferred
def _language_choices(node, kw):
    offered = available_locales(kw["request"].registry.settings)
    return deform.widget.SelectWidget(values=[("", _("As their browser asks"))]
                                      + [(name, locale_display_name(name)) for name in offered])


class UserSchema(CSRFSchema):
    username = colander.SchemaNode(colander.String(), title=_("Username"),
                                   validator=parsing.column_text(User.username, extra=colander.Length(1)))
    full_name = colander.SchemaNode(colander.String(), title=_("Full name"), missing="",
                                    validator=parsing.column_text(User.full_name))
    email = colander.SchemaNode(colander.String(), title=_("Email"), missing="",
                                validator=colander.All(parsing.column_text(User.email),
                                                       colander.Any(colander.Email(), colander.OneOf([""]))))
    region = colander.SchemaNode(colander.String(), title=_("Region"), missing="",
                                 description=_("Used to match work to people (e.g. collections)."),
                                 validator=parsing.column_text(User.region))
    locale = colander.SchemaNode(colander.String(), title=_("Language"), widget=_language_choices, missing="",
                                 description=_("The language of their screens, messages, numbers and dates."))
    roles = colander.SchemaNode(colander.Set(), title=_("Roles"), widget=_role_choices, missing=())


class NewUserSchema(UserSchema):
    password = colander.SchemaNode(colander.String(), title=_("Password"), widget=deform.widget.CheckedPasswordWidget(),
                                   description=_("At least 10 characters, not the username, not a common password."))


class ResetPasswordSchema(CSRFSchema):
    password = colander.SchemaNode(colander.String(), title=_("New password"), widget=deform.widget.CheckedPasswordWidget())


#: A user by username, the words of their name, or e-mail (any case or accents), see core.search.
USERS = Search(Field(User.username_key, "substring"), Field(User.full_name_key, "words"),
               Field(User.email_key, "substring", search.email))


def _user_url(request, user):
    return request.route_url("admin.user", id=user.id)


@view_config(route_name="admin.users", renderer="core:web/templates/admin/users.pt", permission="core.user.view")
def users(request):
    roles = [(r.name, translate_declared(r.title, r.plugin) or r.name)
             for r in request.dbsession.scalars(select(Role).order_by(Role.name))]
    listing = Listing(
        request, restricted_query(request, User).options(selectinload(User.roles)),  # no query per row for its roles
        columns=[
            Column("username", _("Username"), User.username, link=_user_url),
            Column("full_name", _("Full name"), User.full_name),
            Column("email", _("Email"), User.email),
            Column("roles", _("Roles"), value=lambda u: ", ".join(translate_declared(r.title, r.plugin) or r.name
                                                                   for r in u.roles)),
            Column("active", _("Active"), User.active),
            Column("last_login", _("Last login"), User.last_login),
        ],
        filters=[
            USERS.filter(_("Search")),
            Filter("role", _("Role"), lambda s, v: s.where(User.roles.any(Role.name == v)), tuple(roles)),
            Filter("active", _("Active"), lambda s, v: s.where(User.active.is_(v == "yes")),
                   (("yes", _("yes")), ("no", _("no")))),
        ],
        default_sort="username", export_name="users",
    )
    return render_listing(listing, title=_("Users"))


@view_config(route_name="admin.user_new", renderer="core:web/templates/form_page.pt", permission="core.user.manage")
def user_new(request):
    form = make_form(request, NewUserSchema(), buttons=(deform.Button("create", _("Create")),))

    def create(data):
        user = accounts.create_user(request.dbsession, data["username"], data["password"], full_name=data["full_name"],
                                    email=data["email"], roles=data["roles"], region=data["region"],
                                    locale=data["locale"] or None)
        flash(request, _("User ${username} created.", mapping={"username": user.username}))
        return _user_url(request, user)

    return page(_("New user"), process(request, form, create))


@view_config(route_name="admin.user", renderer="core:web/templates/admin/user.pt", permission="core.user.view")
def user_page(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    granted = accounts_effective(request, user)
    language = locale_display_name(user.locale) if user.locale else translate(_("As their browser asks"))
    return {"title": user.username, "user": user, "granted": granted, "language": language,
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
    form = make_form(request, UserSchema(), buttons=(deform.Button("save", _("Save")),))

    def save(data):
        if data["username"] != user.username:
            accounts.rename_user(request.dbsession, user, data["username"])  # the rules of create_user
        user.full_name, user.email, user.region = data["full_name"], data["email"], data["region"]
        if (data["locale"] or None) != user.locale:
            accounts.set_language(request.dbsession, user, data["locale"])
        accounts.set_user_roles(request.dbsession, user, data["roles"])
        flash(request, _("User ${username} saved.", mapping={"username": user.username}))
        return _user_url(request, user)

    appstruct = {"username": user.username, "full_name": user.full_name, "email": user.email,
                 "region": user.region, "locale": user.locale or "", "roles": {r.name for r in user.roles}}
    return page(_("Edit ${username}", mapping={"username": user.username}), process(request, form, save, appstruct))


@view_config(route_name="admin.user_password", renderer="core:web/templates/form_page.pt", permission="core.user.manage")
def user_password(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    form = make_form(request, ResetPasswordSchema(), buttons=(deform.Button("reset", _("Reset")),))

    def reset(data):
        accounts.set_password(request.dbsession, user, data["password"], field="password")
        flash(request, _("Password of ${username} reset; their sessions are ended and their API keys revoked.",
                         mapping={"username": user.username}))
        return _user_url(request, user)

    return page(_("Reset password of ${username}", mapping={"username": user.username}),
                process(request, form, reset))


@view_config(route_name="admin.user_key_revoke", request_method="POST", permission="core.user.manage")
def user_key_revoke(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    key = request.dbsession.get(ApiKey, int(request.matchdict["key"])) if request.matchdict["key"].isdigit() else None
    if key is None or key.user_id != user.id:
        raise HTTPNotFound()
    revoke_api_key(request.dbsession, key, "revoked by an administrator")
    flash(request, _("Key ${prefix}… of ${username} is revoked.", mapping={"prefix": key.prefix, "username": user.username}))
    return HTTPFound(_user_url(request, user))


@view_config(route_name="admin.user_active", request_method="POST", permission="core.user.manage")
def user_active(request):
    user = get_visible_or_404(request, User, request.matchdict["id"])
    active = request.POST.get("active") == "1"
    if not active and user.id == request.user.id:
        flash(request, _("You cannot deactivate yourself."), "danger")
    else:
        accounts.set_active(request.dbsession, user, active)
        flash(request, _("${username} is active.", mapping={"username": user.username}) if active
              else _("${username} is deactivated; their sessions and keys stopped working.", mapping={"username": user.username}))
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
