"""What the database says about migrations: ``alembic_version`` read against the scripts.

``alembic_version`` keeps only heads, and a plugin's revision stands for the
revisions it ``depends_on`` as well. When a row's script is not installed (an
*orphan*: the plugin's package is gone) Alembic cannot say what the row implied,
so after each upgrade core remembers it in ``core_state`` (key :data:`STATE_KEY`):

    {"branches": {branch: current revision},
     "implies":  {revision: [every revision below it, any branch]}}

The snapshot also tells which plugins have tables at all (its branches), so
Alembic is given the folders of those plugins and of no other disabled one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, delete, insert, select
from sqlalchemy import inspect as sa_inspect

STATE_KEY = "migrations.revisions"


def _state_table():
    from core.models.state import PlatformState

    return PlatformState.__table__


def _state_value(connection, key: str) -> str | None:
    if connection is None or not sa_inspect(connection).has_table("core_state"):
        return None
    table = _state_table()
    return connection.execute(select(table.c.value).where(table.c.key == key)).scalar()


def read_snapshot(connection) -> dict:
    raw = _state_value(connection, STATE_KEY)
    snapshot = json.loads(raw) if raw else {}
    return {"branches": snapshot.get("branches", {}), "implies": snapshot.get("implies", {})}


def write_snapshot(connection, snapshot: dict) -> None:
    live = set(snapshot["branches"].values())
    snapshot = {"branches": snapshot["branches"],
                "implies": {rev: below for rev, below in snapshot["implies"].items() if rev in live}}
    table = _state_table()
    connection.execute(delete(table).where(table.c.key == STATE_KEY))
    connection.execute(insert(table).values(key=STATE_KEY, value=json.dumps(snapshot, sort_keys=True)))


def migrated_plugins(connection) -> set[str]:
    """Plugins whose tables exist, per the snapshot (older databases: the last enabled set)."""
    branches = read_snapshot(connection)["branches"]
    if branches:
        return set(branches) - {"core"}
    return set((_state_value(connection, "enabled_plugins") or "").split())


# -- the revision graph --------------------------------------------------------------

def is_known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.revision_map.get_revision(revision) is not None
    except Exception:  # alembic's ResolutionError, CommandError
        return False


def implied_by(script: ScriptDirectory, revisions) -> set[str]:
    """Each revision with everything below it (one at a time: Alembic refuses overlapping sets)."""
    out: set[str] = set()
    for rev in revisions:
        if rev not in out:
            out |= {r.revision for r in script.revision_map.iterate_revisions(rev, "base")}
    return out


def heads_of(script: ScriptDirectory, applied: set[str]) -> set[str]:
    """The fewest revisions that imply all of ``applied`` (what alembic_version stores)."""
    covered: set[str] = set()
    for rev in applied:
        covered |= implied_by(script, [rev]) - {rev}
    return applied - covered


@dataclass
class RevisionGraph:
    script: ScriptDirectory
    rows: set[str]  # rows of alembic_version whose script is known
    orphans: dict[str, str]  # revision -> owner, for rows whose script is not installed
    snapshot: dict  # see the module docstring
    applied: set[str] = field(default_factory=set)  # every applied revision whose script is known

    def __post_init__(self):
        self.applied = implied_by(self.script, self.rows | self.implied_by_orphans(self.orphans))

    def implied_by_orphans(self, orphans) -> set[str]:
        """The known revisions that these orphan rows stand for, per the snapshot."""
        implies = self.snapshot["implies"]
        return {r for rev in orphans for r in implies.get(rev, ()) if is_known(self.script, r)}

    @property
    def unexplained(self) -> set[str]:
        """Orphans the snapshot does not describe: what they imply is unknown."""
        return {rev for rev in self.orphans if rev not in self.snapshot["implies"]}


def revision_graph(script: ScriptDirectory, connection) -> RevisionGraph:
    rows = MigrationContext.configure(connection).get_current_heads()
    snapshot = read_snapshot(connection)
    owner_of = {rev: branch for branch, rev in snapshot["branches"].items()}
    known = {rev for rev in rows if is_known(script, rev)}
    # Owner: from the snapshot, else the "<plugin>_000N" naming, else unknown ("?").
    orphans = {rev: owner_of.get(rev) or (rev.split("_")[0] if "_" in rev else "?") for rev in rows if rev not in known}
    return RevisionGraph(script, known, orphans, snapshot)


def write_versions(connection, revisions: set[str]) -> None:
    version = Table("alembic_version", MetaData(), autoload_with=connection)
    connection.execute(delete(version))
    if revisions:
        connection.execute(insert(version), [{"version_num": rev} for rev in sorted(revisions)])
