"""``mutuo plugins``, ``mutuo db`` and ``mutuo demo`` commands."""
from __future__ import annotations

import sys

import click

from core.cli import fail, main, pass_env


@main.group()
def plugins():
    """Installed and enabled plugins."""


@plugins.command("list")
@pass_env
def plugins_list(env):
    """Every installed plugin: version, enabled, dependencies, migration state."""
    from rich.console import Console
    from rich.table import Table

    from core.plugins import available_plugins, enabled_names, load_plugin

    enabled = set(enabled_names(env.settings))
    states = _branch_states(env)
    table = Table("name", "version", "enabled", "depends", "migrations")
    available = available_plugins()
    for name, path in available.items():
        try:
            info = load_plugin(name, path).info
            version, depends = info.version, ", ".join(info.depends) or "-"
        except Exception as exc:  # a broken third-party package must not hide the others
            version, depends = "?", f"cannot import: {exc}"
        table.add_row(name, version, "yes" if name in enabled else "no", depends,
                      states.get(name, "not enabled" if name not in enabled else "no migrations"))
    for name, state in states.items():  # data kept by plugins whose package is gone
        if name != "core" and name not in available:
            table.add_row(name, "?", "no", "-", state)
    Console().print(table)


def _branch_states(env) -> dict[str, str]:
    from core.migrate import status

    try:
        with env.engine.connect() as conn:
            return {s.branch: s.describe() for s in status(env.settings, env.pm, conn)}
    except Exception as exc:  # plugins list still answers without a database
        return {name: f"unknown ({type(exc).__name__})" for name in env.pm.enabled_names}


@plugins.command("uninstall")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_env
def plugins_uninstall(env, name, yes):
    """Export a disabled plugin's tables to CSV, then drop them."""
    from core.audit import Actor
    from core.uninstall import export_folder, plan_uninstall, uninstall

    with env.engine.connect() as conn:
        plan = plan_uninstall(env.settings, env.pm, conn, name)
    click.echo(f"Plugin '{name}' (data at revision {plan.revision}) has {len(plan.tables)} tables:")
    for table in reversed(plan.tables):
        click.echo(f"  {table.name:<40} {plan.rows[table.name]:>10} rows")
    click.echo(f"They will be exported under {export_folder(env.settings, name).parent}/ and then dropped.")
    if not yes:
        if not _interactive():
            fail("Error: uninstalling drops tables; pass --yes to confirm when not running interactively.", 1)
        click.confirm(f"Export and drop the tables of '{name}'?", abort=True)
    with _ProgressBars() as progress:
        result = uninstall(env.settings, env.pm, env.engine, name, Actor(None, "cli:plugins uninstall"), progress)
    total = sum(result.plan.rows.values())
    click.echo(f"Uninstalled '{name}': {total} rows in {len(result.plan.tables)} tables exported to {result.export}")


def _interactive() -> bool:
    return sys.stdin.isatty()


class _ProgressBars:
    """``progress(description, total)`` -> advance(), shown with rich while the block runs."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # stderr, transient: the report on stdout stays clean for scripts (as in cli_documents).
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bars.start()
        return self

    def __call__(self, description: str, total: int):
        task = self.bars.add_task(description, total=total)
        return lambda n=1: self.bars.advance(task, n)

    def __exit__(self, *exc):
        self.bars.stop()


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@pass_env
def db_upgrade(env):
    """Upgrade core and the enabled plugins to head, then sync default roles."""
    from core.accounts import sync_default_roles
    from core.migrate import upgrade
    from core.platform_state import note_enabled_plugins

    with env.engine.begin() as conn:
        branches = upgrade(env.settings, env.pm, conn)
    click.echo(f"Upgraded: {', '.join(branches)}")
    changes = env.transaction("db upgrade", lambda s: sync_default_roles(s, env.registry["mutuo.security"]))
    env.transaction("db upgrade", lambda s: note_enabled_plugins(s, env.pm.enabled_names))
    for change in changes:
        click.echo(f"  {change}")


@db.command("revision")
@click.argument("owner", metavar="PLUGIN")
@click.option("-m", "--message", required=True, help="What the migration does (becomes its file name).")
@click.option("--autogenerate", is_flag=True, help="Compare the plugin's models with the database.")
@pass_env
def db_revision(env, owner, message, autogenerate):
    """Write a new migration into PLUGIN's version folder (core: core's)."""
    from core.migrate import new_revision

    with env.engine.connect() as conn:
        script = new_revision(env.settings, env.pm, conn, owner, message, autogenerate)
    click.echo(f"Wrote {script.path} (revision {script.revision}); check it, then run `mutuo db upgrade`.")


@db.command("status")
@pass_env
def db_status(env):
    """Each branch's current and head revision; the revision disabled plugins' data is kept at."""
    from core.migrate import status

    with env.engine.connect() as conn:
        rows = status(env.settings, env.pm, conn)
    for row in rows:
        if row.state != "enabled":
            click.echo(f"{row.branch:<16} {row.describe()}")
            continue
        mark = "BEHIND: run `mutuo db upgrade`" if row.behind else "at head"
        click.echo(f"{row.branch:<16} current {row.current or 'none':<14} head {row.head:<14} {mark}")
    if any(row.behind for row in rows):
        raise SystemExit(1)


@main.group()
def demo():
    """Demo data."""


@demo.command("load")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 1_000_000),
              help="1 = small; larger builds proportionally more records.")
@pass_env
def demo_load(env, scale):
    """Create demo users and records once (running it again changes nothing)."""
    from core.demo import load_demo

    loaded = load_demo(env, scale, echo=click.echo)
    if not loaded:
        click.echo("Demo data is already loaded; nothing to do.")
