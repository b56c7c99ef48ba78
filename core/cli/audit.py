"""``mutuo audit verify`` and ``mutuo audit checkpoint``."""
from __future__ import annotations

import click

from core.cli import fail, main, pass_env, say
from core.i18n import _, _n


@main.group()
def audit():
    """The audit log."""


@audit.command("verify")
@pass_env
def audit_verify(env):
    """Recompute the hash chain and compare it with the checkpoints; name what was altered or is missing."""
    from core.audit_checkpoints import verify_with_checkpoints
    from core.db import read_mostly

    with read_mostly(env.engine).connect() as conn:
        result = verify_with_checkpoints(conn, env.settings)
    if not result.intact:
        fail(result.describe(), 1)
    click.echo(result.describe())


@audit.command("checkpoint")
@pass_env
def audit_checkpoint(env):
    """Append the chain's head (last id, count, hash) to the checkpoint file outside the database."""
    from core.audit_checkpoints import checkpoint_path, write_checkpoint

    with env.engine.begin() as conn:
        checkpoint = write_checkpoint(conn, env.settings)
    if checkpoint is None:
        say(_("The audit log is empty; no checkpoint written."))
        return

    say(_n("Checkpoint written to ${path}: entry ${last}, ${n} entry, head ${head}",
           "Checkpoint written to ${path}: entry ${last}, ${n} entries, head ${head}", checkpoint.count,
           mapping={"path": str(checkpoint_path(env.settings)), "last": checkpoint.last_id, "head": checkpoint.head}))
