"""Alembic driven by the enabled plugins: one environment, one branch per owner."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.platform import migration_locations

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(settings: dict, pm, connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    locations = migration_locations(pm)
    cfg.set_main_option("version_locations", " ".join(locations.values()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes.update(settings=settings, pm=pm, connection=connection)
    return cfg


def upgrade(settings: dict, pm, connection=None) -> list[str]:
    """Upgrade core and every enabled plugin to head; return the branches upgraded."""
    cfg = alembic_config(settings, pm, connection)
    branches = list(migration_locations(pm))
    script = ScriptDirectory.from_config(cfg)
    known = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    for branch in branches:
        if branch in known:
            command.upgrade(cfg, f"{branch}@head")
    return branches


@dataclass
class BranchStatus:
    branch: str
    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def status(settings: dict, pm, connection) -> list[BranchStatus]:
    cfg = alembic_config(settings, pm, connection)
    script = ScriptDirectory.from_config(cfg)
    current = set(MigrationContext.configure(connection).get_current_heads())
    out = []
    for branch in migration_locations(pm):
        heads = script.get_revisions(f"{branch}@head")
        head = heads[0].revision if heads else "-"
        branch_revs = {r.revision for r in script.walk_revisions() if branch in r.branch_labels}
        here = next((rev for rev in current if rev in branch_revs), None)
        out.append(BranchStatus(branch, here, head))
    return out
