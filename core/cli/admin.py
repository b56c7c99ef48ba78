"""``mutuo users`` and ``mutuo roles``."""
from __future__ import annotations

import sys

import click

from core.cli import main, pass_env


def _read_password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)


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
    click.echo(f"Created user {username} with roles: {', '.join(roles) or 'none'}")


@users.command("list")
@pass_env
def users_list(env):
    """Every user with roles, state and last login."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from core.models.user import User

    table = Table("username", "full name", "roles", "active", "last login")
    with env.session_factory() as session:
        for user in session.scalars(select(User).options(selectinload(User.roles)).order_by(User.username)):
            table.add_row(user.username, user.full_name, ", ".join(r.name for r in user.roles),
                          "yes" if user.active else "no",
                          user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "-")
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
    click.echo(f"Password of {username} changed; their sessions are ended and their API keys revoked.")


@users.command("deactivate")
@click.argument("username")
@pass_env
def users_deactivate(env, username):
    """Deactivate a user: their sessions and API keys stop working."""
    from core.accounts import get_user, set_active

    env.transaction("users deactivate", lambda s: set_active(s, get_user(s, username), False))
    click.echo(f"{username} is deactivated.")


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

    from core.models.user import Role
    from core.security import ADMIN_ROLE

    table = Table("name", "title", "permissions", "users", "from")
    with env.session_factory() as session:
        for role in session.scalars(select(Role).order_by(Role.name)):
            count = "all" if role.name == ADMIN_ROLE else str(len(role.grants))
            table.add_row(role.name, role.title, count, str(len(role.users)), role.plugin or "admin-made")
    Console().print(table)


@roles.command("show")
@click.argument("name")
@pass_env
def roles_show(env, name):
    """A role's permissions with their descriptions, and its users."""
    from core.accounts import get_role
    from core.security import ADMIN_ROLE

    perms = env.registry["mutuo.security"].permissions
    with env.session_factory() as session:
        role = get_role(session, name)
        click.echo(f"{role.name} — {role.title}\n{role.description}\n")
        names = sorted(perms) if role.name == ADMIN_ROLE else sorted(role.permissions)
        for perm in names:
            desc = perms[perm].title if perm in perms else "(no longer declared by an enabled plugin)"
            click.echo(f"  {perm:<36} {desc}")
        click.echo(f"\nUsers: {', '.join(u.username for u in role.users) or 'none'}")
