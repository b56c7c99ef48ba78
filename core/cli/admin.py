"""``mutuo users`` and ``mutuo roles``."""
from __future__ import annotations

import sys

import click

from core.cli import main, pass_env, say, say_text
from core.i18n import _


def _read_password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(say_text(_("Password for ${username}", mapping={"username": username})), hide_input=True,
                        confirmation_prompt=say_text(_("Repeat for confirmation")))


@main.group()
def users():
    """User accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="Role name; repeat for several.")
@click.option("--full-name", default="")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_env
def users_create(env, username, roles, full_name, email, password_stdin):
    """Create a user (the password is prompted unless --password-stdin)."""
    from core.accounts import check_new_password, create_user

    password = _read_password(password_stdin, username)
    check_new_password(username, password)
    env.transaction("users create", lambda s: create_user(
        s, username, password, full_name=full_name, email=email, roles=roles))
    if roles:
        say(_("Created user ${username} with roles: ${roles}", mapping={"username": username, "roles": ", ".join(roles)}))
    else:
        say(_("Created user ${username} without roles.", mapping={"username": username}))


@users.command("list")
@pass_env
def users_list(env):
    """Every user with roles, state and last login."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from core.formatting import current
    from core.models.user import User

    shown = current()
    table = Table(*(say_text(t) for t in (_("username"), _("full name"), _("roles"), _("active"), _("last login"))))
    with env.session_factory() as session:
        for user in session.scalars(select(User).options(selectinload(User.roles)).order_by(User.username)):
            table.add_row(user.username, user.full_name, ", ".join(r.name for r in user.roles),
                          shown.yes_no(user.active), user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "-")
    Console().print(table)


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@pass_env
def users_set_password(env, username, password_stdin):
    """Set a user's password (ends their sessions and revokes their API keys)."""
    from core.accounts import get_user, set_password

    password = _read_password(password_stdin, username)
    env.transaction("users set-password", lambda s: set_password(s, get_user(s, username), password))
    say(_("Password of ${username} changed; their sessions are ended and their API keys revoked.",
          mapping={"username": username}))


@users.command("deactivate")
@click.argument("username")
@pass_env
def users_deactivate(env, username):
    """Deactivate a user: their sessions and API keys stop working."""
    from core.accounts import get_user, set_active

    env.transaction("users deactivate", lambda s: set_active(s, get_user(s, username), False))
    say(_("${username} is deactivated.", mapping={"username": username}))


@main.group()
def roles():
    """Roles and their permissions."""


@roles.command("list")
@pass_env
def roles_list(env):
    """Every role, how many permissions and users it has."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from core.formatting import current
    from core.i18n import translate_declared
    from core.models.user import Role
    from core.security import ADMIN_ROLE

    number = current().number
    table = Table(*(say_text(t) for t in (_("name"), _("title"), _("permissions"), _("users"), _("from"))))
    with env.session_factory() as session:
        for role in session.scalars(select(Role).order_by(Role.name)):
            count = say_text(_("all")) if role.name == ADMIN_ROLE else number(len(role.grants))
            table.add_row(role.name, translate_declared(role.title, role.plugin), count, number(len(role.users)),
                          role.plugin or say_text(_("admin-made")))
    Console().print(table)


@roles.command("show")
@click.argument("name")
@pass_env
def roles_show(env, name):
    """A role's permissions with their descriptions, and its users."""
    from core.accounts import get_role
    from core.i18n import translate_declared
    from core.security import ADMIN_ROLE

    perms = env.registry["mutuo.security"].permissions
    with env.session_factory() as session:
        role = get_role(session, name)
        click.echo(f"{role.name} — {translate_declared(role.title, role.plugin)}\n"
                   f"{translate_declared(role.description, role.plugin)}\n")
        names = sorted(perms) if role.name == ADMIN_ROLE else sorted(role.permissions)
        for perm in names:
            desc = (translate_declared(perms[perm].title, perm.split(".")[0]) if perm in perms
                    else say_text(_("(no longer declared by an enabled plugin)")))
            click.echo(f"  {perm:<36} {desc}")
        holders = [u.username for u in role.users]
        click.echo("")
        say(_("Users: ${names}", mapping={"names": ", ".join(holders)}) if holders else _("Users: none"))
