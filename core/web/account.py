"""A user's own account: change password, personal API keys."""
import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from core.accounts import change_own_password, create_api_key, revoke_api_key
from core.models.user import ApiKey
from core.security import get_visible_or_404
from core.web.forms import CSRFSchema, make_form, process
from core.web.shell import flash

SELF = "core.dashboard.view"  # anyone who may log in may manage their own account


class PasswordSchema(CSRFSchema):
    old_password = colander.SchemaNode(colander.String(), title="Current password", widget=deform.widget.PasswordWidget())
    new_password = colander.SchemaNode(colander.String(), title="New password", widget=deform.widget.CheckedPasswordWidget(),
                                       description="At least 10 characters, not your username.")


class ApiKeySchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title="Key name", validator=colander.Length(1, 100),
                               description="Where it will be used, e.g. 'accounting export'.")


@view_config(route_name="account", renderer="core:web/templates/account.pt", permission=SELF)
def account(request):
    user = request.user
    forms = {
        "password": make_form(request, PasswordSchema(), buttons=(deform.Button("change_password", "Change password"),),
                              formid="password"),
        "key": make_form(request, ApiKeySchema(), buttons=(deform.Button("create_key", "Create key"),), formid="apikey"),
    }
    new_key = []

    def change(data):
        change_own_password(request.dbsession, user, data["old_password"], data["new_password"])
        request.session["stamp"] = user.security_stamp  # this session stays; others end
        flash(request, "Your password is changed; other sessions are logged out.")
        return request.route_url("account")

    def make_key(data):
        new_key.append(create_api_key(request.dbsession, user, data["name"])[1])
        return {"form": forms["key"].render()}  # stay on the page: the key is shown once

    rendered = {name: form.render() for name, form in forms.items()}
    for name, on_valid in (("password", change), ("key", make_key)):
        result = process(request, forms[name], on_valid)
        if not isinstance(result, dict):
            return result
        rendered[name] = result["form"]
    keys = request.dbsession.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)).all()
    return {"title": "My account", "password_form": rendered["password"], "key_form": rendered["key"],
            "new_key": new_key[0] if new_key else None, "keys": keys}


@view_config(route_name="account.key_revoke", request_method="POST", permission=SELF)
def revoke_key(request):
    key = get_visible_or_404(request, ApiKey, request.matchdict["id"])
    if key.user_id != request.user.id:
        raise HTTPFound(request.route_url("account"))
    revoke_api_key(request.dbsession, key)
    flash(request, f"Key {key.prefix}… is revoked.")
    return HTTPFound(request.route_url("account"))


@view_config(route_name="api.me", renderer="json", permission=SELF)
def api_me(request):
    """Who am I and what may I do: the simplest check that an API key works."""
    user = request.user
    return {"username": user.username, "full_name": user.full_name,
            "roles": [r.name for r in user.roles], "permissions": sorted(request.user_permissions)}


def includeme(config):
    config.add_route("account", "/account")
    config.add_route("account.key_revoke", "/account/keys/{id}/revoke")
    config.add_route("api.me", "/api/me")
    config.scan("core.web.account")
