"""The audit log: capture, secrets, rollback, events, the hash chain and its verification."""
import json
import threading

import pytest
from sqlalchemy import select, text

from core.audit import GENESIS, Actor, set_actor, verify_chain
from core.models.audit import AuditEntry
from core.testing import TEST_AUDIT_KEY, TestDatabase, audit_tampering, login


def entries(db, **where):
    with db.session_factory() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, key) == value)
        return s.scalars(stmt).all()


def test_insert_update_delete_recorded_with_changes(mutuo_db):
    from decimal import Decimal

    from mutuo_sample.models import Note

    note_id = mutuo_db.transaction(lambda s: (s.add(n := Note(title="a", amount=Decimal("1.50"))), s.flush(), n.id)[2],
                                   actor="cli:test")

    def edit(s):
        s.get(Note, note_id).amount = Decimal("2.25")

    mutuo_db.transaction(edit)
    mutuo_db.transaction(lambda s: s.delete(s.get(Note, note_id)))
    log = entries(mutuo_db, entity_type="sample.note", entity_id=str(note_id))[-3:]
    assert [e.action for e in log] == ["insert", "update", "delete"]
    assert log[0].actor == "cli:test"
    assert json.loads(log[0].changes)["amount"] == [None, "1.50"]
    assert json.loads(log[1].changes) == {"amount": ["1.50", "2.25"]}
    assert json.loads(log[2].changes)["title"] == ["a", None]


def test_secrets_never_written(mutuo_db, make_user):
    make_user("secretive")
    for entry in entries(mutuo_db, entity_type="core.user"):
        changes = json.loads(entry.changes)
        if "password_hash" in changes:
            assert set(changes["password_hash"]) <= {None, "***"}
        assert "argon2" not in entry.changes


def test_rollback_leaves_no_entry(mutuo_db):
    from mutuo_sample.models import Note

    before = len(entries(mutuo_db))
    session = mutuo_db.session_factory()
    session.add(Note(title="never"))
    session.flush()
    session.rollback()
    session.close()
    assert len(entries(mutuo_db)) == before


def test_change_never_commits_without_its_entry(mutuo_db):
    """If writing the audit entry fails, the change fails with it."""
    from mutuo_sample.models import Note

    session = mutuo_db.session_factory()
    set_actor(session, Actor(None, "x" * 500))  # fine: truncated
    session.add(Note(title="with entry"))
    session.info["audit_pending"] = [("not-a-datetime",)]  # a broken entry
    with pytest.raises(Exception):  # noqa: B017  (any error: the point is that nothing is written)
        session.commit()
    session.rollback()
    session.close()
    with mutuo_db.session_factory() as s:
        assert s.scalars(select(Note).where(Note.title == "with entry")).first() is None


def test_web_changes_carry_user_request_id_and_address(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view", "sample.note.view", "sample.note.manage"))
    from core.testing import csrf_token

    app.post("/sample/notes", {"title": "audited", "csrf_token": csrf_token(app)},
             headers={"X-Request-Id": "req-123"}, extra_environ={"REMOTE_ADDR": "10.1.2.3"})
    entry = [e for e in entries(mutuo_db, entity_type="sample.note") if "audited" in e.changes][-1]
    assert entry.actor == app.username and entry.actor_id is not None
    assert entry.request_id == "req-123" and entry.client_addr == "10.1.2.3"


def test_security_events(testapp, make_user, mutuo_db):
    username, password = make_user(permissions=("core.dashboard.view",))
    token = testapp.get("/login").html.find("input", {"name": "csrf_token"})["value"]
    testapp.post("/login", {"username": username, "password": "bad", "csrf_token": token}, status=400)
    login(testapp, username, password)
    testapp.get("/admin/users", status=403)
    security = {"login", "login_failed", "access_denied", "logout", "lockout"}
    actions = [e.action for e in entries(mutuo_db) if e.action in security][-3:]
    assert actions == ["login_failed", "login", "access_denied"]
    denied = entries(mutuo_db, action="access_denied")[-1]
    assert json.loads(denied.changes)["permission"] == "core.user.view" and denied.actor == username


def test_csv_export_is_audited(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view", "sample.note.view"))
    app.get("/sample/notes?format=csv")
    assert json.loads(entries(mutuo_db, action="csv_export")[-1].changes)["list"] == "notes"


def test_chain_links_and_verifies(mutuo_db, make_user):
    make_user()
    rows = entries(mutuo_db)
    assert rows[0].prev_hash == GENESIS
    for before, after in zip(rows, rows[1:]):
        assert after.prev_hash == before.hash
    with mutuo_db.engine.connect() as conn:
        assert verify_chain(conn).intact


def test_audit_log_browser_filters_and_csv(logged_in, make_user):
    make_user("filtered-one")
    app = logged_in(("core.dashboard.view", "core.audit.view"))
    page = app.get("/admin/audit?entity_type=core.user&action=insert")
    assert "filtered-one" in page.text
    csv = app.get("/admin/audit?entity_type=core.user&format=csv")
    assert csv.content_type == "text/csv" and "filtered-one" in csv.text
    assert app.get("/admin/audit?since=not-a-date").status_int == 200


def test_tampered_entry_is_named(mutuo_tmp):
    """Change one stored value behind the log's back: verify names exactly that entry."""
    db = TestDatabase(("sample",), mutuo_tmp / "tamper")  # its own database: this one stays broken
    from core.accounts import create_user

    for i in range(5):
        db.transaction(lambda s, i=i: create_user(s, f"t{i}", None))
    victim = entries(db)[-3].id
    with db.engine.begin() as conn, audit_tampering(conn):
        conn.execute(text("UPDATE core_audit_entry SET actor = 'mallory' WHERE id = :id"), {"id": victim})
    with db.engine.connect() as conn:
        result = verify_chain(conn)
    assert result.broken_id == victim and "does not match its hash" in result.problem
    db.engine.dispose()


def test_cli_audit_verify(mutuo_tmp, tmp_path):
    import subprocess
    import sys

    db = TestDatabase(("sample",), mutuo_tmp / "cliverify")
    ini = tmp_path / "v.ini"
    ini.write_text(f"[app:main]\nuse = egg:mutuo\nmutuo.environment = testing\nmutuo.secret = s\n"
                   f"mutuo.audit_key = {TEST_AUDIT_KEY}\nmutuo.documents.path = {db.documents}\n"
                   f"sqlalchemy.url = {db.url}\nmutuo.plugins = sample\n")
    res = subprocess.run([sys.executable, "-m", "core.cli", "-c", str(ini), "audit", "verify"],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "chain intact" in res.stdout
    with db.engine.begin() as conn, audit_tampering(conn):
        first = conn.execute(text("SELECT min(id) FROM core_audit_entry")).scalar()
        conn.execute(text("UPDATE core_audit_entry SET changes = '{}' WHERE id = :id"), {"id": first})
    res = subprocess.run([sys.executable, "-m", "core.cli", "-c", str(ini), "audit", "verify"],
                         capture_output=True, text=True)
    assert res.returncode == 1 and f"entry {first} does not match" in res.stderr
    db.engine.dispose()


def test_triggers_refuse_update_delete_and_truncate(mutuo_db):
    """UPDATE and DELETE are refused on both databases (SQLite had no trigger before), TRUNCATE on PostgreSQL."""
    from sqlalchemy.exc import DBAPIError

    statements = ["UPDATE core_audit_entry SET actor = 'x'", "DELETE FROM core_audit_entry",
                  "DELETE FROM core_audit_entry WHERE id = (SELECT max(id) FROM core_audit_entry)"]
    if mutuo_db.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE core_audit_entry")
    before = len(entries(mutuo_db))
    assert before
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), mutuo_db.engine.begin() as conn:
            conn.execute(text(sql))
    assert len(entries(mutuo_db)) == before


@pytest.mark.postgres
def test_concurrent_transactions_still_verify(mutuo_db):
    """Two writers at once: the advisory lock keeps the chain in commit order."""
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL)")
    from mutuo_sample.models import Note

    barrier = threading.Barrier(4)
    errors = []

    def writer(n):
        try:
            for i in range(10):
                session = mutuo_db.session_factory()
                set_actor(session, Actor(None, f"writer{n}"))
                session.add(Note(title=f"w{n}-{i}"))
                session.flush()
                if i == 0:
                    barrier.wait()
                session.commit()
                session.close()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with mutuo_db.engine.connect() as conn:
        assert verify_chain(conn).intact


def test_savepoints_keep_released_work_and_drop_rolled_back_work(mutuo_db):
    """Entries of a released savepoint are kept; a rolled-back one drops only its own entries."""
    from mutuo_sample.models import Note

    before = len(entries(mutuo_db))
    session = mutuo_db.session_factory()
    set_actor(session, Actor(None, "test"))
    session.add(Note(title="kept-outer"))
    session.flush()
    with session.begin_nested():
        session.add(Note(title="kept-inner"))
    outer = session.begin_nested()
    session.add(Note(title="rolled-back-outer"))
    with session.begin_nested():  # released inside a savepoint that is later rolled back
        session.add(Note(title="rolled-back-inner"))
    session.add(Note(title="rolled-back-after"))
    session.flush()
    outer.rollback()
    session.commit()
    session.close()
    written = [e.changes for e in entries(mutuo_db)[before:]]
    assert len(written) == 2
    assert any("kept-outer" in c for c in written) and any("kept-inner" in c for c in written)
    assert not any("rolled-back" in c for c in written)


def test_zope_commit_with_an_open_savepoint_writes_entries(mutuo_db):
    """pyramid_tm commits the root transaction directly; an unreleased savepoint must not hide entries."""
    import transaction
    import zope.sqlalchemy

    from mutuo_sample.models import Note

    tm = transaction.TransactionManager(explicit=True)
    with tm:
        session = mutuo_db.session_factory(info={"tm": tm})
        zope.sqlalchemy.register(session, transaction_manager=tm)
        set_actor(session, Actor(None, "test"))
        session.begin_nested()
        session.add(Note(title="inside-open-savepoint"))
        session.flush()
    assert any("inside-open-savepoint" in e.changes for e in entries(mutuo_db))
