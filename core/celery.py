"""The Celery app, the task base class, the one task that runs jobs, and beat's scheduler.

    MUTUO_CONFIG=config/development.ini celery -A core.celery worker --beat

The app reads ``celery.*`` from the config file (``$MUTUO_CONFIG``, else
config/development.ini) the first time it is used, or from the settings a
process hands to ``configure()`` (the web app and the CLI do). Each worker
process builds the platform (plugins, jobs, engine) once. See docs/jobs.md.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from celery import Celery, Task, signals
from celery.beat import Scheduler
from transaction.interfaces import NoTransaction

from core.jobs import (HARD_LIMIT_GRACE, execute_job, is_retryable, job_platform, job_settings,
                       job_timezone, effective_schedule, manual_slot, parse_schedule, request_env, slot_of,
                       utcnow)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = "config/development.ini"

# Ours unless the config file says otherwise.
DEFAULTS = {
    "beat_scheduler": "core.celery:JobScheduler",
    "beat_max_loop_interval": 5,
    "broker_connection_retry_on_startup": True,
    "worker_prefetch_multiplier": 1,  # jobs are long: do not hoard messages
    "task_default_queue": "mutuo",
    "enable_utc": True,
}


def config_path() -> str:
    path = os.environ.get("MUTUO_CONFIG") or DEFAULT_CONFIG
    if not os.path.isabs(path) and not os.path.exists(path) and (ROOT / path).exists():
        path = str(ROOT / path)
    return os.path.abspath(path)


def celery_settings(settings: dict, config_file: str | None = None) -> dict:
    """``celery.*`` keys of the Mutuo settings as typed Celery configuration."""
    from celery.app.defaults import NAMESPACES, flatten

    options = dict(flatten(NAMESPACES))
    conf = dict(DEFAULTS, timezone=settings.get("mutuo.timezone") or "UTC")
    # Beat's own state file (only used if someone picks a persistent scheduler) stays under var/.
    var = Path(config_file).resolve().parent.parent / "var" if config_file else None
    conf["beat_schedule_filename"] = str((var if var and var.is_dir() else Path(tempfile.gettempdir()))
                                         / "celerybeat-schedule")
    for key, value in settings.items():
        if key.startswith("celery."):
            name = key[len("celery."):]
            conf[name] = _typed(name, value, options.get(name))
    return conf


def _typed(name: str, value, option):
    if not isinstance(value, str):
        return value
    kind = getattr(option, "type", None)
    if option is None:
        log.warning("celery.%s is not a Celery setting Mutuo knows; passed on as written", name)
    if kind == "bool":
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind in ("int", "float"):
        return (int if kind == "int" else float)(value) if value.strip() else None
    if kind in ("list", "tuple"):
        return [v for v in value.replace(",", " ").split()]
    if kind == "any" and value.strip().isdigit():  # e.g. worker_concurrency
        return int(value)
    if kind == "dict" or value.strip().startswith("{"):
        return json.loads(value) if value.strip() else {}
    return value


class MutuoCelery(Celery):
    """A Celery app whose configuration comes from the Mutuo settings, read lazily."""

    mutuo_settings: dict | None = None
    mutuo_config_file: str | None = None

    def on_configure(self):  # called by Celery when the configuration is first read
        if self.mutuo_settings is None:
            from core.config import load_settings

            self.mutuo_config_file = config_path()
            self.mutuo_settings = load_settings(self.mutuo_config_file)
        self._config_source = celery_settings(self.mutuo_settings, self.mutuo_config_file)


app = MutuoCelery("mutuo", task_cls="core.celery:MutuoTask")

_platform: dict = {"registry": None, "pid": None}


def configure(settings: dict, config_file: str | None = None) -> None:
    """Use these settings (broker, eager mode...) in this process instead of $MUTUO_CONFIG."""
    app.mutuo_settings = settings
    app.mutuo_config_file = config_file
    if app.configured:
        app.conf.update(celery_settings(settings, config_file))


def use_registry(registry) -> None:
    """Run this process's tasks against ``registry`` (see ``core.jobs.job_platform``); None: rebuild."""
    _platform["registry"] = registry
    _platform["pid"] = os.getpid() if registry is not None else None


def get_registry():
    """The job registry for tasks run in this process.

    Inside a web request (an eagerly run task) or a job, the current Pyramid
    registry; else the one this process built from its settings, once.
    """
    from pyramid.threadlocal import get_current_registry

    current = get_current_registry()
    if "mutuo.jobs" in current and "dbsession_factory" in current:
        return current
    registry = _platform["registry"]
    if registry is None:
        settings = app.mutuo_settings
        if settings is None:
            app.conf.broker_url  # noqa: B018  (reading the configuration loads the settings)
            settings = app.mutuo_settings
        registry = _platform["registry"] = job_platform(settings)
        _platform["pid"] = os.getpid()
    elif _platform["pid"] != os.getpid():
        # A forked pool child: never share the parent's database connections.
        registry["dbengine"].dispose(close=False)
        _platform["pid"] = os.getpid()
    return registry


@signals.worker_init.connect
@signals.beat_init.connect
def _start_platform(sender=None, **_kw):
    # Fail start-up now (a duplicate job name, a bad config), not at the first job.
    get_registry()


_heartbeats: dict = {}


@signals.worker_ready.connect
def _worker_alive(sender=None, **_kw):
    """The worker says it is alive every few seconds (the jobs screen shows it; see core.jobs.health)."""
    from core.jobs.health import start_process_heartbeat

    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    _heartbeats["worker"] = start_process_heartbeat(get_registry(), f"worker:{hostname}"[:100], "worker")


@signals.beat_init.connect
def _beat_alive(sender=None, **_kw):
    from core.jobs.health import start_process_heartbeat

    _heartbeats["beat"] = start_process_heartbeat(get_registry(), "beat", "beat")


@signals.worker_shutdown.connect
def _stop_heartbeats(sender=None, **_kw):
    for thread in _heartbeats.values():
        thread.stop()


# -- the task base class ---------------------------------------------------------

class MutuoTask(Task):
    """Every Mutuo task: its own request, transaction and session; retried on conflicts.

    The task function gets the request first: ``def task(request, loan_id)``
    (after ``self`` with ``bind=True``). Pass ids, never ORM objects. Sent from
    inside a transaction (a web request, a job), the message goes out only
    after that transaction commits, and never if it aborts.
    """

    max_retries = 3
    own_transactions = False  # run_job keeps its own books

    def __call__(self, *args, **kwargs):
        if self.own_transactions:
            return super().__call__(*args, **kwargs)
        registry = get_registry()
        with request_env(registry, f"task:{self.name}") as request:
            try:
                with request.tm:
                    return super().__call__(request, *args, **kwargs)
            except Exception as exc:
                if is_retryable(exc) and self.request.retries < self.max_retries:
                    raise self.retry(exc=exc, countdown=2 ** self.request.retries)
                raise

    def apply_async(self, args=None, kwargs=None, **options):
        _refuse_orm_objects(self.name, args, kwargs)
        from pyramid.threadlocal import get_current_request

        request = get_current_request()
        if request is not None and getattr(request, "tm", None) is not None:
            return enqueue_after_commit(request, self, args, kwargs, **options)
        return self.send_now(args, kwargs, **options)

    def send_now(self, args=None, kwargs=None, **options):
        return super().apply_async(args, kwargs, **options)


def _refuse_orm_objects(name, args, kwargs) -> None:
    for value in [*(args or ()), *(kwargs or {}).values()]:
        if hasattr(type(value), "_sa_class_manager"):
            raise TypeError(f"Task {name} got a {type(value).__name__} object; tasks take ids, never ORM objects.")


def enqueue_after_commit(request, task, args=None, kwargs=None, **options):
    """Send ``task`` once ``request``'s transaction commits; never if it aborts.

    Returns None when deferred (there is no message yet), else the result.
    """
    from transaction._transaction import Status

    try:
        txn = request.tm.get()
    except NoTransaction:
        txn = None
    if txn is None or txn.status == Status.COMMITTED:  # nothing left to wait for
        return _send(task, args, kwargs, options)
    if txn.status == Status.COMMITFAILED:
        return None
    txn.addAfterCommitHook(_send_if_committed, args=(task, args, kwargs, options))
    return None


def _send(task, args, kwargs, options):
    send = getattr(task, "send_now", None)
    return send(args, kwargs, **options) if send else Task.apply_async(task, args, kwargs, **options)


def _send_if_committed(success, task, args, kwargs, options):
    if not success:
        return
    try:
        _send(task, args, kwargs, options)
    except Exception:  # the commit stands; say loudly that the message did not go out
        log.exception("could not send task %s after commit", task.name)


# -- the one task that runs jobs -------------------------------------------------

@app.task(bind=True, name="core.run_job", own_transactions=True, ignore_result=True)
def run_job(self, name: str, slot: str, trigger: str, triggered_by: str = "") -> dict:
    """Run a registered job for a slot, at most once; the run table is the record."""
    return execute_job(get_registry(), name, slot, trigger, triggered_by, task_id=self.request.id).as_dict()


def enqueue_job(name: str, trigger: str, triggered_by: str = "", *, slot: str | None = None,
                time_limit: int = 3600, request=None) -> str:
    """Send ``run_job`` for a job (after ``request`` commits, if given); return the slot."""
    slot = slot or manual_slot()
    options = {"soft_time_limit": time_limit, "time_limit": time_limit + HARD_LIMIT_GRACE}
    job_args = (name, slot, trigger, triggered_by)
    if request is not None:
        enqueue_after_commit(request, run_job, job_args, **options)
    else:
        run_job.send_now(job_args, **options)
    return slot


# -- beat ----------------------------------------------------------------------

class _Planned:
    __slots__ = ("name", "text", "schedule", "next", "time_limit")

    def __init__(self, name, text, schedule, next_fire, time_limit):
        self.name, self.text, self.schedule, self.next, self.time_limit = name, text, schedule, next_fire, time_limit


class JobScheduler(Scheduler):
    """Beat's schedule: the enabled plugins' jobs, minus paused ones, with admins' overrides.

    The job settings are re-read every ``refresh_every`` seconds, so pausing
    or rescheduling in the web UI takes effect without a restart. Nothing is
    kept on disk: a slot is the scheduled time, and the run table refuses a
    slot twice, so several beats (or a restarted one) cannot double-run.
    """

    refresh_every = 5.0

    def __init__(self, app, *args, **kwargs):
        self.planned: dict[str, _Planned] = {}
        self._refreshed = None
        self._tz = job_timezone({})
        self._registry = None
        super().__init__(app, *args, **kwargs)
        self.max_interval = min(self.max_interval, self.refresh_every)

    @property
    def registry(self):
        if self._registry is None:
            self._registry = get_registry()
        return self._registry

    @property
    def info(self):
        return f"{len(self.planned)} job(s) scheduled, settings re-read every {self.refresh_every:g} s"

    def now(self):  # a method so tests can move the clock
        return utcnow()

    def setup_schedule(self):
        self.refresh(force=True)

    def get_schedule(self):
        return {}

    def refresh(self, force: bool = False) -> None:
        clock = time.monotonic()
        if not force and self._refreshed is not None and clock - self._refreshed < self.refresh_every:
            return
        self._refreshed = clock
        registry = self.registry
        jobs = registry["mutuo.jobs"]
        tz = job_timezone(registry.settings or {})
        session = registry["dbsession_factory"]()
        try:
            stored = job_settings(session)
        finally:
            session.close()
        now = self.now()
        for name, spec in jobs.items():
            setting = stored.get(name)
            if setting is not None and setting.paused:
                if self.planned.pop(name, None) is not None:
                    log.info("beat: %s paused", name)
                continue
            text, _ = effective_schedule(spec, setting)
            current = self.planned.get(name)
            if current is None or current.text != text:
                schedule = parse_schedule(text)
                self.planned[name] = _Planned(name, text, schedule, schedule.next_after(now, tz), spec.time_limit)
                log.info("beat: %s on '%s', next at %s", name, text, slot_of(self.planned[name].next))
        for name in [n for n in self.planned if n not in jobs]:
            del self.planned[name]
        self._tz = tz
        try:  # every scheduling pass also frees the slots of runs whose worker died
            self.reap()
        except Exception:
            log.exception("beat: could not sweep timed-out and lost runs")

    def reap(self) -> int:
        """Mark runs past their time limit timed out and runs without a heartbeat lost (frees their slots)."""
        from core.jobs import sweep_apart

        registry = self.registry
        return sweep_apart(registry["dbsession_factory"], registry["dbengine"], registry.settings, "beat", self.now())

    def tick(self, *args, **kwargs) -> float:
        try:
            self.refresh()
        except Exception:  # a database hiccup: keep the last plan, try again next tick
            log.exception("beat: could not re-read the job settings")
        now = self.now()
        for planned in list(self.planned.values()):
            if planned.next <= now:
                self.send(planned.name, planned.next, planned.time_limit)
                planned.next = planned.schedule.next_after(now, self._tz)
        if not self.planned:
            return self.max_interval
        wait = (min(p.next for p in self.planned.values()) - self.now()).total_seconds()
        return max(0.05, min(wait, self.max_interval))

    def send(self, name: str, fire, time_limit: int) -> None:
        slot = slot_of(fire)
        log.info("beat: sending %s for slot %s", name, slot)
        try:
            enqueue_job(name, "beat", "beat", slot=slot, time_limit=time_limit)
        except Exception:  # the broker is away: log, and carry on with the next slot
            log.exception("beat: could not send %s for slot %s", name, slot)


# -- the embedded worker ---------------------------------------------------------

class EmbeddedWorker(subprocess.Popen):
    """The worker ``mutuo serve`` starts; if it will not stop, its whole process group is killed."""

    def kill(self):
        self._signal_group(signal.SIGKILL)

    def wait(self, timeout=None):
        try:
            return super().wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("the embedded worker did not stop within %s s; killing it", timeout)
            self.kill()
            return super().wait()

    def _signal_group(self, sig):
        if self.returncode is not None:
            return
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _worker_preexec():  # pragma: no cover - runs in the child
    os.setsid()  # own process group: Ctrl-C goes to serve, which stops us cleanly
    try:  # and die with serve if it is killed outright (Linux)
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def python_command() -> list[str]:
    """The interpreter for child processes, without the working directory on ``sys.path``.

    ``python -m celery`` puts the working directory first on the path: started
    from a folder holding a ``plugins/`` (or ``core/``, ``celery/``) directory,
    the worker imported that instead of the installed package. ``-P`` (and
    ``PYTHONSAFEPATH`` for grandchildren, see ``start_embedded_worker``) leaves
    it off.
    """
    return [sys.executable, "-P"]


def worker_command(beat: bool = True, concurrency: int | None = None, loglevel: str = "INFO") -> list[str]:
    cmd = python_command() + ["-m", "celery", "-A", "core.celery", "worker", f"--loglevel={loglevel}"]
    if beat:
        cmd.append("--beat")
    if concurrency:
        cmd.append(f"--concurrency={concurrency}")
    return cmd


def start_embedded_worker(config_path: str, settings: dict, **popen) -> EmbeddedWorker:
    """Start ``celery worker --beat`` for this config as a child process; return it.

    ``popen``: extra ``subprocess.Popen`` arguments (tests send the output to a file).
    """
    concurrency = int(settings.get("celery.worker_concurrency") or 2)
    env = {**os.environ, "MUTUO_CONFIG": os.path.abspath(config_path), "PYTHONSAFEPATH": "1"}
    cmd = worker_command(beat=True, concurrency=concurrency)
    log.info("starting the embedded worker: %s", " ".join(cmd[1:]))
    return EmbeddedWorker(cmd, env=env, preexec_fn=_worker_preexec, **popen)
