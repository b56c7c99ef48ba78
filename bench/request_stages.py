"""Where one request's time goes, stage by stage: ``bench/web_lists.py --profile`` uses it.

Timing wrappers go around the functions that make up each stage (the security
policy's identity and permission methods, record rules, the menu and hook calls,
the template renderer, the audit writer, the transaction's commit), and a
SQLAlchemy ``before/after_cursor_execute`` listener times every statement
(``SELECT count(...)`` statements apart, as "count"). Time is *exclusive*: a
statement run while rendering the template counts as "queries", not "template";
what no stage claims (routing, tweens, WebOb, the view's own code, ORM row
loading) is "view code and framework". A cProfile of the same requests, grouped
by module, says what that rest is made of.
"""
from __future__ import annotations

import cProfile
import functools
import pstats
import time
from collections import Counter, defaultdict

#: (stage, "module:attribute.path") — the functions whose time is the stage's.
WRAPPED = [
    ("session and identity", "core.web.policy:_request_identity"),
    ("permission checks", "core.web.policy:_user_permissions"),
    ("permission checks", "core.web.policy:MutuoSecurityPolicy.permits"),
    ("record rules", "core.security:apply_record_rules"),
    ("menu and dashboard hooks", "core.web.menu:visible_menu"),
    ("menu and dashboard hooks", "core.web.views:visible_menu"),
    ("menu and dashboard hooks", "core.plugins:MutuoPluginManager.call"),
    ("template", "chameleon.zpt.template:PageTemplate.render"),
    ("audit", "core.audit:record_event"),
    ("audit", "core.audit:write_entries"),
    ("commit", "transaction._manager:TransactionManager.commit"),
    ("commit", "transaction._manager:TransactionManager.abort"),
]
ORDER = ["session and identity", "permission checks", "record rules", "queries", "count", "template",
         "menu and dashboard hooks", "audit", "commit", "view code and framework"]


class StageClock:
    """Exclusive wall time per stage on one thread (the in-process client sends one request at a time)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.spent: dict[str, float] = defaultdict(float)  # wall time
        self.cpu: dict[str, float] = defaultdict(float)  # this thread's CPU time (waiting for a core excluded)
        self.statements: Counter = Counter()  # stage that issued them -> how many
        self.mark = time.perf_counter()
        self.cpu_mark = time.thread_time()

    def _charge(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.stack:
            self.spent[self.stack[-1]] += now - self.mark
            self.cpu[self.stack[-1]] += cpu - self.cpu_mark
        self.mark, self.cpu_mark = now, cpu

    def enter(self, stage: str) -> None:
        self._charge()
        self.stack.append(stage)

    def leave(self) -> None:
        self._charge()
        self.stack.pop()

    def reset(self) -> None:
        self.spent.clear()
        self.cpu.clear()
        self.statements.clear()


CLOCK = StageClock()


def _timed(stage: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        CLOCK.enter(stage)
        try:
            return fn(*args, **kwargs)
        finally:
            CLOCK.leave()
    wrapper._stage_original = fn  # type: ignore[attr-defined]
    return wrapper


def install() -> None:
    """Wrap the stage functions; call before the app is built (request methods are taken at configuration)."""
    import importlib

    for stage, target in WRAPPED:
        module_name, path = target.split(":")
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for part in parents:
            owner = getattr(owner, part)
        original = owner.__dict__.get(name, getattr(owner, name))
        if not hasattr(original, "_stage_original"):
            setattr(owner, name, _timed(stage, original))


def listen(engine) -> None:
    """Time every statement on ``engine`` (and the option engines made from it)."""
    from sqlalchemy import event

    def before(conn, cursor, statement, parameters, context, executemany):
        issuer = CLOCK.stack[-1] if CLOCK.stack else "view code and framework"
        CLOCK.statements[issuer] += 1
        counting = statement.lstrip()[:14].lower().startswith("select count(")
        CLOCK.enter("count" if counting else "queries")

    def after(conn, cursor, statement, parameters, context, executemany):
        CLOCK.leave()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)


def measure(app, get, requests: int):
    """Run ``get()`` ``requests`` times through ``app``; return ((wall ms, CPU ms) per request by stage, statements
    per request by issuing stage, wall ms, CPU ms per request)."""
    CLOCK.reset()
    wall = cpu = 0.0
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        CLOCK.stack[:] = ["view code and framework"]
        CLOCK.mark, CLOCK.cpu_mark = started, time.thread_time()
        get()
        CLOCK.leave()
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    per = {stage: (CLOCK.spent.get(stage, 0.0) * 1000 / requests, CLOCK.cpu.get(stage, 0.0) * 1000 / requests)
           for stage in ORDER}
    statements = {stage: n / requests for stage, n in CLOCK.statements.items()}
    return per, statements, wall * 1000 / requests, cpu * 1000 / requests


def by_module(get, requests: int, top: int = 12) -> list[tuple[str, float]]:
    """cProfile over ``requests`` calls of ``get()``: own time (ms per request) grouped by package or module."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(requests):
        get()
    prof.disable()
    groups: Counter = Counter()
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(prof).stats.items():
        groups[_group(filename)] += tottime * 1000 / requests
    return groups.most_common(top)


def _group(filename: str) -> str:
    """``.../site-packages/sqlalchemy/orm/loading.py`` -> ``sqlalchemy.orm``; ``.../core/web/listing.py`` ->
    ``core.web.listing``; builtins as they are."""
    path = filename.replace("\\", "/")
    if "site-packages/" in path:
        parts = path.split("site-packages/", 1)[1].split("/")
        return ".".join(parts[:2]).removesuffix(".py") if len(parts) > 2 else parts[0].removesuffix(".py")
    for root in ("/core/", "/plugins/"):
        if root in path:
            tail = root.strip("/") + "/" + path.split(root, 1)[1]
            return tail.removesuffix(".py").replace("/", ".")
    if path.startswith("<") or "/" not in path:
        return "builtins (C calls)" if path == "~" else path
    return "stdlib:" + path.rsplit("/", 1)[-1].removesuffix(".py")


def report(name: str, per: dict, statements: dict, wall: float, cpu: float, modules) -> str:
    """The breakdown of one page as text (printed, and pasted into docs/performance.md). CPU is what this
    process spent; wall adds waiting (for PostgreSQL, and for a core on a busy machine)."""
    lines = [f"{name}: {wall:.2f} ms wall, {cpu:.2f} ms CPU per request; "
             f"{sum(statements.values()):.1f} SQL statements",
             f"  {'stage':28} {'wall ms':>8} {'share':>6} {'CPU ms':>7}  statements issued"]
    for stage in ORDER:
        spent, used = per[stage]
        issued = statements.get(stage, 0)
        lines.append(f"  {stage:28} {spent:8.2f} {spent / wall * 100 if wall else 0:5.0f}% {used:7.2f}"
                     + (f"  {issued:.1f}" if issued else ""))
    lines.append("  own time by module (cProfile, wall ms): " + ", ".join(f"{m} {ms:.2f}" for m, ms in modules))
    return "\n".join(lines)
