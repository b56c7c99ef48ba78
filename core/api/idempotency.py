"""``Idempotency-Key``: a repeated POST answers what the first one answered, and runs once.

Flow, inside the request's transaction (:func:`begin` before the handler, :func:`finish` after):

1. The key row ``(user, key)`` is looked up. Same fingerprint (method, path, SHA-256 of the
   body) and an answer stored: the answer is replayed (header ``Idempotent-Replayed: true``).
   Another fingerprint: 409 problem.
2. Otherwise a row is inserted and flushed in a savepoint. The unique constraint makes a
   concurrent identical request wait on this row (PostgreSQL) until the first transaction
   ends; if it committed, the insert fails, the waiting request reads the committed answer and
   replays it; if it aborted, the insert succeeds and that request runs. So one execution.
3. After the handler, :func:`finish` stores the status and body in the row; both commit with
   the handler's writes. A refused request (4xx/5xx) aborts the transaction, row included: the
   client may retry with the same key after fixing the request.

Keys expire after ``mutuo.api.idempotency_hours`` (default 24); the job ``core.api_idempotency_purge``
deletes expired rows.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.api import ApiProblem
from core.errors import ConfigError
from core.i18n import _
from core.models.api import IdempotencyKey
from core.models.meta import utcnow

HEADER = "Idempotency-Key"
SETTING_HOURS = "mutuo.api.idempotency_hours"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def hours(settings) -> float:
    raw = (settings or {}).get(SETTING_HOURS) or 24
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise ConfigError(f"Setting {SETTING_HOURS} must be a positive number of hours, not {raw!r}.")
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + (body or b"")).hexdigest()


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ApiProblem(400, _("The request is malformed"),
                         _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."),
                         kind="idempotency-key", errors=[{"field": HEADER, "message": "invalid key"}])
    return key


def _live(session, user_id: int, key: str):
    row = session.scalars(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                       IdempotencyKey.key == key)
                          .execution_options(populate_existing=True)).first()
    if row is not None and row.expires_at <= utcnow():
        session.delete(row)
        session.flush()
        return None
    return row


def _replay_or_refuse(row: IdempotencyKey, digest: str):
    if row.body_hash != digest:
        raise ApiProblem(409, _("Conflict"), _("This Idempotency-Key was used for another request; "
                                               "use a new key for a new request."), kind="idempotency-conflict")
    if row.status is None:  # only visible inside the very transaction that wrote it
        raise ApiProblem(409, _("Conflict"), _("A request with this Idempotency-Key is still running; retry later."),
                         kind="idempotency-in-progress")
    return row


def begin(session, settings, user_id: int, key: str, method: str, path: str, body: bytes):
    """The stored row to replay, or None after reserving the key (the handler runs)."""
    check_key(key)
    digest = fingerprint(method, path, body)
    row = _live(session, user_id, key)
    if row is not None:
        return _replay_or_refuse(row, digest)
    now = utcnow()
    row = IdempotencyKey(user_id=user_id, key=key, method=method, path=path[:500], body_hash=digest,
                         created_at=now, expires_at=now + timedelta(hours=hours(settings)))
    nested = session.begin_nested()
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        nested.rollback()
        row = _live(session, user_id, key)  # committed by a concurrent twin meanwhile
        if row is None:
            raise ApiProblem(409, _("Conflict"), _("A request with this Idempotency-Key is still running; retry later."),
                             kind="idempotency-in-progress") from None
        return _replay_or_refuse(row, digest)
    nested.commit()
    session.info["mutuo.idempotency_row"] = row
    return None


def finish(session, status: int, body_text: str, location: str | None = None) -> None:
    row = session.info.pop("mutuo.idempotency_row", None)
    if row is None:
        return
    row.status, row.response_body, row.location = status, body_text, (location or None)
    session.flush()


def purge(session, now=None) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= (now or utcnow())))
    return result.rowcount or 0


def purge_job(request) -> str:
    """Job ``core.api_idempotency_purge``: delete expired idempotency keys."""
    return f"{purge(request.dbsession)} expired idempotency key(s) deleted"
