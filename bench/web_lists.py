"""Benchmark: the busiest list pages under load, beside a bare Pyramid JSON view, in one run.

    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_web \\
        .venv/bin/python bench/web_lists.py [--loans 100000] [--seconds 10] [--threads 4]

Builds a fresh database (PostgreSQL: dropped and created; default a SQLite
file) with products + lending + collections, 100,000 loans with their 12
installments each, an open case for each loan (written straight into the
tables, see bench/collections_daily.py), 60 collectors and a supervisor;
then runs the real assignment job so each collector holds ~1,700 cases.

Two servers run in child processes, both waitress with the same thread count
on 127.0.0.1: the Mutuo app, and a bare Pyramid app with one JSON view (the
floor: WSGI, waitress, HTTP). A client in this process (threads, keep-alive
``http.client`` connections, a logged-in session cookie) loads each page for
``--seconds``, bounded by ``--max-requests``:

* ``/lending/loans`` — the supervisor's loans list (first page, 25 rows);
* ``/collections/queue`` — a collector's queue (their open cases by priority);
* ``/collections/cases/<id>`` — that collector's case pages, in turn;
* the bare JSON view.

Prints req/s, p50 and p95 per page and the ratio of each p95 to the bare
view's. Target: each page's p95 ≤ 5 × the bare view's and < 50 ms.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import re
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import collections_daily as data  # noqa: E402  (the same fast data writer)

PASSWORD = "correct-horse-battery"
TARGET_RATIO, TARGET_MS, TARGET_RPS = 5, 50, 250


# -- servers (child processes) -------------------------------------------------------

def _serve(app_factory, ready) -> None:
    import logging

    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is the load we asked for
    app = app_factory()
    server = create_server(app, host="127.0.0.1", port=0, threads=ready["threads"], connection_limit=64,
                           asyncore_use_poll=True)
    ready["port"] = server.effective_port
    ready["event"].set()
    server.run()


def mutuo_app(settings):
    from core.web.app import make_app

    return make_app(settings)


def bare_app():
    from pyramid.config import Configurator

    with Configurator() as config:
        config.add_route("bare", "/bare")
        config.add_view(lambda request: {"status": "ok", "n": 1}, route_name="bare", renderer="json")
        return config.make_wsgi_app()


def start(target, threads: int, *args):
    manager = multiprocessing.Manager()
    ready = manager.dict(threads=threads, event=manager.Event())
    process = multiprocessing.Process(target=_child, args=(target, args, ready), daemon=True)
    process.start()
    ready["event"].wait(120)
    return process, ready["port"], manager


def _child(target, args, ready) -> None:
    _serve(lambda: target(*args), ready)


# -- client ----------------------------------------------------------------------------

def login(port: int, username: str) -> str:
    """Log in through the real form; return the session cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    res = conn.getresponse()
    page = res.read().decode()
    cookie = res.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD, "next": ""})
    conn.request("POST", "/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    res = conn.getresponse()
    res.read()
    assert res.status == 302, f"login of {username} answered {res.status}"
    conn.close()
    return res.getheader("Set-Cookie").split(";")[0]


def load(port: int, paths: list[str], cookie: str | None, seconds: float, threads: int, max_requests: int):
    """GET ``paths`` (round robin) from ``threads`` keep-alive connections; return latencies in ms."""
    headers = {"Cookie": cookie} if cookie else {}
    return load_requests(port, lambda n: ("GET", paths[n % len(paths)], None, headers), seconds, threads,
                         max_requests)


def load_requests(port: int, request, seconds: float, threads: int, max_requests: int, expect: int = 200):
    """``request(n) -> (method, path, body, headers)`` from ``threads`` keep-alive connections; latencies in ms."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.perf_counter() < stop and len(latencies) + len(mine) < max_requests:
            with lock:
                n = next(counter)
            method, path, body, headers = request(n)
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            answer = res.read()
            mine.append((time.perf_counter() - start) * 1000)
            if res.status != expect:
                errors.append(f"{method} {path}: {res.status} {answer[:300]!r}")
                break
        conn.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"errors: {errors[:3]}")
    return latencies, elapsed


def figures(latencies: list[float], elapsed: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return len(latencies) / elapsed, statistics.median(ordered), p95


# -- data ----------------------------------------------------------------------------------

def existing(n: int):
    """The database of an earlier run, if it holds ``n`` loans with their cases (``--reuse``); else None."""
    from sqlalchemy import create_engine, text

    url = data.database_url("web")
    if not url.startswith("postgresql"):
        return None
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            loans = conn.execute(text("SELECT count(*) FROM lending_loan")).scalar()
            cases = conn.execute(text("SELECT count(*) FROM collections_case WHERE collector_id = "
                                      "(SELECT id FROM core_user WHERE username = 'collector001')")).scalar()
            ids = conn.execute(text("SELECT id FROM collections_case WHERE collector_id = (SELECT id FROM core_user "
                                    "WHERE username = 'collector001') ORDER BY id LIMIT 20")).scalars().all()
        engine.dispose()
    except Exception:  # no such database or tables: build it
        return None
    if loans != n or not cases:
        return None
    import book

    return url, book.settings(url), ids, 0.0


def build(n: int):
    import book
    from sqlalchemy import text

    url, settings, engine, seconds = book.build("web", n, "collections_supervisor", PASSWORD, installments=True)
    with engine.connect() as conn:
        collector_id = conn.execute(text("SELECT id FROM core_user WHERE username = 'collector001'")).scalar()
        cases = conn.execute(text("SELECT id FROM collections_case WHERE collector_id = :c ORDER BY id LIMIT 20"),
                             {"c": collector_id}).scalars().all()
    engine.dispose()
    return url, settings, cases, seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--profile", action="store_true",
                        help="also break one request of each page down by stage (in-process, see bench/request_stages.py)")
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--profile-only", action="store_true", help="the breakdown alone, no load")
    parser.add_argument("--exact-count-too", action="store_true",
                        help="also load the loans list with ?count=all (a full count, as before the cap)")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: keep the database of an earlier run if it holds --loans loans")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    found = existing(args.loans) if args.reuse else None
    url, settings, cases, assign_s = found or build(args.loans)
    if args.profile_only:
        print(profile(settings, cases, args.profile_requests, PROFILED))
        return
    print(f"database: {url.split('@')[-1]}; {args.loans:,} loans with installments and cases, assigned in "
          f"{assign_s:.1f} s; setup {time.perf_counter() - started:.0f} s")
    app_proc, app_port, m1 = start(mutuo_app, args.threads, settings)
    bare_proc, bare_port, m2 = start(bare_app, args.threads)
    try:
        boss, collector = login(app_port, "boss"), login(app_port, "collector001")
        pages = [
            ("bare Pyramid JSON view", bare_port, ["/bare"], None),
            ("lending loans list", app_port, ["/lending/loans"], boss),
            ("collector queue", app_port, ["/collections/queue"], collector),
            ("case page", app_port, [f"/collections/cases/{c}" for c in cases], collector),
        ]
        if args.exact_count_too:  # the loans list as it counted before the cap: every row, every time
            pages.insert(2, ("loans list, exact count", app_port, ["/lending/loans?count=all"], boss))
        for _name, port, paths, cookie in pages:
            # Warm up one request at a time first: Chameleon compiling one template in several threads
            # at once can fail (seen here: "AST constructor recursion depth mismatch"), then pool connections.
            load(port, paths, cookie, 0.5, 1, 20)
            load(port, paths, cookie, 1.0, args.threads, 200)
        results = []
        for name, port, paths, cookie in pages:
            latencies, elapsed = load(port, paths, cookie, args.seconds, args.threads, args.max_requests)
            results.append((name, *figures(latencies, elapsed), len(latencies)))
    finally:
        for proc in (app_proc, bare_proc):
            proc.terminate()
            proc.join(5)
        m1.shutdown()
        m2.shutdown()
    bare_p95 = results[0][3]
    print(f"{args.threads} client threads × {args.seconds:.0f} s per page, waitress {args.threads} threads each")
    print(f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/bare':>9}  verdict")
    for name, rps, p50, p95, _count in results:
        ratio = p95 / bare_p95 if bare_p95 else float("nan")
        ok = name.startswith("bare") or (ratio <= TARGET_RATIO and p95 < TARGET_MS and rps >= TARGET_RPS)
        verdict = "" if name.startswith("bare") else ("meets" if ok else "misses") + \
            f" (≤ {TARGET_RATIO}× bare, < {TARGET_MS} ms, ≥ {TARGET_RPS} req/s)"
        print(f"{name:28} {rps:8.0f} {p50:8.1f} {p95:8.1f} {ratio:9.1f}  {verdict}")
    misses = [name for name, rps, _p50, p95, _c in results[1:] if name in PROFILED and ( p95 / bare_p95 > TARGET_RATIO or p95 >= TARGET_MS or rps < TARGET_RPS)]
    for name in misses:
        print(f"MISSES: {name} (targets: p95 ≤ {TARGET_RATIO}× bare and < {TARGET_MS} ms, ≥ {TARGET_RPS} req/s)")
    if misses or args.profile:
        print(profile(settings, cases, args.profile_requests, PROFILED if args.profile else misses))


#: The pages --profile breaks down, as the load test names them.
PROFILED = ["lending loans list", "collector queue", "case page"]


def profile(settings, cases, requests: int, names) -> str:
    """Each named page's cost of one request by stage, in this process (WebTest, one request at a time)."""
    import request_stages as stages
    from webtest import TestApp

    stages.install()
    app = mutuo_app(settings)
    stages.listen(app.registry["dbengine"])
    clients = {}
    for user in ("boss", "collector001"):
        client = TestApp(app, lint=False)
        form = client.get("/login").forms[0]
        form["username"], form["password"] = user, PASSWORD
        form.submit(status=302)
        clients[user] = client
    paths = {"lending loans list": ("boss", ["/lending/loans"]),
             "collector queue": ("collector001", ["/collections/queue"]),
             "case page": ("collector001", [f"/collections/cases/{c}" for c in cases])}
    out = [f"Per-request profile (in-process, {requests} requests per page, ms of wall time by stage):"]
    for name in names:
        user, urls = paths[name]
        client, turn = clients[user], iter(range(10**9))

        def get(client=client, urls=urls, turn=turn):
            client.get(urls[next(turn) % len(urls)], status=200)
        for _ in range(20):
            get()
        per, statements, wall, cpu = stages.measure(app, get, requests)
        modules = stages.by_module(get, max(20, requests // 4))
        out.append(stages.report(name, per, statements, wall, cpu, modules))
    return "\n".join(out)


if __name__ == "__main__":
    main()
