"""Benchmark: chunked close of business and assignment on 1, 2 and 4 Celery worker processes.

    .venv/bin/python bench/scale_out.py [--cases 20000] [--current 20000] [--collectors 30]
        [--chunk 2000] [--workers 1 2 4]
    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale \\
    MUTUO_BENCH_BROKER_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/scale_out.py

Builds one book on PostgreSQL with bench/collections_daily.py's builder
(``--cases`` overdue loans with their installments and an open, unassigned
case each; ``--current`` loans that pay on time; a team of collectors), its
last closed business date the day before yesterday. The book is kept as a
template database; every configuration starts from a fresh copy of it
(``CREATE DATABASE … TEMPLATE``), so each one does exactly the same work:

0. the single path: both services in one transaction, in this process (reference);
1. for N in ``--workers``: N ``celery worker -c 1`` processes on the broker,
   ``mutuo.jobs.chunks = celery``; ``lending.close_of_business`` (closes
   yesterday: penalties, buckets, collections re-stages cases) and then
   ``collections.assign_cases`` are queued as beat would queue them, and
   timed from the message to the run's recorded end.

Prints loans/s and cases/s per configuration, the ratio to one worker, and
whether the resulting rows (every loan's days past due, bucket and penalty,
every case's stage and collector) are the same as the single path's. The
machine's cores are shared: run it more than once and read the ratios.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import collections_daily as daily  # noqa: E402  (the book's builder)
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PLUGINS = "products lending collections"
JOBS = ("lending.close_of_business", "collections.assign_cases")


def urls() -> tuple[str, str, str]:
    """(the book's template database, the working copy, the broker)."""
    url = os.environ.get("MUTUO_BENCH_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale"
    if not url.startswith("postgresql"):
        raise SystemExit("bench/scale_out.py needs PostgreSQL: several processes write one database.")
    broker = os.environ.get("MUTUO_BENCH_BROKER_URL") or "redis://127.0.0.1:6379/11"
    base = make_url(url)
    return url, base.set(database=f"{base.database}_run").render_as_string(hide_password=False), broker


def admin(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def build(url: str, cases: int, current: int, collectors: int) -> None:
    """The book, its last closed date the day before yesterday, so that the job closes yesterday."""
    daily.BUSINESS_DATE = datetime.now(UTC).date() - timedelta(days=2)
    started = time.perf_counter()
    settings, registry, engine, version_id = daily.prepare(url, PLUGINS)
    daily.team(engine, collectors)
    daily.write(engine, daily.generate(cases, version_id, installments=True, current_loans=current))
    engine.dispose()
    print(f"book: {cases:,} overdue loans with open cases, {current:,} current loans, {collectors} collectors, "
          f"installments; built in {time.perf_counter() - started:.1f} s")


def fresh_copy(template: str, run: str) -> None:
    name, source = make_url(run).database, make_url(template).database
    admin(run, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{source}"')


def settings_for(url: str, broker: str, queue: str, chunk: int) -> dict:
    return {"mutuo.plugins": PLUGINS, "sqlalchemy.url": url, "mutuo.environment": "testing",
            "mutuo.secret": "x" * 40, "mutuo.timezone": "UTC", "mutuo.cookie_secure": "false",
            "celery.broker_url": broker, "celery.task_default_queue": queue, "celery.task_always_eager": "false",
            "celery.task_acks_late": "true", "celery.worker_concurrency": "1",
            "mutuo.jobs.chunks": "celery", "mutuo.jobs.chunk_size": str(chunk)}


def fingerprint(url: str) -> tuple[str, int, int]:
    """A hash of every row the jobs write, and how many active loans and cases there are."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for sql in ("SELECT id, days_past_due, bucket, penalty_accrued FROM lending_loan ORDER BY id",
                    "SELECT id, penalty_accrued FROM lending_installment ORDER BY id",
                    "SELECT loan_id, status, stage, bucket, collector_id, needs_assignment FROM collections_case "
                    "ORDER BY loan_id, id",
                    "SELECT business_date, loans, bucket_changes, penalty_accrued FROM lending_business_date "
                    "ORDER BY business_date"):
            for row in conn.execute(text(sql)):
                digest.update(repr(tuple(str(v) for v in row)).encode())
        loans = conn.execute(text("SELECT count(*) FROM lending_loan WHERE status = 'active'")).scalar()
        cases = conn.execute(text("SELECT count(*) FROM collections_assignment")).scalar()
    engine.dispose()
    return digest.hexdigest()[:16], int(loans or 0), int(cases or 0)


def single_path(url: str) -> tuple[float, float]:
    """Both services in one transaction each, in this process: the figures chunking is measured against."""
    from core.audit import Actor, set_actor
    from core.db import get_engine, get_session_factory
    from core.platform import populate_registry
    from plugins.collections.services import assign_cases
    from plugins.lending.services import close_of_business

    settings = settings_for(url, "memory://", "unused", 1)
    registry: dict = {}
    populate_registry(registry, settings)
    engine = get_engine(settings)
    factory = get_session_factory(engine, registry["mutuo.pm"], settings)
    times = []
    for work in (close_of_business, assign_cases):
        with factory() as session:
            set_actor(session, Actor(None, "bench"))
            start = time.perf_counter()
            work(session)
            session.commit()
            times.append(time.perf_counter() - start)
    engine.dispose()
    return times[0], times[1]


def start_workers(count: int, ini: Path, log_dir: Path) -> list[subprocess.Popen]:
    from core.embedded_worker import python_command

    env = {**os.environ, "MUTUO_CONFIG": str(ini), "PYTHONSAFEPATH": "1"}
    workers = []
    for n in range(count):
        cmd = python_command() + ["-m", "celery", "-A", "core.celery", "worker", "--loglevel=WARNING",
                                  "--concurrency=1", f"--hostname=bench{n}-{uuid.uuid4().hex[:6]}@%h",
                                  "--without-gossip", "--without-mingle"]
        log = open(log_dir / f"worker{n}.log", "wb")  # noqa: SIM115  (closed with the process)
        workers.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=str(log_dir)))
    return workers


def wait_ready(url: str, count: int, since: datetime, deadline: float = 120) -> None:
    """Until ``count`` workers have written their first heartbeat (they are consuming)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            with engine.connect() as conn:
                ready = conn.execute(text("SELECT count(*) FROM core_process_heartbeat WHERE kind = 'worker' "
                                          "AND seen_at >= :since"), {"since": since}).scalar()
            if ready >= count:
                return
            time.sleep(0.3)
        raise SystemExit(f"only {ready} of {count} workers came up within {deadline} s")
    finally:
        engine.dispose()


def run_job(url: str, broker: str, queue: str, name: str) -> tuple[float, str, int]:
    """Queue the job as beat does; seconds from the message to its recorded end, its summary, its chunks."""
    from celery import Celery
    from sqlalchemy import create_engine

    engine = create_engine(url)
    client = Celery(broker=broker)
    slot = f"manual:{uuid.uuid4().hex}"
    start = time.perf_counter()
    client.send_task("core.run_job", args=(name, slot, "manual", "bench"), queue=queue)
    try:
        while True:
            with engine.connect() as conn:
                run = conn.execute(text("SELECT id, status, summary FROM core_job_run WHERE job = :job AND slot = :slot"),
                                   {"job": name, "slot": slot}).first()
                if run is not None and run.status != "running":
                    elapsed = time.perf_counter() - start
                    chunks = conn.execute(text("SELECT count(*) FROM core_job_chunk WHERE run_id = :id"),
                                          {"id": run.id}).scalar()
                    if run.status != "succeeded":
                        raise SystemExit(f"{name}: {run.status}: {run.summary}")
                    return elapsed, run.summary, int(chunks or 0)
            time.sleep(0.05)
    finally:
        client.close()
        engine.dispose()


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def purge(broker: str, queue: str) -> None:
    if broker.startswith("redis"):
        import redis

        db = redis.Redis.from_url(broker)
        for key in db.scan_iter(f"*{queue}*"):
            db.delete(key)


# -- web processes ---------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_page(port: int, log: Path, deadline: float = 180) -> None:
    """Until a web process answers the login page (the port is open before the processes are up)."""
    import http.client

    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/login")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer within {deadline} s:\n{log.read_text(errors='replace')[-3000:]}")


def web_throughput(url: str, processes: list[int], seconds: float, clients: int) -> list[tuple]:
    """The collector queue (a list page) served by gunicorn with 1, 2, 4 processes × 4 threads."""
    import shutil

    import web_lists

    from core.testing import write_ini

    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        print("web: gunicorn is not installed (pip install -e '.[web]'); skipped")
        return []
    rows = []
    with tempfile.TemporaryDirectory(prefix="mutuo-web-") as tmp:
        ini = Path(tmp) / "web.ini"
        write_ini(ini, settings_for(url, "memory://", "unused", 1))
        for count in processes:
            port = free_port()
            log = open(Path(tmp) / f"gunicorn{count}.log", "wb")  # noqa: SIM115  (closed below)
            server = subprocess.Popen([gunicorn, "--paste", str(ini), "--workers", str(count), "--worker-class",
                                       "gthread", "--threads", "4", "--timeout", "120",
                                       "--bind", f"127.0.0.1:{port}"],
                                      stdout=log, stderr=log, cwd=tmp)
            try:
                wait_for_page(port, Path(tmp) / f"gunicorn{count}.log")
                cookie = web_lists.login(port, "collector001")
                paths = ["/collections/queue"]
                for _warm in range(count * 2):  # every process compiles its templates once
                    web_lists.load(port, paths, cookie, 0.5, 1, 10)
                web_lists.load(port, paths, cookie, 1.0, clients, 200)
                latencies, elapsed = web_lists.load(port, paths, cookie, seconds, clients, 10**6)
                rows.append((count, *web_lists.figures(latencies, elapsed)))
            finally:
                server.terminate()
                server.wait(30)
                log.close()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="overdue loans, each with an open case")
    parser.add_argument("--current", type=int, default=20_000, help="loans that pay on time")
    parser.add_argument("--collectors", type=int, default=30)
    parser.add_argument("--chunk", type=int, default=2_000, help="loans/cases per chunk")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--reuse", action="store_true", help="keep the book built by an earlier run")
    parser.add_argument("--web", type=int, nargs="*", default=[1, 2, 4],
                        help="gunicorn process counts for the list page (none: skip)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per web configuration")
    parser.add_argument("--clients", type=int, default=8, help="client threads for the web load")
    parser.add_argument("--jobs", action=argparse.BooleanOptionalAction, default=True,
                        help="time the chunked jobs (--no-jobs: the web part alone, on the kept database)")
    args = parser.parse_args(argv)

    template, run_url, broker = urls()
    print(f"database: {template.split('@')[-1]} (copied to {make_url(run_url).database} per configuration); "
          f"broker: {broker}; {os.cpu_count()} CPUs (shared)")
    if not args.reuse:
        build(template, args.cases, args.current, args.collectors)

    if args.jobs:
        jobs(template, run_url, broker, args)
    if args.web:
        web = web_throughput(run_url, args.web, args.seconds, args.clients)
        if web:
            print(f"\nweb: the collector queue (a list page), {args.clients} client threads × {args.seconds:.0f} s, "
                  f"gunicorn gthread × 4 threads per process, PostgreSQL")
            print(f"{'processes':>10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'req/s vs 1':>11}")
            for count, rps, p50, p95 in web:
                print(f"{count:>10} {rps:8.0f} {p50:8.1f} {p95:8.1f} {rps / web[0][1]:10.2f}x")


def jobs(template: str, run_url: str, broker: str, args) -> None:
    fresh_copy(template, run_url)
    cob_s, assign_s = single_path(run_url)
    expected, loans, assigned = fingerprint(run_url)
    rows = [("single transaction, in-process", cob_s, assign_s, loans, assigned, 0, 0, "reference")]

    for count in args.workers:
        fresh_copy(template, run_url)
        queue = f"mutuo-bench-{uuid.uuid4().hex[:8]}"
        with tempfile.TemporaryDirectory(prefix="mutuo-scale-") as tmp:
            from core.testing import write_ini

            ini = Path(tmp) / "bench.ini"
            write_ini(ini, settings_for(run_url, broker, queue, args.chunk))
            since = datetime.now(UTC)
            workers = start_workers(count, ini, Path(tmp))
            try:
                wait_ready(run_url, count, since)
                cob_s, _summary, cob_chunks = run_job(run_url, broker, queue, JOBS[0])
                assign_s, _summary, assign_chunks = run_job(run_url, broker, queue, JOBS[1])
            finally:
                stop(workers)
                purge(broker, queue)
        got, loans, assigned = fingerprint(run_url)
        rows.append((f"{count} worker process{'es' if count > 1 else ''}", cob_s, assign_s, loans, assigned,
                     cob_chunks, assign_chunks, "same rows" if got == expected else "ROWS DIFFER"))

    print(f"\n{'configuration':32} {'close of business':>26} {'assignment':>26}  chunks   result")
    one = next((r for r in rows if r[0].startswith("1 worker")), None)
    for name, cob_s, assign_s, loans, assigned, cob_chunks, assign_chunks, verdict in rows:
        ratio_cob = f"{one[1] / cob_s:4.2f}x" if one else ""
        ratio_assign = f"{one[2] / assign_s:4.2f}x" if one else ""
        print(f"{name:32} {cob_s:6.2f} s {loans / cob_s:8,.0f} loans/s {ratio_cob:>5} "
              f"{assign_s:6.2f} s {assigned / assign_s:8,.0f} cases/s {ratio_assign:>5}  "
              f"{cob_chunks:>3}+{assign_chunks:<3}  {verdict}")
    print("(ratios: throughput against 1 worker process; the chunked runs are timed from the queued message to "
          "the run's recorded end, worker start-up excluded)")
    print(f"(the last configuration's database is kept for a look: {make_url(run_url).database})")
    if any(r[-1] == "ROWS DIFFER" for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
