"""collections_0002 moves the old outbox into core's messages without losing a row (and back on downgrade)."""
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from core.audit import Actor, set_actor
from core.interfaces import IClock
from core.migrate import alembic_config, upgrade
from core.models.message import Message
from core.testing import TestDatabase
from plugins.collections.testing import overdue_case
from plugins.lending.testing import World

PLUGINS = ("products", "lending", "collections")


def test_the_outbox_rows_move_to_core_message(mutuo_tmp, clock):
    db = TestDatabase(PLUGINS, mutuo_tmp / "outbox-move")
    db.replace_service(IClock, clock)  # the clock fixture is the test database's; this one is the test's own
    clock.day = date(2025, 6, 30)
    session = db.session_factory()
    set_actor(session, Actor(None, "test"))
    case = overdue_case(World(session, db.documents, clock), days_overdue=10)
    case_id = case.id
    session.commit()
    session.close()

    with db.engine.begin() as conn:
        command.downgrade(alembic_config(db.settings, db.pm, conn), "collections_0001")
    assert "collections_outbox" in sa_inspect(db.engine).get_table_names()
    sent_at = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM core_message"))
        for row in (
            dict(action_item_id=7, contact_id=None, channel="sms", recipient="+34 600 000 001", body="Pay please",
                 status="outbox", provider_ref="", error="", sent_at=None),
            dict(action_item_id=None, contact_id=None, channel="email", recipient="d@example.com", body="Reminder",
                 status="sent", provider_ref="prov-9", error="", sent_at=sent_at),
            dict(action_item_id=8, contact_id=None, channel="sms", recipient="+34 600 000 003", body="Late",
                 status="queued", provider_ref="", error="", sent_at=None),
        ):
            conn.execute(text(
                "INSERT INTO collections_outbox (case_id, action_item_id, contact_id, channel, recipient, body, "
                "status, provider_ref, error, created_at, sent_at) VALUES (:case_id, :action_item_id, :contact_id, "
                ":channel, :recipient, :body, :status, :provider_ref, :error, :created_at, :sent_at)"),
                {**row, "case_id": case_id, "created_at": sent_at, "sent_at": row["sent_at"]})

    with db.engine.begin() as conn:
        upgrade(db.settings, db.pm, conn)
    assert "collections_outbox" not in sa_inspect(db.engine).get_table_names()
    with db.session_factory() as s:
        moved = s.scalars(select(Message).order_by(Message.id)).all()
        assert [(m.channel, m.address, m.body, m.status, m.provider_ref, m.sender_ref) for m in moved] == [
            ("sms", "+34 600 000 001", "Pay please", "outbox", "", "action_item:7"),
            ("email", "d@example.com", "Reminder", "sent", "prov-9", ""),
            ("sms", "+34 600 000 003", "Late", "queued", "", "action_item:8"),
        ]
        assert {(m.sender, m.entity_type, m.entity_id) for m in moved} == {("collections", "collections.case", case_id)}
        assert moved[1].sent_at == sent_at and moved[1].attempts == 1
        assert moved[2].next_attempt_at == sent_at  # the delivery job picks it up at once
    db.engine.dispose()
