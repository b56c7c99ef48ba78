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
    heads = MigrationContext.configure(connection).get_current_heads()
    # alembic_version omits revisions implied by depends_on: expand to all applied ones.
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(heads, "base")} if heads else set()
    out = []
    for branch in migration_locations(pm):
        try:
            branch_head = script.get_revision(f"{branch}@head")
        except Exception:  # a branch with no revisions yet
            out.append(BranchStatus(branch, None, "-"))
            continue
        current = next((rev.revision for rev in script.iterate_revisions(branch_head.revision, "base")
                        if branch in rev.branch_labels and rev.revision in applied), None)
        out.append(BranchStatus(branch, current, branch_head.revision))
    return out
