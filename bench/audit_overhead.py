"""Audit overhead: 10,000 ORM inserts and 10,000 updates with auditing on and off.

Same run, same database kind, same batch size; prints the time of each and
the ratio (target <= 1.5). Uses the sample-free core schema: rows are core
roles (an audited model with a few columns).
Run: .venv/bin/python bench/audit_overhead.py   (MUTUO_BENCH_DATABASE_URL for PostgreSQL)
"""
import os
import tempfile
import time

N = 10_000
BATCH = 500  # rows per transaction, like a busy day of web requests in bulk
ROUNDS = 3


def build(url):
    from core.db import get_engine, get_session_factory
    from core.migrate import upgrade
    from core.platform import populate_registry
    from core.testing import create_database

    settings = {"mutuo.environment": "testing", "mutuo.secret": "s", "mutuo.plugins": "", "sqlalchemy.url": url}
    create_database(url)
    registry = {}
    populate_registry(registry, settings)
    engine = get_engine(settings)
    with engine.begin() as conn:
        upgrade(settings, registry["mutuo.pm"], conn)
    return engine, get_session_factory(engine)


def run(session_factory, audited: bool, tag: str) -> tuple[float, float]:
    from core.audit import Actor, set_actor
    from core.models.user import Role

    def session():
        s = session_factory()
        s.info["audit_disabled"] = not audited
        set_actor(s, Actor(None, "bench"))
        return s

    start = time.perf_counter()
    ids = []
    for offset in range(0, N, BATCH):
        s = session()
        roles = [Role(name=f"{tag}{i}", title=f"Role {i}", description="benchmark") for i in range(offset, offset + BATCH)]
        s.add_all(roles)
        s.commit()
        ids.extend(r.id for r in roles)
        s.close()
    inserts = time.perf_counter() - start
    start = time.perf_counter()
    for offset in range(0, N, BATCH):
        s = session()
        for role in s.query(Role).filter(Role.id.in_(ids[offset:offset + BATCH])):
            role.title = role.title + " (renamed)"
        s.commit()
        s.close()
    updates = time.perf_counter() - start
    return inserts, updates


def main():
    url = os.environ.get("MUTUO_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/audit-bench.sqlite"
        engine, factory = build(url)
        run(factory, True, "warm")  # warm caches and the compiled-statement cache
        results = {True: [], False: []}
        for round_ in range(ROUNDS):  # interleaved, best of: robust against a busy machine
            for audited in ((False, True) if round_ % 2 == 0 else (True, False)):  # no order bias
                results[audited].append(run(factory, audited, f"r{round_}{audited}"))
        off = tuple(min(r[i] for r in results[False]) for i in (0, 1))
        on = tuple(min(r[i] for r in results[True]) for i in (0, 1))
        engine.dispose()
    print(f"database: {engine.dialect.name}; {N} inserts and {N} updates, {BATCH} per transaction, best of {ROUNDS}")
    print(f"inserts: audit off {off[0]:6.2f} s  on {on[0]:6.2f} s  ratio {on[0] / off[0]:4.2f}")
    print(f"updates: audit off {off[1]:6.2f} s  on {on[1]:6.2f} s  ratio {on[1] / off[1]:4.2f}")
    total = (on[0] + on[1]) / (off[0] + off[1])
    print(f"overall ratio {total:4.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
