"""Set-based writes for the daily jobs, fast on PostgreSQL and correct everywhere.

On PostgreSQL a list of ids travels as ONE array parameter (``= ANY(:ids)``)
and many rows go in by ``COPY``; SQLite gets chunked ``IN (...)`` lists (below
its bound-parameter limit) and ``executemany`` — it runs in-process, where
round trips cost nothing. Both run inside the session's transaction.
"""
from __future__ import annotations

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, insert

SQLITE_CHUNK = 900


def is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def id_chunks(session, ids: list[int]):
    """The ids in as few lists as the database takes in one statement."""
    if not ids:
        return
    size = len(ids) if is_postgresql(session) else SQLITE_CHUNK
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def in_ids(session, column, ids: list[int]):
    """SQL: ``column`` is one of ``ids`` (one chunk from :func:`id_chunks`)."""
    if is_postgresql(session):
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def pairs(ids: list[int], values: list[int]):
    """PostgreSQL: ``unnest(:ids, :values) AS u(id, value)`` — a whole mapping as two array parameters."""
    return (func.unnest(bindparam(None, list(ids), type_=ARRAY(Integer)),
                        bindparam(None, list(values), type_=ARRAY(Integer)))
            .table_valued("id", "value").render_derived(name="u", with_types=False))


def insert_rows(session, table, rows: list[dict]) -> int:
    """Insert many rows into ``table`` (a Core Table); every row has the same keys."""
    if not rows:
        return 0
    if is_postgresql(session):
        columns = list(rows[0])
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    else:
        session.execute(insert(table), rows)
    return len(rows)
