"""Scheduled job settings admins change, and the record of every run."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.meta import Base, UTCDateTime, utcnow

RUN_STATUSES = ("running", "succeeded", "failed", "skipped", "timed_out", "lost")
#: Runs that do not hold their slot: a duplicate, or a run whose worker died (the slot may run again).
SLOT_FREE_STATUSES = ("skipped", "lost")
_HOLDS_SLOT = text("status NOT IN ('skipped', 'lost')")


class JobSetting(Base):
    """An admin's choice for one job: paused, or another schedule. Survives upgrades."""

    __tablename__ = "core_job_setting"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule_override: Mapped[str | None] = mapped_column(String(100))  # crontab "m h dom mon dow" or "every N seconds"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JobRun(Base):
    __tablename__ = "core_job_run"
    __audit__ = False  # runs are themselves the record; job_run events go to the audit log
    __table_args__ = (
        # One real run per (job, slot); duplicates are recorded as skipped rows, and a
        # lost run (its worker died) gives its slot back.
        Index("uq_core_job_run_slot", "job", "slot", unique=True,
              sqlite_where=_HOLDS_SLOT, postgresql_where=_HOLDS_SLOT),
        Index("ix_core_job_run_job_started", "job", "started"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    slot: Mapped[str] = mapped_column(String(40))  # ISO time of the scheduled slot, or manual:<uuid>
    trigger: Mapped[str] = mapped_column(String(10))  # beat | manual | cli
    status: Mapped[str] = mapped_column(String(12), default="running")
    started: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    triggered_by: Mapped[str] = mapped_column(String(100), default="")
    task_id: Mapped[str | None] = mapped_column(String(64))
    time_limit: Mapped[int] = mapped_column(Integer, default=3600)
    #: Refreshed by the running worker every few seconds; a run whose heartbeat stops is marked lost.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Chunks of a chunked run not yet done (None: not chunked); the chunk that brings it to 0 finishes the run.
    chunks_pending: Mapped[int | None] = mapped_column(Integer)


class ProcessHeartbeat(Base):
    """The last sign of life of a worker or beat process (the jobs screen shows whether they run)."""

    __tablename__ = "core_process_heartbeat"
    __audit__ = False  # written every few seconds; liveness, not business

    name: Mapped[str] = mapped_column(String(100), primary_key=True)  # "beat" or "worker@<host>"
    kind: Mapped[str] = mapped_column(String(10))  # beat | worker
    hostname: Mapped[str] = mapped_column(String(100), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobChunk(Base):
    """One piece of a chunked run (docs/jobs.md, "Chunked jobs"): done at most once, in its own transaction.

    The parent run writes its chunks with its own work; a chunk marks its row
    ``done`` in the transaction that does its work, so a redelivered or
    concurrent copy finds it done and does nothing. The run ends (the job's
    ``finish``) when its last chunk is done.
    """

    __tablename__ = "core_job_chunk"
    __audit__ = False  # the run and its job_run audit event are the record
    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_core_job_chunk_run_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("core_job_run.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    args: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the chunk works on (an id range, ids)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | done | failed
    result: Mapped[str | None] = mapped_column(Text)  # JSON the chunk returned; finish() adds them up
    error: Mapped[str | None] = mapped_column(Text)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
