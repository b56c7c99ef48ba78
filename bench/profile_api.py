"""Profile lending's loan list in-process: cProfile over N requests through webtest with bench/api.py's data.

    .venv/bin/python bench/profile_api.py [--loans 2000] [--requests 200] [--validate-responses strict|log|off]

Prints ms per request and the cumulative time of the request path's stages (see docs/api.md, Performance).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as bench  # noqa: E402
import collections_daily as data  # noqa: E402

STAGES = [  # (label, function name as pstats shows it: file suffix, function)
    ("whole request (router)", "pyramid/router.py", "invoke_request"),
    ("tweens from pyramid_tm down", "pyramid_tm/__init__.py", "tm_tween"),
    ("  view call (excview tween down)", "pyramid/tweens.py", "excview_tween"),
    ("identity: API key lookup", "core/apikeys.py", "key_for_token"),
    ("permissions (effective, per request)", "core/web/policy.py", "_user_permissions"),
    ("record rules (restricted query)", "core/security.py", "restricted_query"),
    ("query params check", "core/api/validation.py", "check_params"),
    ("operation handler", "lending/api.py", "list_loans"),
    ("pagination (query, rows, items)", "core/api/pagination.py", "paginate"),
    ("response validation", "core/api/validation.py", "field_errors"),
    ("run_operation (all of the view)", "core/web/api.py", "run_operation"),
    ("transaction end (commit/abort)", "transaction/_manager.py", "commit"),
    ("JSON encoding", "json/__init__.py", "dumps"),
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--validate-responses", default="strict")
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions by cumulative time")
    args = parser.parse_args(argv)
    import webtest

    settings, key, _loans, _s = bench.build(data.database_url("api"), args.loans)
    settings = {**settings, "mutuo.api.validate_responses": args.validate_responses}
    app = webtest.TestApp(bench.web.mutuo_app(settings))
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(20):
        app.get("/api/v1/lending/loans?limit=50", headers=headers)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.requests):
        app.get("/api/v1/lending/loans?limit=50", headers=headers)
    plain = (time.perf_counter() - started) * 1000 / args.requests
    cpu = (time.process_time() - cpu) * 1000 / args.requests
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.requests):
        app.get("/api/v1/lending/loans?limit=50", headers=headers)
    prof.disable()
    stats = pstats.Stats(prof)
    print(f"{plain:.2f} ms per request without the profiler, {cpu:.2f} ms of CPU "
          f"(validate_responses={args.validate_responses})")
    print(f"{'stage':40} {'ms/request (profiled, cumulative)':>34}")
    for label, suffix, func in STAGES:
        total = sum(v[3] for (f, _line, name), v in stats.stats.items() if f.endswith(suffix) and name == func)
        print(f"{label:40} {total * 1000 / args.requests:34.2f}")
    if args.top:
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
