"""``mutuo plugins``, ``mutuo db`` and ``mutuo demo`` commands."""
from __future__ import annotations

import sys

import click

from core.cli import fail, main, pass_env, say, say_text
from core.i18n import _, _n


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
    from core.formatting import current

    yes_no = current().yes_no
    table = Table(*(say_text(t) for t in (_("name"), _("version"), _("enabled"), _("depends"), _("migrations"))))
    available = available_plugins()
    for name, path in available.items():
        try:
            info = load_plugin(name, path).info
            version, depends = info.version, ", ".join(info.depends) or "-"
        except Exception as exc:  # a broken third-party package must not hide the others
            version, depends = "?", say_text(_("cannot import: ${error}", mapping={"error": str(exc)}))
        table.add_row(name, version, yes_no(name in enabled), depends,
                      states.get(name, say_text(_("not enabled") if name not in enabled else _("no migrations"))))
    for name, state in states.items():  # data kept by plugins whose package is gone
        if name != "core" and name not in available:
            table.add_row(name, "?", yes_no(False), "-", state)
    Console().print(table)


def _branch_states(env) -> dict[str, str]:
    from core.migrate import status

    try:
        with env.engine.connect() as conn:
            return {s.branch: s.describe() for s in status(env.settings, env.pm, conn)}
    except Exception as exc:  # plugins list still answers without a database
        return {name: say_text(_("unknown (${error})", mapping={"error": type(exc).__name__}))
                for name in env.pm.enabled_names}


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
    say(_n("Plugin '${name}' (data at revision ${revision}) has ${n} table:",
           "Plugin '${name}' (data at revision ${revision}) has ${n} tables:", len(plan.tables),
           mapping={"name": name, "revision": plan.revision}))
    for table in reversed(plan.tables):
        rows = _n("${n} row", "${n} rows", plan.rows[table.name])
        click.echo(f"  {table.name:<40} {rows:>15}")
    say(_("They will be exported under ${folder}/ and then dropped.",
          mapping={"folder": str(export_folder(env.settings, name).parent)}))
    if not yes:
        if not _interactive():
            fail(_("Error: uninstalling drops tables; pass --yes to confirm when not running interactively."), 1)
        click.confirm(say_text(_("Export and drop the tables of '${name}'?", mapping={"name": name})), abort=True)
    with _ProgressBars() as progress:
        result = uninstall(env.settings, env.pm, env.engine, name, Actor(None, "cli:plugins uninstall"), progress)
    total = sum(result.plan.rows.values())
    say(_n("Uninstalled '${name}': ${rows} in ${n} table exported to ${folder}",
           "Uninstalled '${name}': ${rows} in ${n} tables exported to ${folder}", len(result.plan.tables),
           mapping={"name": name, "rows": _n("${n} row", "${n} rows", total), "folder": str(result.export)}))


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
        task = self.bars.add_task(say_text(description), total=total)
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
    from alembic.runtime.migration import MigrationContext

    from core.accounts import sync_default_roles
    from core.migrate import upgrade
    from core.platform_state import note_enabled_plugins

    with env.engine.begin() as conn:
        before = set(MigrationContext.configure(conn).get_current_heads())
        branches = upgrade(env.settings, env.pm, conn)
        changed = set(MigrationContext.configure(conn).get_current_heads()) != before
    if changed:
        say(_("Upgraded: ${branches}", mapping={"branches": ", ".join(branches)}))
    else:
        say(_("Already up to date: ${branches}", mapping={"branches": ", ".join(branches)}))
    changes = env.transaction("db upgrade", lambda s: sync_default_roles(s, env.registry["mutuo.security"]))
    env.transaction("db upgrade", lambda s: note_enabled_plugins(s, env.pm.enabled_names))
    for change in changes:
        click.echo(f"  {say_text(change)}")


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
    say(_("Wrote ${path} (revision ${revision}); check it, then run `mutuo db upgrade`.",
          mapping={"path": script.path, "revision": script.revision}))


@db.command("status")
@pass_env
def db_status(env):
    """Each branch's current and head revision; the revision disabled plugins' data is kept at."""
    from core.migrate import status

    with env.engine.connect() as conn:
        rows = status(env.settings, env.pm, conn)
    for row in rows:
        if row.state != "enabled":
            click.echo(f"{row.branch:<16} {say_text(row.describe())}")
            continue
        mark = say_text(_("BEHIND: run `mutuo db upgrade`") if row.behind else _("at head"))
        current, head = say_text(_("current")), say_text(_("head"))
        click.echo(f"{row.branch:<16} {current} {row.current or say_text(_('none')):<14} {head} {row.head:<14} {mark}")
    if any(row.behind for row in rows):
        raise SystemExit(1)


@main.group()
def demo():
    """Demo data."""


@demo.command("load")
@click.option("--scale", default=None, type=click.IntRange(1, 1_000_000),
              help="Default 10: a few hundred customers, about 200 loans over the last 18 months; 1 = a small "
                   "book of the same shape; larger builds proportionally more.")
@pass_env
def demo_load(env, scale):
    """Create demo users and records once (running it again changes nothing); lists the demo users' passwords."""
    from core.demo import DEFAULT_SCALE, echo_logins, load_demo

    loaded = load_demo(env, scale or DEFAULT_SCALE, echo=say)
    if not loaded:
        say(_("Demo data is already loaded; nothing to do."))
    echo_logins(env, say)
