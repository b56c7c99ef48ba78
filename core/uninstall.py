"""Uninstalling a disabled plugin: export its tables, drop them, forget its revisions.

Order, so that nothing is lost silently: (1) check (the plugin is disabled, no
other table points into its tables, it has data here); (2) write every table
to CSV plus a ``manifest.json`` and a ``schema.sql`` under
``<documents path>/exports/<plugin>-<UTC time>/``, files fsynced; (3) in one
transaction drop its tables (children first), rewrite ``alembic_version``
without its revisions, update the revision snapshot and write the audit entry
(export folder, revision, row counts). If (3) fails nothing is dropped and the
export stays.

Why not ``alembic downgrade <plugin>@base``: a plugin's ``downgrade()`` may be
empty or partial, needs the package installed, and would drop the tables we
must export first. Reading the database is exact: the plugin's tables are the
ones named ``<plugin>_...`` (minus those of another plugin whose name extends
it, like ``<plugin>_extra``), which also works for a plugin whose package is
gone. Its revisions leave ``alembic_version`` the way Alembic's ``stamp``
would leave them: the remaining heads of the other branches.

CSV convention (PostgreSQL ``COPY ... CSV FORCE QUOTE *``): an unquoted empty
field is NULL, every other value is quoted, so NULL and "" stay distinct.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import MetaData, Table, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from core.errors import UserError
from core.i18n import _
from core.migrate import alembic_config, graph_of, save_snapshot, status
from core.migrate_state import heads_of, read_snapshot, write_versions
from core.plugins import PluginError, available_plugins, load_plugin

DEFAULT_DOCUMENTS = "var/documents"


@dataclass
class UninstallPlan:
    plugin: str
    revision: str
    tables: list[Table]  # children first
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class UninstallResult:
    plan: UninstallPlan
    export: Path


def _owned_tables(names: list[str], plugin: str, others: set[str]) -> list[str]:
    longer = [o for o in others if o != plugin and o.startswith(plugin + "_")]
    return [n for n in names if n.startswith(plugin + "_") and not any(n.startswith(o + "_") for o in longer)]


def plan_uninstall(settings: dict, pm, connection, plugin: str) -> UninstallPlan:
    """Check that ``plugin`` may be uninstalled; raise UserError saying why not."""
    for other in pm.enabled:
        if plugin in other.info.depends:
            raise UserError(_("Plugin '${other}' is enabled and depends on '${plugin}'; disable '${other}' first.",
                              mapping={"other": other.info.name, "plugin": plugin}))
    if plugin in pm.enabled_names:
        raise UserError(_("Plugin '${plugin}' is enabled; remove it from mutuo.plugins (disable it) first, "
                          "then uninstall it.", mapping={"plugin": plugin}))
    rows = {row.branch: row for row in status(settings, pm, connection)}
    if plugin not in rows or rows[plugin].state == "enabled":
        raise UserError(_("Plugin '${plugin}' has no data in this database; nothing to uninstall.",
                          mapping={"plugin": plugin}))
    _refuse_disabled_dependents(plugin, rows)
    others = set(available_plugins()) | set(read_snapshot(connection)["branches"]) | set(pm.enabled_names)
    names = _owned_tables(sa_inspect(connection).get_table_names(), plugin, others)
    meta = MetaData()
    meta.reflect(connection, only=names)
    tables = [t for t in reversed(meta.sorted_tables) if t.name in names]
    _refuse_foreign_keys_into(plugin, tables, connection)
    return UninstallPlan(plugin, rows[plugin].current or "", tables,
                         {t.name: connection.execute(select(func.count()).select_from(t)).scalar() for t in tables})


def _refuse_disabled_dependents(plugin: str, rows: dict) -> None:
    available = available_plugins()
    for name, row in rows.items():
        if row.state == "disabled" and name in available:
            try:
                depends = load_plugin(name, available[name]).info.depends
            except PluginError:  # an unloadable package: the foreign-key check below still protects
                continue
            if plugin in depends:
                raise UserError(_("Plugin '${name}' (disabled, data kept) depends on '${plugin}'; "
                                  "uninstall '${name}' first.", mapping={"name": name, "plugin": plugin}))


def _refuse_foreign_keys_into(plugin: str, tables: list[Table], connection) -> None:
    own = {t.name for t in tables}
    inspector = sa_inspect(connection)
    for name in inspector.get_table_names():
        if name in own:
            continue
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] in own:
                raise UserError(_("Table '${name}' refers to '${table}' of plugin '${plugin}'; "
                                  "uninstall the plugin that owns '${name}' first.",
                                  mapping={"name": name, "table": fk["referred_table"], "plugin": plugin}))


def export_folder(settings: dict, plugin: str, now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    base = Path(settings.get("mutuo.documents.path") or DEFAULT_DOCUMENTS)
    return base / "exports" / f"{plugin}-{now.strftime('%Y%m%dT%H%M%S%fZ')}"


def _csv_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dt.date, dt.datetime, dt.time)):
        text = value.isoformat()
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).hex()
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    return '"' + text.replace('"', '""') + '"'


def _write_synced(path: Path, lines) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        for line in lines:
            out.write(line)
        out.flush()
        os.fsync(out.fileno())


def export_tables(connection, plan: UninstallPlan, folder: Path, advance=None) -> None:
    """One CSV per table (ordered by primary key), schema.sql and manifest.json."""
    folder.mkdir(parents=True, exist_ok=False)
    for table in plan.tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = connection.execute(select(table).order_by(*order))
        header = ",".join(_csv_field(c.name) for c in table.columns) + "\r\n"
        _write_synced(folder / f"{table.name}.csv",
                      [header, *(",".join(_csv_field(v) for v in row) + "\r\n" for row in result)])
        if advance:
            advance()
    _write_synced(folder / "schema.sql",
                  [str(CreateTable(t).compile(dialect=connection.dialect)).strip() + ";\n\n"
                   for t in reversed(plan.tables)])
    manifest = {
        "plugin": plan.plugin,
        "revision": plan.revision,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": connection.dialect.name,
        "csv": "header row; an unquoted empty field is NULL, every other value is quoted",
        "tables": {t.name: {"file": f"{t.name}.csv", "rows": plan.rows[t.name],
                            "columns": [c.name for c in t.columns]} for t in reversed(plan.tables)},
    }
    _write_synced(folder / "manifest.json", [json.dumps(manifest, indent=2, sort_keys=True) + "\n"])


def drop_and_forget(settings: dict, pm, connection, plan: UninstallPlan, export: Path, actor, advance=None) -> None:
    """Drop the plugin's tables, remove its revisions, audit it: all in ``connection``'s transaction."""
    from core.audit import record_event, set_actor

    graph = graph_of(alembic_config(settings, pm, connection), connection)
    ours = {rev for rev in graph.applied if plan.plugin in graph.script.get_revision(rev).branch_labels}
    ours |= {rev for rev, owner in graph.orphans.items() if owner == plan.plugin}
    kept_orphans = {rev for rev, owner in graph.orphans.items() if owner != plan.plugin}
    heads = (heads_of(graph.script, graph.applied - ours) - graph.implied_by_orphans(kept_orphans)) | kept_orphans
    for table in plan.tables:
        table.drop(connection)
        if advance:
            advance()
    write_versions(connection, heads)
    save_snapshot(settings, pm, connection, drop=plan.plugin)
    session = Session(bind=connection)
    set_actor(session, actor)
    record_event(session, "plugin_uninstalled", "core.platform", plan.plugin,
                 {"export": str(export), "revision": plan.revision, "rows": plan.rows})
    session.commit()
    session.close()


def uninstall(settings: dict, pm, engine, plugin: str, actor, progress=None) -> UninstallResult:
    """Export then drop ``plugin``'s tables. ``progress(description, total)`` returns an ``advance``."""
    with engine.begin() as connection:
        plan = plan_uninstall(settings, pm, connection, plugin)
        folder = export_folder(settings, plugin)
        advance = progress(_("Exporting"), len(plan.tables)) if progress else None
        export_tables(connection, plan, folder, advance)
        advance = progress(_("Dropping"), len(plan.tables)) if progress else None
        drop_and_forget(settings, pm, connection, plan, folder, actor, advance)
    return UninstallResult(plan, folder)
