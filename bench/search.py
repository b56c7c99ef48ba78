"""Benchmark: searching a 100,000-customer book (issue 24), beside a bare Pyramid JSON view, in one run.

    MUTUO_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/mutuo_search_bench \\
        .venv/bin/python bench/search.py [--loans 100000] [--seconds 10] [--threads 4] [--reuse]

Builds the book of bench/book.py (customers, applications, loans, one open case each, 60
collectors, the real assignment job; bench/web_lists.py loads the same) with people's names (first
and last names, accents included: "Ana Álvarez"), then loads, under ``--threads`` concurrent clients:

* the customers list without a search (the baseline: the page and its count, issue 16's), then
  searched by a name prefix (``?q=alv``), by a substring of a surname
  (``?q=varez``, trigram index on PostgreSQL), by an ID number typed with dashes (exact, normalised);
* the global search box's answer (``/search?q=…&format=json``, every plugin's groups);
* the lookup endpoint (``/lookup/<name>?q=…``, ``LOOKUP_PATHS`` below: customers, borrowers, loans);
* the bare JSON view.

Prints req/s, p50 and p95 per page and the ratio of each p95 to the bare view's. Targets (issue 24):
list search p95 < 50 ms and ≥ 150 req/s; lookups p95 < 30 ms.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import book  # noqa: E402  (the book web_lists.py loads too)
import collections_daily as data  # noqa: E402
import report  # noqa: E402  (the servers, the table of figures)
import web_lists as web  # noqa: E402  (login, the load loop, figures)

FIRST = ("Ana", "Álvaro", "Belén", "Carlos", "Dolores", "Íñigo", "José", "Lucía", "María", "Nuria", "Óscar", "Pablo",
         "Raúl", "Sofía", "Tomás", "Verónica")
LAST = ("Álvarez", "Benítez", "Castaño", "Díaz", "Fernández", "García", "Gómez", "Hernández", "Jiménez", "López",
        "Martínez", "Muñoz", "Núñez", "Ortiz", "Pérez", "Ramírez", "Rodríguez", "Sánchez", "Suárez", "Vázquez")
#: The lookup endpoint's paths: short common prefixes (every tenth customer matches "alv"), a substring, a
#: rare pair of words, an ID number typed with a dash, the start of a phone, a loan's number.
LOOKUP_PATHS = ["/lookup/lending.customer?q=alv", "/lookup/lending.customer?q=ma",
                "/lookup/lending.borrower?q=varez", "/lookup/lending.customer?q=nandez+lop",
                "/lookup/lending.customer?q=B-00012345", "/lookup/lending.customer?q=600+01",
                "/lookup/lending.loan?q=alv", "/lookup/lending.loan?q=4242"]
LIST_TARGET_MS, LIST_TARGET_RPS, LOOKUP_TARGET_MS = 50, 150, 30


def people(tables, seed: int = 7):
    """Give the generated customers people's names (and their search keys)."""
    from core import search

    rng = random.Random(seed)
    customers = dict(tables)["lending_customer"]
    for row in customers:
        row["name"] = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        row["name_key"] = search.fold(row["name"])
    return tables


def build(n: int):
    """bench/book.py's book (an administrator as ``boss``), its customers with people's names."""
    url, settings, engine, _seconds = book.build("search", n, "admin", web.PASSWORD, shape=people)
    engine.dispose()
    return url, settings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run (same --loans)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.reuse:  # the book of an earlier run (building it takes minutes on a busy machine)
        url = data.database_url("search")
        settings = book.settings(url)
    else:
        url, settings = build(args.loans)
    print(f"database: {url.split('@')[-1]}; {args.loans:,} customers, loans and cases; "
          f"setup {time.perf_counter() - started:.0f} s")
    ids = [f"/lending/customers?q=B-{n:08d}" for n in range(1, args.loans, max(1, args.loans // 50))]
    with report.serving(args.threads, settings) as (app_port, bare_port):
        boss, collector = web.login(app_port, "boss"), web.login(app_port, "collector001")
        pages = [
            ("bare Pyramid JSON view", bare_port, ["/bare"], None),
            ("list: no search (baseline)", app_port, ["/lending/customers"], boss),
            ("list: name prefix", app_port, ["/lending/customers?q=alv", "/lending/customers?q=mar",
                                             "/lending/customers?q=suar"], boss),
            ("list: surname substring", app_port, ["/lending/customers?q=varez",
                                                   "/lending/customers?q=nandez+lop"], boss),
            ("list: ID number", app_port, ids, boss),
            ("global search (admin)", app_port, ["/search?format=json&q=alvarez+gom",
                                                 "/search?format=json&q=12345"], boss),
            ("global search (collector)", app_port, ["/search?format=json&q=alvarez"], collector),
            ("lookup", app_port, LOOKUP_PATHS, boss),
        ]
        for _name, port, paths, cookie in pages:
            web.load(port, paths, cookie, 0.5, 1, 20)  # warm up one at a time (template compilation)
            web.load(port, paths, cookie, 1.0, args.threads, 200)
        results = []
        for name, port, paths, cookie in pages:
            latencies, elapsed = web.load(port, paths, cookie, args.seconds, args.threads, args.max_requests)
            results.append((name, *web.figures(latencies, elapsed), len(latencies)))
    report.summary(results, f"{args.threads} client threads × {args.seconds:.0f} s per page, waitress "
                   f"{args.threads} threads each", verdict=verdict)


def verdict(name: str, rps: float, p95: float, _ratio: float) -> str:
    """Issue 24's targets: list search p95 < 50 ms and ≥ 150 req/s; lookups p95 < 30 ms."""
    if name.startswith("list: ") and "baseline" not in name:
        ok = p95 < LIST_TARGET_MS and rps >= LIST_TARGET_RPS
        return ("meets" if ok else "MISSES") + f" (p95 < {LIST_TARGET_MS} ms, ≥ {LIST_TARGET_RPS} req/s)"
    if name == "lookup":
        return ("meets" if p95 < LOOKUP_TARGET_MS else "MISSES") + f" (p95 < {LOOKUP_TARGET_MS} ms)"
    return ""


if __name__ == "__main__":
    main()
