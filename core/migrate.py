"""Alembic driven by the plugins: one environment, one branch per owner.

The revision graph must stay complete after a plugin is switched off. Alembic
keeps only the heads in ``alembic_version``, and a plugin's revision implies the
revisions it ``depends_on`` (``collections_0001`` stands for ``lending_0002``,
``products_0001`` and ``c0001`` too), so once its script leaves
``version_locations`` Alembic cannot read the database any more.

Decision: Alembic always sees the version folders of core, of the enabled
plugins, and of every *migrated* plugin whose package is still installed; only
the branches of core and the enabled plugins are upgraded. "Migrated" comes
from the snapshot core writes after every upgrade (core/migrate_state.py, a
``core_state`` row, so no migration is needed); a plugin that was merely
installed, never enabled, stays off the path, so plain ``alembic upgrade
heads`` does not create its tables. Databases from before the snapshot fall
back to the plugins last seen enabled.

A migrated plugin whose package is gone entirely cannot be loaded: status
reports it as "not installed, data kept at revision X", and ``upgrade`` sets
its row of ``alembic_version`` aside while it upgrades the others (replaced by
the revisions the snapshot says it implied) and puts it back, so reinstalling
the package later continues where it stopped. A row the snapshot does not
describe makes upgrade refuse, naming the plugin and the fix (reinstall it),
rather than guess.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from core.i18n import _
from core.migrate_state import (
    RevisionGraph,
    heads_of,
    implied_by,
    migrated_plugins,
    read_snapshot,
    revision_graph,
    write_snapshot,
    write_versions,
)
from core.platform import migration_locations
from core.plugins import PluginError, available_plugins, conventional_migrations, load_plugin

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


# -- which folders Alembic sees -----------------------------------------------------

def version_locations(pm, connection=None) -> dict[str, str]:
    """Owner -> version folder: core, enabled plugins, then migrated disabled ones still installed."""
    locations = migration_locations(pm)
    available = available_plugins()
    disabled: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name in sorted(migrated_plugins(connection) - set(locations)):
        try:  # imports only the package of a disabled plugin, to ask for its folder
            plugin = load_plugin(name, available[name]) if name in available else None
        except PluginError:
            plugin = None
        if plugin is None:
            continue
        hook = getattr(plugin.module, "mutuo_migrations", None)  # declared, else by package layout
        folder = str(hook()) if hook else conventional_migrations(plugin.module)
        if folder:
            disabled[name] = (folder, plugin.info.depends)
    # A disabled plugin whose dependency cannot be loaded would break the graph: leave it off too.
    changed = True
    while changed:
        changed = False
        for name, (_folder, depends) in list(disabled.items()):
            if any(dep not in locations and dep not in disabled for dep in depends):
                del disabled[name]
                changed = True
    locations.update({name: folder for name, (folder, _deps) in disabled.items()})
    return locations


def alembic_config(settings: dict, pm, connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    locations = version_locations(pm, connection)
    cfg.set_main_option("version_locations", " ".join(locations.values()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes.update(settings=settings, pm=pm, connection=connection, locations=locations)
    return cfg


# -- status --------------------------------------------------------------------------

#: The words of the branch states (shown with ``current().label(state)``).
STATE_WORDS = (_("enabled"), _("disabled"), _("not installed"))


@dataclass
class BranchStatus:
    branch: str
    current: str | None
    head: str
    state: str = "enabled"  # "enabled", "disabled" (data kept) or "not installed" (data kept)

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def behind(self) -> bool:
        """Only an enabled branch can be behind: disabled ones stay where they stopped."""
        return self.state == "enabled" and not self.at_head

    def describe(self) -> str:
        from core.formatting import current
        from core.i18n import translate

        if self.state != "enabled":
            return translate(_("${state}, data kept at revision ${revision}",
                               mapping={"state": current().label(self.state), "revision": self.current}))
        if self.at_head:
            return translate(_("at head ${head}", mapping={"head": self.head}))
        return translate(_("${current} → head ${head}", mapping={"current": self.current or translate(_("none")),
                                                                  "head": self.head}))


def _branch_current(script: ScriptDirectory, branch: str, applied: set[str]) -> tuple[str | None, str]:
    head = script.get_revision(f"{branch}@head")
    current = next((rev.revision for rev in script.iterate_revisions(head.revision, "base")
                    if branch in rev.branch_labels and rev.revision in applied), None)
    return current, head.revision


def graph_of(cfg: Config, connection) -> RevisionGraph:
    return revision_graph(ScriptDirectory.from_config(cfg), connection)


def status(settings: dict, pm, connection) -> list[BranchStatus]:
    """Core and enabled branches, then disabled and not-installed plugins that still have data."""
    cfg = alembic_config(settings, pm, connection)
    return _status(cfg, graph_of(cfg, connection), pm)


def _status(cfg: Config, graph: RevisionGraph, pm) -> list[BranchStatus]:
    enabled = migration_locations(pm)
    out = []
    for branch in cfg.attributes["locations"]:
        try:
            current, head = _branch_current(graph.script, branch, graph.applied)
        except Exception:  # a branch with no revisions yet
            if branch in enabled:
                out.append(BranchStatus(branch, None, "-"))
            continue
        if branch in enabled:
            out.append(BranchStatus(branch, current, head))
        elif current is not None:
            out.append(BranchStatus(branch, current, head, "disabled"))
    for revision, owner in sorted(graph.orphans.items(), key=lambda item: item[1]):
        out.append(BranchStatus(owner, revision, "?", "not installed"))
    return out


# -- upgrade -------------------------------------------------------------------------

def upgrade(settings: dict, pm, connection=None) -> list[str]:
    """Upgrade core and every enabled plugin to head; return the branches upgraded.

    Disabled plugins keep their revision; the snapshot of every branch's revision
    is saved afterwards, in the same transaction.
    """
    if connection is None:
        from core.db import get_engine

        engine = get_engine(settings)
        try:
            with engine.begin() as conn:
                return upgrade(settings, pm, conn)
        finally:
            engine.dispose()
    cfg = alembic_config(settings, pm, connection)
    graph = graph_of(cfg, connection)
    if graph.orphans:
        _set_aside_orphans(connection, graph)
    branches = list(migration_locations(pm))
    known = {label for rev in graph.script.walk_revisions() for label in rev.branch_labels}
    for branch in branches:
        if branch in known:
            command.upgrade(cfg, f"{branch}@head")
    if graph.orphans:  # back in; drop the rows they stand for again
        heads = set(MigrationContext.configure(connection).get_current_heads())
        write_versions(connection, (heads - graph.implied_by_orphans(graph.orphans)) | set(graph.orphans))
    save_snapshot(settings, pm, connection)
    return branches


def _set_aside_orphans(connection, graph: RevisionGraph) -> None:
    """Let Alembic upgrade past rows whose scripts are gone: replace them by what they imply.

    Without a snapshot describing them that is unknown, so refuse with the fix instead of guessing.
    """
    if graph.unexplained:
        names = ", ".join(f"revision {rev} of " + (f"plugin '{graph.orphans[rev]}'" if graph.orphans[rev] != "?"
                                                   else "an unknown plugin") for rev in sorted(graph.unexplained))
        raise PluginError(
            f"The database holds data at {names}, whose package is not installed; "
            f"reinstall the package (its data is kept) and run `mutuo db upgrade` again."
        )
    write_versions(connection, heads_of(graph.script, graph.applied))


def save_snapshot(settings: dict, pm, connection, drop: str | None = None) -> dict:
    """Remember each branch's revision and what it implies (``drop``: a plugin just uninstalled)."""
    cfg = alembic_config(settings, pm, connection)
    graph = graph_of(cfg, connection)
    snapshot = read_snapshot(connection)
    for row in _status(cfg, graph, pm):
        if row.current and row.state != "not installed":
            snapshot["branches"][row.branch] = row.current
            snapshot["implies"][row.current] = sorted(implied_by(graph.script, [row.current]) - {row.current})
    if drop:
        snapshot["branches"].pop(drop, None)
    write_snapshot(connection, snapshot)
    return snapshot


# -- writing a migration ----------------------------------------------------------------

def next_revision_id(owner: str, existing: list[str]) -> str:
    """``<plugin>_000N`` (core: ``c000N``), one past the highest number used in the branch."""
    import re

    prefix = "c" if owner == "core" else f"{owner}_"
    numbers = [int(m.group(1)) for rev in existing if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", rev))]
    return f"{prefix}{max(numbers, default=len(existing)) + 1:04d}"


def branch_heads(script: ScriptDirectory, owners) -> list[str]:
    """The head revision of each of ``owners``' branches that has one (a first revision's ``depends_on``)."""
    labelled = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    return [script.get_revision(f"{owner}@head").revision for owner in owners if owner in labelled]


def new_revision(settings: dict, pm, connection, owner: str, message: str, autogenerate: bool = False):
    """Write a revision into ``owner``'s version folder, on its branch; return alembic's Script.

    The first revision of a branch gets ``branch_labels = (owner,)`` and ``depends_on`` the
    current heads of core and of the plugin's dependencies. Autogenerate compares only the
    owner's tables (see migrations/env.py).
    """
    from core.errors import UserError

    enabled = migration_locations(pm)
    if owner not in enabled:
        raise UserError(_("'${owner}' is not an enabled plugin with migrations; add it to mutuo.plugins "
                          "(with a migrations/versions/ folder in its package), then run again.",
                          mapping={"owner": owner}))
    cfg = alembic_config(settings, pm, connection)
    cfg.attributes["autogenerate_owner"] = owner
    script = ScriptDirectory.from_config(cfg)
    ours = [rev.revision for rev in script.walk_revisions() if owner in rev.branch_labels]
    if ours:
        placement: dict = {"head": f"{owner}@head"}
    else:
        depends = branch_heads(script, ("core", *pm.info(owner).depends))
        placement = {"head": "base", "branch_label": owner, "depends_on": depends or None}
    folder = Path(enabled[owner])
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return command.revision(cfg, message=message, autogenerate=autogenerate,
                                rev_id=next_revision_id(owner, ours), version_path=str(folder), **placement)
    except CommandError as exc:
        raise UserError(_("${problem}; run `mutuo db upgrade` first if the database is behind.",
                          mapping={"problem": str(exc).rstrip(".")})) from None
