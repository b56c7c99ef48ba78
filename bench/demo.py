"""Benchmark: how long `mutuo demo load` takes, per plugin, and what it built.

    .venv/bin/python bench/demo.py [--scale 10] [--profile lending] [--keep]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_demo \\
        .venv/bin/python bench/demo.py

Builds a fresh database (default: a SQLite file in a temporary folder, the
embedded default of `make run`; PostgreSQL: every table dropped first) with
config/development.ini's plugins, migrates it, then loads the demo exactly as
`mutuo demo load` does (core.demo.load_demo) and prints the seconds of the
users and of each plugin, the total, and the totals of what was built
(customers, applications by status, loans by status and bucket, repayments,
business dates closed, cases, contacts, promises by status, targets, audit
entries). ``--profile PLUGIN`` prints the 25 most expensive functions of that
plugin's load (cumulative). Target: the default scale in under 30 s.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_ini(folder: Path, url: str | None) -> Path:
    source = (ROOT / "config" / "development.ini").read_text()
    text = source.replace("%(here)s/../var", str(folder)).replace("%(here)s/../migrations", str(ROOT / "migrations"))
    if url:
        text = "\n".join(f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
                         for line in text.splitlines())
    ini = folder / "demo.ini"
    ini.write_text(text)
    return ini


def fresh(env) -> None:
    from sqlalchemy import MetaData

    from core.accounts import sync_default_roles
    from core.migrate import upgrade
    from core.platform_state import note_enabled_plugins

    if env.engine.dialect.name == "postgresql":
        meta = MetaData()
        meta.reflect(env.engine)
        meta.drop_all(env.engine)
    with env.engine.begin() as connection:
        upgrade(env.settings, env.pm, connection)
    env.transaction("db upgrade", lambda s: sync_default_roles(s, env.registry["mutuo.security"]))  # as `db upgrade`
    env.transaction("db upgrade", lambda s: note_enabled_plugins(s, env.pm.enabled_names))


def totals(env) -> list[tuple[str, object]]:
    from sqlalchemy import func, select

    from core.models.audit import AuditEntry
    from core.models.user import User

    def count(session, model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    def grouped(session, column):
        return dict(session.execute(select(column, func.count()).group_by(column).order_by(column)).all())

    def read(session):
        out: list[tuple[str, object]] = [("users", count(session, User)), ("audit entries", count(session, AuditEntry))]
        names = env.pm.names() if hasattr(env.pm, "names") else [n for n, _p in env.pm.list_name_plugin()]
        if "lending" in names:
            from plugins.lending.models import Application, BusinessDate, Customer, Loan, Repayment

            out += [("customers", grouped(session, Customer.role)), ("applications", grouped(session, Application.status)),
                    ("loans", grouped(session, Loan.status)),
                    ("active loans by bucket", dict(session.execute(
                        select(Loan.bucket, func.count()).where(Loan.status == "active").group_by(Loan.bucket)).all())),
                    ("disbursed from / to", session.execute(select(func.min(Loan.disbursed_on),
                                                                   func.max(Loan.disbursed_on))).one()),
                    ("repayments", count(session, Repayment)),
                    ("business dates closed", count(session, BusinessDate))]
        if "collections" in names:
            from plugins.collections.models import Case, Contact, Promise, Recovery, Target

            out += [("cases", grouped(session, Case.status)), ("contacts", count(session, Contact)),
                    ("contact months", len({(d.year, d.month) for d in session.scalars(
                        select(Contact.contacted_on).distinct())})),
                    ("promises", grouped(session, Promise.status)), ("recoveries", count(session, Recovery)),
                    ("targets", count(session, Target))]
        return out

    return env.transaction("bench", read)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=None, help="default: the demo's default scale")
    parser.add_argument("--profile", metavar="PLUGIN", help="profile this plugin's load")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite folder and print its path")
    args = parser.parse_args()

    import core.demo
    from core.cli import Env

    folder = Path(tempfile.mkdtemp(prefix="mutuo-bench-demo-"))
    env = Env(str(write_ini(folder, os.environ.get("MUTUO_BENCH_DATABASE_URL"))))
    scale = args.scale or core.demo.DEFAULT_SCALE
    fresh(env)

    seconds: dict[str, float] = {}
    real = core.demo._load_plugin

    def timed(session, pm, owner, scale):
        started = time.perf_counter()
        try:
            if owner == args.profile:
                profile = cProfile.Profile()
                result = profile.runcall(real, session, pm, owner, scale)
                pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "25")))
                return result
            return real(session, pm, owner, scale)
        finally:
            seconds[owner] = time.perf_counter() - started

    core.demo._load_plugin = timed
    lines: list[str] = []
    started, cpu = time.perf_counter(), time.process_time()
    core.demo.load_demo(env, scale, echo=lines.append)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"demo load, scale {scale}, {env.engine.dialect.name}")
    for owner, value in seconds.items():
        print(f"  {owner:<14} {value:7.2f} s")
    print(f"  {'users, rest':<14} {total - sum(seconds.values()):7.2f} s")
    print(f"  {'total':<14} {total:7.2f} s   (target: under 30 s at the default scale)")
    print(f"  {'CPU':<14} {cpu:7.2f} s   (this process: steadier than the total on a busy machine)")
    for line in lines:
        print(line)
    for name, value in totals(env):
        print(f"  {name}: {value}")
    if args.keep:
        print(f"  kept: {folder}")
    env.engine.dispose()


if __name__ == "__main__":
    main()
