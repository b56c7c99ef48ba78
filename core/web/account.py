"""A user's own account: password, login sessions, personal API keys.

Every view here needs ``core.account.manage``, which the security policy grants
to login sessions only: an API key can never reach them (core.security.SESSION_ONLY).
"""
import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.security import forget
from pyramid.view import view_config

from core.accounts import change_own_password, log_out_everywhere, set_language
from core.apikeys import (
    create_api_key,
    default_scope,
    expiry_from_date,
    grantable_permissions,
    revoke_api_key,
    user_keys,
)
from core.i18n import _, available_locales, forget_request_locale, locale_display_name
from core.models.user import ApiKey
from core.security import ACCOUNT, get_visible_or_404, security_registry
from core.sessions import live_sessions
from core.web.forms import CSRFSchema, make_form, process
from core.web.helpers import for_request
from core.web.parsing import BoundedDate
from core.web.shell import flash


class PasswordSchema(CSRFSchema):
    old_password = colander.SchemaNode(colander.String(), title=_("Current password"), widget=deform.widget.PasswordWidget())
    new_password = colander.SchemaNode(colander.String(), title=_("New password"), widget=deform.widget.CheckedPasswordWidget(),
                                       description=_("At least 10 characters, not your username, not a common password. "
                                                     "Your other sessions and your API keys end."))


@colander.deferred
def _language_widget(node, kw):
    offered = available_locales(kw["request"].registry.settings)
    return deform.widget.SelectWidget(values=[("", _("As my browser asks"))]
                                      + [(name, locale_display_name(name)) for name in offered])


class LanguageSchema(CSRFSchema):
    locale = colander.SchemaNode(colander.String(), title=_("Language"), widget=_language_widget, missing="",
                                 description=_("Screens, messages, numbers and dates follow it."))


@colander.deferred
def _scope_widget(node, kw):
    request = kw["request"]
    names = grantable_permissions(request.user, security_registry(request))
    perms = security_registry(request).permissions
    h = for_request(request)
    return deform.widget.CheckboxChoiceWidget(values=[(n, f"{n} — {h.permission_title(perms[n])}") for n in names])


@colander.deferred
def _scope_default(node, kw):
    request = kw["request"]
    return set(default_scope(request.user, security_registry(request)))


class ApiKeySchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title=_("Key name"), validator=colander.Length(1, 100),
                               description=_("Where it will be used, e.g. 'accounting export'."))
    scope = colander.SchemaNode(colander.Set(), title=_("Permissions of the key"), widget=_scope_widget,
                                default=_scope_default, missing=(),
                                description=_("Read-only permissions are chosen for you; add only what the key needs."))
    expires = colander.SchemaNode(BoundedDate(), title=_("Valid until (optional)"), missing=None,
                                  description=_("The key stops working after this day (UTC)."))


@view_config(route_name="account", renderer="core:web/templates/account.pt", permission=ACCOUNT)
def account(request):
    user = request.user
    forms = {
        "language": make_form(request, LanguageSchema(), buttons=(deform.Button("set_language", _("Save language")),),
                              formid="language"),
        "password": make_form(request, PasswordSchema(), buttons=(deform.Button("change_password", _("Change password")),),
                              formid="password"),
        "key": make_form(request, ApiKeySchema(), buttons=(deform.Button("create_key", _("Create key")),), formid="apikey"),
    }
    new_key = []

    def choose_language(data):
        set_language(request.dbsession, user, data["locale"])
        forget_request_locale(request)  # the message below is already in the new language
        flash(request, _("Your language is saved."))
        return request.route_url("account")

    def change(data):
        current = request.identity_info.session
        change_own_password(request.dbsession, user, data["old_password"], data["new_password"],
                            current_session=current.id if current else None)
        flash(request, _("Your password is changed; your other sessions are logged out and your API keys revoked."))
        return request.route_url("account")

    def make_key(data):
        new_key.append(create_api_key(request.dbsession, user, data["name"], security_registry(request),
                                      scope=data["scope"], expires_at=expiry_from_date(data["expires"]))[1])
        return {"form": forms["key"].render()}  # stay on the page: the key is shown once

    rendered = {name: form.render() for name, form in forms.items()}
    rendered["language"] = forms["language"].render({"locale": user.locale or ""})
    for name, on_valid in (("language", choose_language), ("password", change), ("key", make_key)):
        result = process(request, forms[name], on_valid)
        if not isinstance(result, dict):
            return result
        rendered[name] = result["form"]
    current = request.identity_info.session
    return {"title": _("My account"), "language_form": rendered["language"], "password_form": rendered["password"], "key_form": rendered["key"],
            "new_key": new_key[0] if new_key else None, "keys": user_keys(request.dbsession, user.id),
            "key_revoke_url": lambda key: request.route_url("account.key_revoke", id=key.id),
            "sessions": live_sessions(request.dbsession, user.id, request.registry.settings),
            "current_session": current.id if current else None}


@view_config(route_name="account.key_revoke", request_method="POST", permission=ACCOUNT)
def revoke_key(request):
    key = get_visible_or_404(request, ApiKey, request.matchdict["id"])
    if key.user_id != request.user.id:
        raise HTTPFound(request.route_url("account"))
    revoke_api_key(request.dbsession, key)
    flash(request, _("Key ${prefix}… is revoked.", mapping={"prefix": key.prefix}))
    return HTTPFound(request.route_url("account"))


@view_config(route_name="account.logout_everywhere", request_method="POST", permission=ACCOUNT)
def logout_everywhere(request):
    log_out_everywhere(request.dbsession, request.user)
    headers = forget(request)
    return HTTPFound(request.route_url("login"), headers=headers)


@view_config(route_name="api.me", renderer="json", permission="core.dashboard.view")
def api_me(request):
    """Who am I and what may I do: the simplest check that an API key works."""
    user = request.user
    return {"username": user.username, "full_name": user.full_name,
            "roles": [r.name for r in user.roles], "permissions": sorted(request.user_permissions)}


def includeme(config):
    config.add_route("account", "/account")
    config.add_route("account.key_revoke", "/account/keys/{id}/revoke")
    config.add_route("account.logout_everywhere", "/account/logout-everywhere")
    config.add_route("api.me", "/api/me")
    config.scan("core.web.account")
