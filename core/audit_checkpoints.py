"""Audit checkpoints: the chain's head written where the database cannot rewrite it.

The hash chain proves that no entry *inside* it was altered, but whoever can
delete rows can delete the newest ones, and whoever holds the audit key could
re-hash everything. A checkpoint records the head — last id, number of
entries, last hash — in an append-only JSON-lines file under the documents
path (``<documents>/audit-checkpoints.log``, or ``mutuo.audit.checkpoint_file``)
and in the log of the job or command that wrote it. ``verify`` then compares
the chain with every checkpoint: an entry a checkpoint names that is gone
means a truncated tail; the same id with another hash means a rewritten chain.

Each line carries an HMAC (the audit key) of the line itself, so an edited
line is reported rather than trusted. The file is opened with ``O_APPEND``
and fsynced; in production make it append-only for the operating system too
(``chattr +a``) or ship the job's log elsewhere (docs/security.md).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from core.audit import KEY_INFO, _audit_table, canonical, connection_key, lock_chain
from core.i18n import _, _n
from core.models.meta import utcnow

log = logging.getLogger(__name__)

FILE_NAME = "audit-checkpoints.log"


@dataclass(frozen=True)
class Checkpoint:
    at: str  # ISO UTC time it was written
    last_id: int
    count: int
    head: str

    def line(self, key: bytes) -> str:
        body = asdict(self)
        return canonical({**body, "mac": _mac(key, body)})


def _mac(key: bytes, body: dict) -> str:
    return hmac.new(key, canonical(body).encode(), hashlib.sha256).hexdigest()


def checkpoint_path(settings: dict) -> Path:
    explicit = settings.get("mutuo.audit.checkpoint_file")
    if explicit:
        return Path(explicit)
    documents = settings.get("mutuo.documents.path") or "var/documents"
    return Path(documents) / FILE_NAME


def chain_head(connection) -> Checkpoint | None:
    """The chain's newest entry and size now (None: the log is empty). Holds the append lock."""
    lock_chain(connection)
    table = _audit_table
    count, last_id = connection.execute(select(func.count(), func.max(table.c.id))).one()
    if not count:
        return None
    head = connection.execute(select(table.c.hash).where(table.c.id == last_id)).scalar_one()
    return Checkpoint(utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), int(last_id), int(count), head)


def write_checkpoint(connection, settings: dict) -> Checkpoint | None:
    """Append the current head to the checkpoint file (fsynced) and the log; None when the log is empty."""
    key = connection_key(connection)
    checkpoint = chain_head(connection)
    if checkpoint is None:
        return None
    path = checkpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = checkpoint.line(key) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit checkpoint: %s", line.strip())
    return checkpoint


@dataclass
class CheckpointFile:
    path: Path
    checkpoints: list[Checkpoint]
    problems: list[str]  # lines that are not authentic or not readable

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


def read_checkpoints(settings: dict, key: bytes) -> CheckpointFile:
    """Every authentic checkpoint of the file, and a sentence per line that is not."""
    path = checkpoint_path(settings)
    found: list[Checkpoint] = []
    problems: list[str] = []
    if not path.exists():
        return CheckpointFile(path, found, problems)
    with open(path, encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                mac = data.pop("mac")
                checkpoint = Checkpoint(str(data["at"]), int(data["last_id"]), int(data["count"]), str(data["head"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(f"line {number} of {path} is not a checkpoint (the file was edited or damaged)")
                continue
            if not hmac.compare_digest(mac, _mac(key, asdict(checkpoint))) or set(data) != set(asdict(checkpoint)):
                problems.append(f"line {number} of {path} is not authentic (its MAC does not match: "
                                "the line was edited, or written with another audit key)")
                continue
            found.append(checkpoint)
    return CheckpointFile(path, found, problems)


def verify_with_checkpoints(connection, settings: dict, **kw):
    """``verify_chain`` against the checkpoint file; a damaged file is a problem too."""
    from core.audit import VerifyResult, verify_chain

    key = connection.info.get(KEY_INFO)
    file = read_checkpoints(settings, key) if key is not None else CheckpointFile(checkpoint_path(settings), [], [])
    result = verify_chain(connection, checkpoints=file.checkpoints, **kw)
    if result.intact and file.problems:
        return VerifyResult(result.checked, None, "; ".join(file.problems), result.last_id, result.head,
                            result.checkpoints)
    return result


__all__ = ["Checkpoint", "CheckpointFile", "chain_head", "checkpoint_path", "read_checkpoints",
           "verify_with_checkpoints", "write_checkpoint"]


# -- core's jobs (declared in core.hooks, as a plugin declares its own) ------------------

def audit_verify(request) -> str:
    """Recompute the audit log's hash chain and compare it with the checkpoints; a problem fails the run."""
    from core.db import READ_MOSTLY
    from core.errors import JobFailed

    connection = request.dbsession.connection(execution_options={READ_MOSTLY: True})
    result = verify_with_checkpoints(connection, request.registry.settings)
    if not result.intact:
        log.error("AUDIT CHAIN BROKEN: %s", result.describe())
        raise JobFailed(_("Audit chain broken: ${problem}", mapping={"problem": result.describe()}))
    return result.describe()


def audit_checkpoint(request) -> str:
    """Append the audit chain's head to the checkpoint file outside the database (and to this log)."""
    checkpoint = write_checkpoint(request.dbsession.connection(), request.registry.settings)
    if checkpoint is None:
        return "The audit log is empty; no checkpoint written."
    return _n("Checkpoint of entry ${last} (${n} entry, head ${head}) appended to ${path}",
              "Checkpoint of entry ${last} (${n} entries, head ${head}) appended to ${path}", checkpoint.count,
              mapping={"last": checkpoint.last_id, "head": checkpoint.head,
                       "path": str(checkpoint_path(request.registry.settings))})
