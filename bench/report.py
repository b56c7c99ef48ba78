"""What the load benchmarks share around their load loop: the two servers, and the table of figures.

``serving(threads, settings)`` runs the Mutuo app and the bare Pyramid JSON view (bench/web_lists.py's
servers, waitress with ``threads`` threads each, in child processes) for a ``with`` block and stops them
after it. ``summary(rows, header, first, verdict)`` prints req/s, p50 and p95 per row and each p95's ratio
to the first row's (the bare view's), with a verdict column when one is given.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import web_lists as web


@contextmanager
def serving(threads: int, settings: dict):
    """Yield (Mutuo app's port, bare view's port); both servers are stopped when the block ends."""
    app_proc, app_port, m1 = web.start(web.mutuo_app, threads, settings)
    bare_proc, bare_port, m2 = web.start(web.bare_app, threads)
    try:
        yield app_port, bare_port
    finally:
        for proc in (app_proc, bare_proc):
            proc.terminate()
            proc.join(5)
        m1.shutdown()
        m2.shutdown()


def summary(rows: list[tuple[str, float, float, float, int]], header: str, first: str = "page",
            verdict: Callable[[str, float, float, float], str] | None = None) -> None:
    """Print ``rows`` of (name, req/s, p50 ms, p95 ms, requests), the bare view's first, under ``header``.

    ``verdict(name, req/s, p95, p95 / bare p95)`` -> the text of the last column ("" for none).
    """
    bare_p95 = rows[0][3]
    print(header)
    print(f"{first:28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/bare':>9} {'requests':>9}  verdict")
    for name, rps, p50, p95, count in rows:
        ratio = p95 / bare_p95 if bare_p95 else float("nan")
        said = verdict(name, rps, p95, ratio) if verdict else ""
        print(f"{name:28} {rps:8.0f} {p50:8.1f} {p95:8.1f} {ratio:9.1f} {count:9d}  {said}".rstrip())
