"""``mutuo apikeys``: make, list and revoke personal API keys from the command line."""
from __future__ import annotations

import datetime as dt

import click

from core.cli import main, pass_env, say, say_text
from core.i18n import _


@main.group()
def apikeys():
    """Personal API keys (scoped, optionally expiring)."""


@apikeys.command("create")
@click.argument("username")
@click.option("--scope", "scope", multiple=True,
              help="A permission the key may use; repeat for several. Default: the user's read-only permissions.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day (UTC) the key works, YYYY-MM-DD.")
@click.option("--name", default="command line", show_default=True, help="Where the key is used.")
@pass_env
def apikeys_create(env, username, scope, expires, name):
    """Make a key for USERNAME and print it (shown only this once)."""
    from core.accounts import get_user
    from core.apikeys import create_api_key, expiry_from_date

    # Several names in one --scope value ("--scope 'a b'") are accepted too.
    scopes = [p for value in scope for p in value.replace(",", " ").split()] or None
    expires_at = expiry_from_date(expires.date()) if expires else None
    registry = env.registry["mutuo.security"]

    def make(session):
        key, plain = create_api_key(session, get_user(session, username), name, registry,
                                    scope=scopes, expires_at=expires_at)
        return key.id, key.scope, plain

    key_id, chosen, plain = env.transaction("apikeys create", make)
    say(_("Key ${id} for ${username}, permissions: ${scope}", mapping={"id": key_id, "username": username,
                                                                     "scope": chosen}))
    click.echo(plain)


@apikeys.command("list")
@click.argument("username", required=False)
@pass_env
def apikeys_list(env, username):
    """Every key (of USERNAME, if given): scope, expiry, last use, state."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from core.accounts import get_user
    from core.formatting import current
    from core.models.user import ApiKey, User

    table = Table(*(say_text(t) for t in (_("id"), _("user"), _("name"), _("key"), _("permissions"), _("expires"),
                                          _("last used"), _("state"))))
    now = dt.datetime.now(dt.UTC)
    shown = current()
    fmt = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "-"  # noqa: E731  (ISO: sortable, greppable)
    with env.session_factory() as session:
        stmt = select(ApiKey, User.username).join(User, ApiKey.user_id == User.id).order_by(ApiKey.id)
        if username:
            stmt = stmt.where(ApiKey.user_id == get_user(session, username).id)
        for key, owner in session.execute(stmt):
            state = shown.label("revoked" if key.revoked_at else ("expired" if not key.usable_at(now) else "active"))
            table.add_row(str(key.id), owner, key.name, key.prefix + "…", " ".join(sorted(key.scopes)),
                          fmt(key.expires_at), f"{fmt(key.last_used)} {key.last_used_ip or ''}".strip(), state)
    Console(width=200).print(table)


@apikeys.command("revoke")
@click.argument("key_id", type=int)
@pass_env
def apikeys_revoke(env, key_id):
    """Revoke key KEY_ID (see `mutuo apikeys list`)."""
    from core.apikeys import revoke_api_key
    from core.errors import UserError
    from core.models.user import ApiKey

    def revoke(session):
        key = session.get(ApiKey, key_id)
        if key is None:
            raise UserError(_("There is no key ${id}; `mutuo apikeys list` shows the keys.", mapping={"id": key_id}),
                            "key")
        revoke_api_key(session, key, "revoked from the command line")
        return key.prefix

    prefix = env.transaction("apikeys revoke", revoke)
    say(_("Key ${id} (${prefix}…) is revoked.", mapping={"id": key_id, "prefix": prefix}))
