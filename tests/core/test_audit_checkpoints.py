"""The keyed audit chain and its checkpoints: what an intruder with write access to the table can no longer hide."""
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from core.audit import GENESIS, KEY_VERSION, entry_hash, verify_chain
from core.audit_checkpoints import checkpoint_path, read_checkpoints, verify_with_checkpoints, write_checkpoint
from core.models.audit import AuditEntry
from core.testing import TEST_AUDIT_KEY, TestDatabase, audit_tampering

KEY = TEST_AUDIT_KEY.encode()


@pytest.fixture
def own_db(mutuo_tmp, request):
    """A database of its own (these tests leave it broken) with a few users' worth of entries."""
    from core.accounts import create_user

    db = TestDatabase(("sample",), mutuo_tmp / f"cp-{request.node.name}")
    for i in range(6):
        db.transaction(lambda s, i=i: create_user(s, f"cp{i}", None))
    yield db
    db.engine.dispose()


def rows(db):
    with db.engine.connect() as conn:
        return conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).mappings().all()


def verify(db):
    with db.engine.connect() as conn:
        return verify_with_checkpoints(conn, db.settings)


def checkpoint(db):
    with db.engine.begin() as conn:
        return write_checkpoint(conn, db.settings)


def rehash_from(conn, start_id, key):
    """What an intruder does after editing entry ``start_id``: recompute it and every hash after it."""
    table = AuditEntry.__table__
    prev = conn.execute(select(table.c.hash).where(table.c.id < start_id).order_by(table.c.id.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    for row in conn.execute(select(table).where(table.c.id >= start_id).order_by(table.c.id)).mappings().all():
        new = entry_hash(row, prev, key)
        conn.execute(table.update().where(table.c.id == row["id"]).values(
            prev_hash=prev, hash=new, key_version=KEY_VERSION if key else 0))
        prev = new


def test_new_entries_are_keyed_with_the_configured_key(own_db):
    entries = rows(own_db)
    assert entries and all(e["key_version"] == KEY_VERSION for e in entries)
    last = entries[-1]
    assert last["hash"] == entry_hash(last, last["prev_hash"], KEY)
    assert last["hash"] != entry_hash(last, last["prev_hash"], None)
    with own_db.engine.connect() as conn:  # another key does not verify the chain
        assert not verify_chain(conn, key=b"another-key").intact


def test_an_edit_re_hashed_without_the_key_is_caught(own_db):
    """Before: the hash was plain SHA-256, so an edited entry re-hashed with the rest of the chain verified."""
    victim = rows(own_db)[-3]["id"]
    with own_db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("UPDATE core_audit_entry SET actor = 'mallory' WHERE id = :id"), {"id": victim})
        rehash_from(conn, victim, None)  # the intruder does not have the key: downgrade to the unkeyed hash
    result = verify(own_db)
    assert not result.intact and result.broken_id == victim
    assert "unkeyed entry after keyed ones" in result.problem


def test_legacy_unkeyed_entries_verify_and_keyed_ones_follow(own_db):
    """A database from before the key: its old entries (key_version 0) still verify, new ones are keyed."""
    first, first_keyed = rows(own_db)[0]["id"], rows(own_db)[3]["id"]
    with own_db.engine.begin() as conn, audit_tampering(conn):
        # Make the first three entries what c0003 finds in an old database: plain SHA-256, version 0.
        rehash_from(conn, first, None)
        rehash_from(conn, first_keyed, KEY)
    assert [e["key_version"] for e in rows(own_db)][:4] == [0, 0, 0, KEY_VERSION]
    assert verify(own_db).intact


def test_checkpoint_detects_a_deleted_tail_and_names_it(own_db):
    """Before: deleting the newest entries left a chain that verified."""
    cp = checkpoint(own_db)
    entries = rows(own_db)
    assert cp.last_id == entries[-1]["id"] and cp.count == len(entries) and cp.head == entries[-1]["hash"]
    assert verify(own_db).intact and verify(own_db).checkpoints == 1
    cut = entries[-3]["id"]
    with own_db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("DELETE FROM core_audit_entry WHERE id >= :id"), {"id": cut})
    with own_db.engine.connect() as conn:
        assert verify_chain(conn).intact  # the chain alone cannot see it
    result = verify(own_db)
    assert not result.intact and result.missing == (cut, cp.last_id)
    assert f"entries {cut}–{cp.last_id} are missing since the checkpoint of {cp.at}" in result.problem
    assert "3 entries deleted" in result.problem


def test_a_deleted_tail_is_caught_even_after_new_entries(own_db):
    from core.accounts import create_user

    cp = checkpoint(own_db)
    with own_db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("DELETE FROM core_audit_entry WHERE id = :id"), {"id": cp.last_id})
    own_db.transaction(lambda s: create_user(s, "after-the-cut", None))  # the chain goes on from the cut
    result = verify(own_db)
    assert not result.intact
    if own_db.engine.dialect.name == "sqlite":  # SQLite hands the deleted id out again, with another hash
        assert f"entry {cp.last_id}'s hash differs from the checkpoint" in result.problem
    else:
        assert f"entry {cp.last_id} is missing since the checkpoint" in result.problem


def test_checkpoint_detects_a_chain_rewritten_with_the_key(own_db):
    checkpoint(own_db)
    victim = rows(own_db)[1]["id"]
    with own_db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("UPDATE core_audit_entry SET actor = 'mallory' WHERE id = :id"), {"id": victim})
        rehash_from(conn, victim, KEY)  # even with the key...
    with own_db.engine.connect() as conn:
        assert verify_chain(conn).intact
    result = verify(own_db)  # ...the checkpoint outside the database disagrees
    last = rows(own_db)[-1]["id"]
    assert not result.intact and result.broken_id == last
    assert f"the chain was rewritten: entry {last}'s hash differs from the checkpoint" in result.problem


def test_checkpoint_file_is_appended_and_an_edited_line_is_reported(own_db):
    first = checkpoint(own_db)
    second = checkpoint(own_db)
    path = checkpoint_path(own_db.settings)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["last_id"] == first.last_id == second.last_id
    assert len(read_checkpoints(own_db.settings, KEY).checkpoints) == 2
    forged = json.loads(lines[1])
    forged["count"] = 1
    path.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    result = verify(own_db)
    assert not result.intact and "line 2" in result.problem and "not authentic" in result.problem


def test_cli_checkpoint_then_verify_names_the_missing_entries(own_db, tmp_path):
    ini = tmp_path / "cp.ini"
    ini.write_text(f"[app:main]\nuse = egg:mutuo\nmutuo.environment = testing\nmutuo.secret = s\n"
                   f"mutuo.audit_key = {TEST_AUDIT_KEY}\nmutuo.documents.path = {own_db.documents}\n"
                   f"sqlalchemy.url = {own_db.url}\nmutuo.plugins = sample\n")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "core.cli", "-c", str(ini), "audit", *args],
                              capture_output=True, text=True, timeout=120)

    made = cli("checkpoint")
    assert made.returncode == 0 and "Checkpoint written" in made.stdout, made.stderr
    ok = cli("verify")
    assert ok.returncode == 0 and "chain intact; agrees with 1 checkpoint" in ok.stdout
    last = rows(own_db)[-1]["id"]
    with own_db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("DELETE FROM core_audit_entry WHERE id = :id"), {"id": last})
    bad = cli("verify")
    assert bad.returncode == 1 and f"entry {last} is missing since the checkpoint" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_checkpoint_job_writes_the_file_and_its_log(mutuo_db, caplog):
    import logging

    from core.jobs import execute_job, job_platform

    registry = job_platform(mutuo_db.settings, base=mutuo_db.registry, engine=mutuo_db.engine)
    with caplog.at_level(logging.INFO, logger="core.audit_checkpoints"):
        outcome = execute_job(registry, "core.audit_checkpoint", "cp-slot", "cli")
    assert outcome.status == "succeeded" and "appended to" in outcome.summary
    assert any("audit checkpoint:" in r.getMessage() for r in caplog.records)
    assert read_checkpoints(mutuo_db.settings, KEY).latest is not None
    verified = execute_job(registry, "core.audit_verify", "verify-slot", "cli")
    assert verified.status == "succeeded" and "agrees with" in verified.summary


def test_writing_without_the_key_is_refused(mutuo_db):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from core.accounts import create_user
    from core.audit import AuditKeyMissing

    engine = create_engine(mutuo_db.url)  # not through core.db.get_engine: no key on its connections
    try:
        with Session(engine) as session, pytest.raises(AuditKeyMissing, match="mutuo.audit_key"):
            create_user(session, "keyless", None)
            session.commit()
    finally:
        engine.dispose()


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    ini = tmp_path / "p.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\nmutuo.environment = production\n"
                   f"mutuo.secret = {'s' * 40}\nmutuo.audit_key = ${{MUTUO_AUDIT_KEY}}\n"
                   f"sqlalchemy.url = sqlite:///{tmp_path}/p.sqlite\n")
    res = subprocess.run([sys.executable, "-m", "core.cli", "-c", str(ini), "db", "status"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "MUTUO_AUDIT_KEY": ""})
    assert res.returncode == 2 and "mutuo.audit_key" in res.stderr and "Traceback" not in res.stderr
