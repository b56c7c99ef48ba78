"""Alembic driven by the plugins: one environment, one branch per owner.

The revision graph must stay complete after a plugin is switched off. Alembic
keeps only the heads in ``alembic_version``, and a plugin's revision implies the
revisions it ``depends_on`` (``collections_0001`` stands for ``lending_0002``,
``products_0001`` and ``c0001`` too), so once its script leaves
``version_locations`` Alembic cannot read the database any more.

Decision: Alembic always sees the version folders of core, of the enabled
plugins, and of every *migrated* plugin whose package is still installed; only
the branches of core and the enabled plugins are upgraded. "Migrated" is
remembered in ``core_state`` (key :data:`STATE_KEY`, a JSON snapshot
``{branch: revision}`` written after every upgrade), so no migration is needed
and a plugin that was merely installed, never enabled, stays off the path
(plain ``alembic upgrade heads`` does not create its tables). Databases from
before the snapshot fall back to the plugins last seen enabled.

A migrated plugin whose package is gone entirely cannot be loaded: status
reports it as "not installed, data kept at revision X" (the snapshot says which
revisions it implied), and ``upgrade`` refuses with the fix (reinstall it)
rather than guessing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import delete, inspect as sa_inspect, insert, select

from core.platform import migration_locations
from core.plugins import PluginError, available_plugins, load_plugin

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")
STATE_KEY = "migrations.revisions"


# -- which folders Alembic sees -----------------------------------------------------

def _state_table():
    from core.models.state import PlatformState

    return PlatformState.__table__


def _state_value(connection, key: str) -> str | None:
    if connection is None or not sa_inspect(connection).has_table("core_state"):
        return None
    table = _state_table()
    return connection.execute(select(table.c.value).where(table.c.key == key)).scalar()


def revision_snapshot(connection) -> dict[str, str]:
    """``{branch: revision}`` as of the last upgrade (empty before the first one)."""
    raw = _state_value(connection, STATE_KEY)
    return json.loads(raw) if raw else {}


def migrated_plugins(connection) -> set[str]:
    """Plugins whose tables exist, per the snapshot (older databases: last enabled set)."""
    snapshot = revision_snapshot(connection)
    if snapshot:
        return set(snapshot) - {"core"}
    return set((_state_value(connection, "enabled_plugins") or "").split())


def _save_snapshot(connection, snapshot: dict[str, str]) -> None:
    table = _state_table()
    connection.execute(delete(table).where(table.c.key == STATE_KEY))
    connection.execute(insert(table).values(key=STATE_KEY, value=json.dumps(snapshot, sort_keys=True)))


def plugin_migration_folder(name: str, import_path: str) -> str | None:
    """The version folder of a plugin that is not enabled (imports only its package)."""
    plugin = load_plugin(name, import_path)
    hook = getattr(plugin.module, "mutuo_migrations", None)
    return str(hook()) if hook else None


def version_locations(pm, connection=None) -> dict[str, str]:
    """Owner -> version folder: core, enabled plugins, then migrated disabled ones still installed."""
    locations = migration_locations(pm)
    available = available_plugins()
    disabled: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name in sorted(migrated_plugins(connection) - set(locations)):
        if name not in available:
            continue
        try:
            folder = plugin_migration_folder(name, available[name])
            depends = load_plugin(name, available[name]).info.depends
        except PluginError:
            continue
        if folder:
            disabled[name] = (folder, depends)
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
        if self.state != "enabled":
            return f"{self.state}, data kept at revision {self.current}"
        if self.at_head:
            return f"at head {self.head}"
        return f"{self.current or 'none'} → head {self.head}"


def _is_known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.revision_map.get_revision(revision) is not None
    except CommandError:
        return False
    except Exception:  # alembic's ResolutionError and friends
        return False


@dataclass
class _Graph:
    script: ScriptDirectory
    applied: set[str]
    orphans: dict[str, str]  # revision -> owner, for revisions whose script is not installed


def _graph(cfg: Config, connection) -> _Graph:
    script = ScriptDirectory.from_config(cfg)
    rows = MigrationContext.configure(connection).get_current_heads()
    snapshot = revision_snapshot(connection)
    owner_of = {rev: branch for branch, rev in snapshot.items()}
    known = [rev for rev in rows if _is_known(script, rev)]
    orphans = {rev: owner_of.get(rev, rev.split("_")[0]) for rev in rows if rev not in known}
    if orphans:  # what the missing scripts implied: the other branches' revisions at the last upgrade
        known += [rev for branch, rev in snapshot.items() if rev not in orphans and _is_known(script, rev)]
    # alembic_version omits revisions implied by depends_on: expand to all applied ones.
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(tuple(known), "base")} if known else set()
    return _Graph(script, applied, orphans)


def _branch_current(script: ScriptDirectory, branch: str, applied: set[str]) -> tuple[str | None, str]:
    head = script.get_revision(f"{branch}@head")
    current = next((rev.revision for rev in script.iterate_revisions(head.revision, "base")
                    if branch in rev.branch_labels and rev.revision in applied), None)
    return current, head.revision


def status(settings: dict, pm, connection) -> list[BranchStatus]:
    """Core and enabled branches, then disabled and not-installed plugins that still have data."""
    cfg = alembic_config(settings, pm, connection)
    graph = _graph(cfg, connection)
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
    graph = _graph(cfg, connection)
    if graph.orphans:
        names = ", ".join(f"'{owner}' (revision {rev})" for rev, owner in sorted(graph.orphans.items()))
        raise PluginError(
            f"The database holds data of plugin {names} whose package is not installed; "
            f"reinstall the package (its data is kept) and run `mutuo db upgrade` again."
        )
    branches = list(migration_locations(pm))
    known = {label for rev in graph.script.walk_revisions() for label in rev.branch_labels}
    for branch in branches:
        if branch in known:
            command.upgrade(cfg, f"{branch}@head")
    save_snapshot(settings, pm, connection)
    return branches


def save_snapshot(settings: dict, pm, connection, drop: str | None = None) -> dict[str, str]:
    """Remember every branch's current revision (``drop``: a plugin just uninstalled)."""
    snapshot = revision_snapshot(connection)
    for row in status(settings, pm, connection):
        if row.current:
            snapshot[row.branch] = row.current
    if drop:
        snapshot.pop(drop, None)
    _save_snapshot(connection, snapshot)
    return snapshot


# -- writing a migration ----------------------------------------------------------------

def next_revision_id(owner: str, existing: list[str]) -> str:
    """``<plugin>_000N`` (core: ``c000N``), one past the highest number used in the branch."""
    import re

    prefix = "c" if owner == "core" else f"{owner}_"
    numbers = [int(m.group(1)) for rev in existing if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", rev))]
    return f"{prefix}{max(numbers, default=len(existing)) + 1:04d}"


def new_revision(settings: dict, pm, connection, owner: str, message: str, autogenerate: bool = False):
    """Write a revision into ``owner``'s version folder, on its branch; return alembic's Script.

    The first revision of a branch gets ``branch_labels = (owner,)`` and ``depends_on`` the
    current heads of core and of the plugin's dependencies. Autogenerate compares only the
    owner's tables (see migrations/env.py).
    """
    from core.errors import UserError

    enabled = migration_locations(pm)
    if owner not in enabled:
        raise UserError(f"'{owner}' is not an enabled plugin with migrations; add it to mutuo.plugins "
                        f"(and give it a mutuo_migrations hook), then run again.")
    cfg = alembic_config(settings, pm, connection)
    cfg.attributes["autogenerate_owner"] = owner
    script = ScriptDirectory.from_config(cfg)
    ours = [rev.revision for rev in script.walk_revisions() if owner in rev.branch_labels]
    if ours:
        placement = {"head": f"{owner}@head"}
    else:
        depends = [script.get_revision(f"{dep}@head").revision
                   for dep in ("core", *pm.info(owner).depends)
                   if any(dep in rev.branch_labels for rev in script.walk_revisions())]
        placement = {"head": "base", "branch_label": owner, "depends_on": depends or None}
    folder = Path(enabled[owner])
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return command.revision(cfg, message=message, autogenerate=autogenerate,
                                rev_id=next_revision_id(owner, ours), version_path=str(folder), **placement)
    except CommandError as exc:
        raise UserError(f"{str(exc).rstrip('.')}; run `mutuo db upgrade` first if the database is behind.") from None
