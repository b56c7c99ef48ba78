"""The audit writer (session events) and chain verification.

Changes are captured after each flush (history is still there) and written
at ``before_commit`` in one multi-row insert, under a lock, so the hash chain
follows commit order. Nothing is written when the transaction rolls back.

**Keyed chain.** Each entry's hash is an HMAC-SHA256 under ``mutuo.audit_key``
(``MUTUO_AUDIT_KEY`` in production), a key that lives in the settings, never
in the database: whoever can write the table but lacks the key cannot re-hash
an edited entry and the rest of the chain behind it. The key reaches the
writer through the engine: ``core.db.get_engine`` attaches it to every
connection of the pool (``connection.info``); a connection without one refuses
to write.

**Existing databases.** Chains written before the key existed were plain
SHA-256. Each entry records how it was hashed in ``key_version`` (0 = unkeyed,
1 = keyed); the migration sets 0 on the old rows, new rows get 1. A per-entry
version (rather than one "keyed since id N" marker kept in the database)
keeps every entry self-describing, so verification needs no other table that
an intruder could edit too; the rule that no unkeyed entry may follow a keyed
one stops a rewrite from downgrading recent entries to the unkeyed hash. What
the per-entry version cannot stop — rewriting the old unkeyed prefix and
everything after it, or deleting the newest entries — the checkpoints catch
(``core.audit_checkpoints``): heads written outside the database.

TRUNCATE, UPDATE and DELETE of the table are refused by triggers (PostgreSQL
and SQLite); in production the application's database role should not own
the table either (docs/security.md).
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, event, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE, instance_state

from core.models.audit import AuditEntry
from core.models.meta import Base, utcnow
from core.plugins import plugin_of_module
from core.search import is_search_key

GENESIS = "0" * 64
KEY_VERSION = 1  # written by this code: HMAC-SHA256 under mutuo.audit_key (0: legacy plain SHA-256)
KEY_INFO = "mutuo_audit_key"  # where get_engine puts the key: connection.info of every pooled connection
PG_AUDIT_LOCK = 0x6D7574756F  # "mutuo": advisory lock key serializing appends
PENDING = "audit_pending"
_audit_table = cast(Table, AuditEntry.__table__)


# -- entity names --------------------------------------------------------------

_ENTITY_NAMES: dict = {}


def entity_type_of(model) -> str:
    """The name records of ``model`` are known by everywhere: ``<plugin>.<table without its prefix>``.

    The plugin is the one whose package defines the model (``core`` for core's
    models), so ``core_user`` is ``core.user`` and a plugin named ``my_plugin``
    with the table ``my_plugin_case`` gets ``my_plugin.case`` with nothing to
    declare; ``__entity_type__`` on the model still overrides. For a plugin
    whose name has no underscore this is the name the older rule (the table
    name split at its first underscore) gave, so the names stored in audit
    entries and document links do not change. A model outside every known
    plugin package keeps that older rule.
    """
    name = _ENTITY_NAMES.get(model)
    if name is not None:
        return name
    table = model.__tablename__
    name = getattr(model, "__entity_type__", None)
    owner = plugin_of_module(model.__module__)
    if not name and owner:
        rest = table[len(owner) + 1:] if table.startswith(owner + "_") else table
        name = f"{owner}.{rest}"
    if not name:  # not cached: its plugin may be enabled later in this process
        plugin, _, rest = table.partition("_")
        return f"{plugin}.{rest}" if rest else table
    _ENTITY_NAMES[model] = name
    return name


# -- JSON-safe values ----------------------------------------------------------

def json_safe(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (Decimal, dt.date, dt.datetime, dt.time)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(obj) -> str:
    return _encoder.encode(obj)


def entry_hash(fields, prev_hash: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 under ``key`` (plain SHA-256 without one: legacy entries) of the fields and the previous hash.

    The payload is the ``repr`` of a tuple of str/int/None values: unambiguous,
    stable across Python versions for these types, and much cheaper than JSON.
    """
    payload = repr((
        fields["at"].isoformat(), fields["actor_id"], fields["actor"], fields["action"],
        fields["entity_type"], fields["entity_id"], fields["changes"], fields["request_id"],
        fields["client_addr"], prev_hash,
    )).encode()
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


class AuditKeyMissing(RuntimeError):
    """A connection without the audit key: entries can be neither written nor verified."""


def attach_key(engine, key: bytes | None) -> None:
    """Give every connection of ``engine``'s pool the audit key (``core.db.get_engine`` calls this)."""
    if key is None:
        return

    def remember(_dbapi_connection, record):
        record.info[KEY_INFO] = key

    event.listen(engine, "connect", remember)


def connection_key(connection) -> bytes:
    key = connection.info.get(KEY_INFO)
    if key is None:
        raise AuditKeyMissing("The audit log needs its key (setting mutuo.audit_key, env MUTUO_AUDIT_KEY) and "
                              "this database connection has none; open the engine with core.db.get_engine(settings).")
    return key


# -- actor ---------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    request_id: str | None = None
    client_addr: str | None = None


SYSTEM = Actor(None, "system")


def set_actor(session: Session, actor: Actor) -> None:
    session.info["actor"] = actor


def current_actor(session: Session) -> Actor:
    actor = session.info.get("actor")
    if actor is not None:
        return actor
    request = session.info.get("request")
    if request is not None:
        return request_actor(request)
    return SYSTEM


def request_actor(request) -> Actor:
    try:
        user = request.user  # called after the final flush, so a query here is safe
    except Exception:  # an identity lookup must never block a commit
        user = None
    return Actor(
        id=getattr(user, "id", None),
        name=getattr(user, "username", None) or "anonymous",
        request_id=getattr(request, "request_id", None),
        client_addr=request.client_addr,
    )


# -- capture -------------------------------------------------------------------

def _pending(session) -> list:
    return session.info.setdefault(PENDING, [])


def record_event(session: Session, action: str, entity_type: str, entity_id, data: dict | None = None) -> None:
    """Queue a security/business event; written with the transaction's other entries."""
    _pending(session).append((utcnow(), action, entity_type, None if entity_id is None else str(entity_id),
                              canonical(json_safe(data or {}))))
    tm = session.info.get("tm")
    if tm is not None:  # a read-only request must still commit its event
        import zope.sqlalchemy
        zope.sqlalchemy.mark_changed(session, transaction_manager=tm)


_PK_KEYS: dict = {}


def _row_id(state) -> str | None:
    # New rows are still "pending" in after_flush (no identity key yet): read the PK attributes.
    keys = _PK_KEYS.get(state.mapper)
    if keys is None:
        keys = _PK_KEYS[state.mapper] = [state.mapper.get_property_by_column(c).key for c in state.mapper.primary_key]
    ident = [state.dict.get(key) for key in keys]
    if any(v is None for v in ident):
        return None
    return str(ident[0]) if len(ident) == 1 else canonical(json_safe(ident))


_COLUMN_KEYS: dict = {}


def _column_keys(mapper) -> frozenset:
    keys = _COLUMN_KEYS.get(mapper)
    if keys is None:
        # Search keys (core.search.search_key) are copies of audited columns: not logged twice.
        # Columns marked ``info={"audit": False}`` (a security stamp) move with a change that is logged.
        keys = _COLUMN_KEYS[mapper] = frozenset(attr.key for attr in mapper.column_attrs
                                                if not is_search_key(attr.columns[0])
                                                and getattr(attr.columns[0], "info", {}).get("audit", True))
    return keys


def _changes(state, action: str) -> dict:
    """{field: [old, new]} from the state itself (cheaper than per-attribute history)."""
    secret = state.class_.__audit_secret__
    columns = _column_keys(state.mapper)
    values = state.dict
    out = {}
    if action == "update":
        # committed_state holds the pre-flush value of every attribute that changed.
        for key, old in state.committed_state.items():
            if key not in columns:
                continue
            new = values.get(key)
            old = None if old is NO_VALUE else old
            if old == new:
                continue
            out[key] = ["***", "***"] if key in secret else [json_safe(old), json_safe(new)]
        return out
    for key in columns:
        value = values.get(key)
        if value is None:
            continue
        shown = "***" if key in secret else json_safe(value)
        out[key] = [None, shown] if action == "insert" else [shown, None]
    return out


def _after_flush(session, _flush_context):
    if session.info.get("audit_disabled"):
        return
    pending = _pending(session)
    now = utcnow()
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            cls = type(obj)
            if not getattr(cls, "__audit__", True) or not isinstance(obj, Base):
                continue
            state = instance_state(obj)
            if action == "update" and not state.committed_state:
                continue
            changes = _changes(state, action)
            if action == "update" and not changes:
                continue
            pending.append((now, action, entity_type_of(cls), _row_id(state), canonical(changes)))


def _before_commit(session):
    # Also fired at savepoint releases: writing then is right, since the
    # entries live in the same database transaction and roll back with it.
    if session.info.get("audit_disabled"):
        return
    session.flush()
    pending = session.info.pop(PENDING, None)
    if pending:
        write_entries(session, pending, current_actor(session))
        marks = session.info.get("audit_marks")
        if marks:  # the queue restarted: open savepoints own nothing queued yet
            for key in marks:
                marks[key] = 0


def write_entries(session, pending, actor: Actor) -> None:
    conn = session.connection()
    key = connection_key(conn)
    lock_chain(conn)
    prev = conn.execute(select(_audit_table.c.hash).order_by(_audit_table.c.id.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    rows = []
    for at, action, entity_type, entity_id, changes in pending:
        row = {
            "at": at, "actor_id": actor.id, "actor": actor.name[:100], "action": action,
            "entity_type": entity_type, "entity_id": entity_id, "changes": changes,
            "request_id": actor.request_id, "client_addr": actor.client_addr,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(row, prev, key)
        row["key_version"] = KEY_VERSION
        rows.append(row)
    conn.execute(insert(_audit_table), rows)


def lock_chain(conn) -> None:
    """Serialize appends (and checkpoints) for the rest of this transaction (SQLite: BEGIN IMMEDIATE does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK})


def _mark_savepoint(session, transaction):
    if transaction.nested:
        session.info.setdefault("audit_marks", {})[id(transaction)] = len(session.info.get(PENDING, []))


def _discard(session, previous_transaction):
    """A rolled-back savepoint drops what it queued; a rolled-back transaction drops all."""
    if previous_transaction.nested:
        mark = session.info.get("audit_marks", {}).pop(id(previous_transaction), None)
        if mark is not None:
            del session.info.get(PENDING, [])[mark:]
    elif previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop("audit_marks", None)


def install(session_class=Session) -> None:
    """Attach the audit hooks to every session of ``session_class`` (once)."""
    if event.contains(session_class, "after_flush", _after_flush):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_transaction_create", _mark_savepoint)
    event.listen(session_class, "after_soft_rollback", _discard)


# -- verification --------------------------------------------------------------

@dataclass
class VerifyResult:
    checked: int
    broken_id: int | None = None
    problem: str = ""
    last_id: int | None = None
    head: str = GENESIS
    checkpoints: int = 0  # checkpoints compared
    missing: tuple[int, int] | None = None  # (first id, last id) known to have existed and gone

    @property
    def intact(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        """One sentence in the language being served (the problem itself stays in English)."""
        from core.i18n import _n

        n = self.checked
        if self.intact:
            if self.checkpoints:
                return _n("${n} entry checked: chain intact; agrees with ${checkpoints} checkpoint(s)",
                          "${n} entries checked: chain intact; agrees with ${checkpoints} checkpoint(s)", n,
                          mapping={"checkpoints": self.checkpoints})
            return _n("${n} entry checked: chain intact", "${n} entries checked: chain intact", n)
        if self.broken_id is not None:
            return _n("${n} entry checked; entry ${id} does not match: ${problem}",
                      "${n} entries checked; entry ${id} does not match: ${problem}", n,
                      mapping={"id": self.broken_id, "problem": self.problem})
        return _n("${n} entry checked; ${problem}", "${n} entries checked; ${problem}", n,
                  mapping={"problem": self.problem})


def verify_chain(connection, batch: int = 2000, progress=None, checkpoints=(), key: bytes | None = None) -> VerifyResult:
    """Recompute every hash in id order, streaming; stop at the first mismatch.

    ``checkpoints`` (``core.audit_checkpoints.Checkpoint``): heads recorded
    outside the database; the entry each names must still be there with the
    same hash, which catches a deleted tail or a chain rewritten with the key.
    """
    cols = _audit_table.c
    stmt = select(_audit_table).order_by(cols.id).execution_options(stream_results=True, yield_per=batch)
    key = key or connection.info.get(KEY_INFO)
    marks = sorted(checkpoints, key=lambda c: c.last_id)
    mark = 0
    prev, prev_id, keyed = GENESIS, None, False
    checked = 0

    def broken(entry_id, problem, missing=None):
        return VerifyResult(checked, entry_id, problem, prev_id, prev, mark, missing)

    for row in connection.execute(stmt):
        fields = row._mapping
        entry_id = fields["id"]
        if mark < len(marks) and marks[mark].last_id < entry_id:
            return _missing(marks[mark], prev_id, checked, broken)
        if fields["prev_hash"] != prev:
            return broken(entry_id, "its prev_hash does not match the hash of the entry before it "
                                    "(an entry was removed or altered)")
        version = fields["key_version"]
        if version == 0 and keyed:
            return broken(entry_id, "it is an unkeyed entry after keyed ones (rewritten without the audit key)")
        if version not in (0, KEY_VERSION):
            return broken(entry_id, f"its key_version {version!r} is unknown")
        if version and key is None:
            return broken(entry_id, "it is keyed and no audit key is configured (set mutuo.audit_key)")
        keyed = keyed or bool(version)
        expected = entry_hash(fields, prev, key if version else None)
        if expected != fields["hash"]:
            return broken(entry_id, f"its content does not match its hash (stored {fields['hash'][:12]}…, "
                                    f"recomputed {expected[:12]}…)")
        checked += 1
        while mark < len(marks) and marks[mark].last_id == entry_id:
            if marks[mark].head != fields["hash"]:
                return broken(entry_id, f"the chain was rewritten: entry {entry_id}'s hash differs from the "
                                        f"checkpoint of {marks[mark].at} (entries up to it were altered and re-hashed, "
                                        "or deleted and replaced)")
            mark += 1
        prev, prev_id = fields["hash"], entry_id
        if progress and checked % batch == 0:
            progress(checked)
    if mark < len(marks):
        return _missing(marks[mark], prev_id, checked, broken)
    return VerifyResult(checked, None, "", prev_id, prev, mark)


def _missing(checkpoint, prev_id, checked, broken):
    first = (prev_id or 0) + 1
    gone = max(checkpoint.count - checked, 1)
    span = (f"entry {first} is" if first == checkpoint.last_id else f"entries {first}–{checkpoint.last_id} are")
    return broken(None, f"{span} missing since the checkpoint of {checkpoint.at} "
                        f"({gone:,} entr{'y' if gone == 1 else 'ies'} deleted; the checkpoint recorded "
                        f"{checkpoint.count:,} entries up to entry {checkpoint.last_id}, "
                        f"{checked:,} remain)", (first, checkpoint.last_id))


PG_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION core_audit_entry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'core_audit_entry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_audit_entry_no_change BEFORE UPDATE OR DELETE ON core_audit_entry
  FOR EACH ROW EXECUTE FUNCTION core_audit_entry_append_only();
"""
