"""The loan book the web benchmarks load: one builder for bench/web_lists.py and bench/search.py.

``build(name, n, boss_role, password)`` makes a fresh database (``MUTUO_BENCH_DATABASE_URL``, PostgreSQL:
dropped and created; default a SQLite file) with products + lending + collections, ``n`` customers with a
loan each and an open case per loan (written straight into the tables by bench/collections_daily.py),
60 collectors and a ``boss`` user, runs the real assignment job (each collector then holds ~n/60 cases)
and ANALYZEs the tables. ``settings(url)`` are the app's settings for a database built earlier (``--reuse``).
"""
from __future__ import annotations

import collections_daily as data


def settings(url: str) -> dict:
    """The Mutuo app's settings for the benchmark database at ``url``."""
    return {"mutuo.plugins": data.PLUGINS, "sqlalchemy.url": url, "mutuo.environment": "testing",
            "mutuo.secret": "x" * 40, "mutuo.timezone": "UTC", "mutuo.cookie_secure": "false"}


def build(name: str, n: int, boss_role: str, password: str, *, installments: bool = False, shape=None):
    """Build the book; return (url, settings, engine, seconds the assignment job took).

    ``installments``: each loan's 12 installments too. ``shape(tables) -> tables`` changes the generated
    rows before they are written (bench/search.py gives customers people's names). The caller disposes
    of the engine once it has read what it needs.
    """
    from sqlalchemy import text

    from core.accounts import create_user
    from core.audit import Actor, set_actor
    from core.db import get_session_factory, run_in_transaction
    from core.jobs import job_platform

    url = data.database_url(name)
    app_settings, registry, engine, version_id = data.prepare(url)
    data.team(engine, 60)

    def boss(session):
        set_actor(session, Actor(None, "bench"))
        create_user(session, "boss", password, roles=[boss_role])

    run_in_transaction(get_session_factory(engine), boss)
    tables = data.generate(n, version_id, installments=installments)
    data.write(engine, shape(tables) if shape else tables)
    seconds, _summary = data.run_job(job_platform(app_settings, base=registry, engine=engine),
                                     "collections.assign_cases")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return url, app_settings, engine, seconds
