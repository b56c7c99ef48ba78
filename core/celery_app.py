"""The Celery app of one Mutuo registry: built from the settings at configuration time.

:func:`core.platform.populate_registry` builds it and keeps it on the registry
(``registry["mutuo.celery"]``), as Warehouse keeps its app on the Pyramid
registry; nothing here is a module global. Its tasks run against that
registry (or, for a task run eagerly inside a web request, the request's).
``celery -A core.celery`` loads :mod:`core.celery`, which builds the registry
(and so the app) from ``$MUTUO_CONFIG``; beat's scheduler is
:mod:`core.beat`, the worker ``mutuo serve`` starts is :mod:`core.embedded_worker`.

Tasks of plugins are declared with :func:`task` (Celery's shared tasks: every
app gets them when it is finalized) and sent with ``.delay()``, which uses
the app built last in this process, or explicitly with
``celery_app(request).tasks[name]``. See docs/jobs.md.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from pathlib import Path

from celery import Celery, Task, shared_task, signals
from transaction.interfaces import NoTransaction

from core.db import is_retryable
from core.jobs import HARD_LIMIT_GRACE, execute_job, job_platform, manual_slot, request_env

log = logging.getLogger(__name__)

REGISTRY_KEY = "mutuo.celery"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = "config/development.ini"

# Ours unless the config file says otherwise.
DEFAULTS = {
    "beat_scheduler": "core.beat:JobScheduler",
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


def app_from_environment() -> MutuoCelery:
    """The app of the config file ``$MUTUO_CONFIG`` (else config/development.ini), with its platform built."""
    from core.config import load_settings

    path = config_path()
    settings = load_settings(path)
    registry = job_platform({**settings, "mutuo.config_file": path})
    return registry[REGISTRY_KEY]


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
        return list(value.replace(",", " ").split())
    if kind == "any" and value.strip().isdigit():  # e.g. worker_concurrency
        return int(value)
    if kind == "dict" or value.strip().startswith("{"):
        return json.loads(value) if value.strip() else {}
    return value


class MutuoCelery(Celery):
    """A Celery app whose configuration comes from the Mutuo settings, read when first needed."""

    def __init__(self, settings: dict, config_file: str | None = None, registry=None):
        super().__init__("mutuo", task_cls="core.celery_app:MutuoTask")
        self.mutuo_settings = settings
        self.mutuo_config_file = config_file
        self.mutuo_registry = registry
        self.mutuo_pid = os.getpid()
        self.mutuo_heartbeats: dict = {}
        self.task(bind=True, name="core.run_job", own_transactions=True, ignore_result=True)(run_job)
        # acks_late: a chunk whose worker died is delivered again; its marker makes the second copy a no-op.
        self.task(bind=True, name="core.run_chunk", own_transactions=True, ignore_result=True,
                  acks_late=True, reject_on_worker_lost=True)(run_chunk)

    def on_configure(self):  # called by Celery when the configuration is first read
        self._config_source = celery_settings(self.mutuo_settings, self.mutuo_config_file)

    @property
    def run_job(self):
        return self.tasks["core.run_job"]


def make_celery_app(settings: dict, registry=None, config_file: str | None = None) -> MutuoCelery:
    """The app for ``registry``: broker and options from ``celery.*`` of ``settings``."""
    return MutuoCelery(settings, config_file or settings.get("mutuo.config_file"), registry)


def celery_app(request_or_registry) -> MutuoCelery:
    """The app kept on the registry (of a request, or a registry itself)."""
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry[REGISTRY_KEY]


def get_registry(app: MutuoCelery):
    """The registry tasks of ``app`` run against in this process.

    Inside a web request (an eagerly run task) or a job, the current Pyramid
    registry; else the app's own.
    """
    from pyramid.threadlocal import get_current_registry

    current = get_current_registry()
    if "mutuo.jobs" in current and "dbsession_factory" in current:
        return current
    registry = app.mutuo_registry
    if registry is None:  # an app made without a registry (a script): build the platform once
        registry = app.mutuo_registry = job_platform(app.mutuo_settings, celery=app)
    elif app.mutuo_pid != os.getpid():
        # A forked pool child: never share the parent's database connections.
        registry["dbengine"].dispose(close=False)
    app.mutuo_pid = os.getpid()
    return registry


def task(*args, **options):
    """Declare a plugin's task: ``@task(name="lending.generate_statement")``; the function gets the request first."""
    return shared_task(*args, base=MutuoTask, **options)


# -- worker and beat processes ---------------------------------------------------------

def _app_of(sender) -> MutuoCelery | None:
    from celery import current_app

    app = getattr(sender, "app", None) or current_app
    return app if isinstance(app, MutuoCelery) else None


@signals.worker_init.connect
@signals.beat_init.connect
def _start_platform(sender=None, **_kw):
    # Fail start-up now (a duplicate job name, a bad config), not at the first job.
    app = _app_of(sender)
    if app is not None:
        registry = get_registry(app)
        _speak_company_language(registry)


def _speak_company_language(registry) -> None:
    """Messages of this worker (job summaries, errors) in the company's language, ``mutuo.default_locale``."""
    from core.i18n import default_locale, use_locale

    use_locale(default_locale(registry.settings), registry.get("mutuo.pm"))


@signals.worker_ready.connect
def _worker_alive(sender=None, **_kw):
    """The worker says it is alive every few seconds (the jobs screen shows it; see core.jobs.health)."""
    from core.jobs.health import start_process_heartbeat

    app = _app_of(sender)
    if app is not None:
        hostname = getattr(sender, "hostname", None) or socket.gethostname()
        app.mutuo_heartbeats["worker"] = start_process_heartbeat(get_registry(app), f"worker:{hostname}"[:100],
                                                                 "worker")


@signals.beat_init.connect
def _beat_alive(sender=None, **_kw):
    from core.jobs.health import start_process_heartbeat

    app = _app_of(sender)
    if app is not None:
        app.mutuo_heartbeats["beat"] = start_process_heartbeat(get_registry(app), "beat", "beat")


@signals.worker_shutdown.connect
def _stop_heartbeats(sender=None, **_kw):
    app = _app_of(sender)
    for thread in (app.mutuo_heartbeats.values() if app is not None else ()):
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
        registry = get_registry(self.app)
        with request_env(registry, f"task:{self.name}") as request:
            try:
                with request.tm:
                    return super().__call__(request, *args, **kwargs)
            except Exception as exc:
                if is_retryable(exc) and self.request.retries < self.max_retries:
                    raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc
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

def run_job(self, name: str, slot: str, trigger: str, triggered_by: str = "") -> dict:
    """Run a registered job for a slot, at most once; the run table is the record (task ``core.run_job``)."""
    return execute_job(get_registry(self.app), name, slot, trigger, triggered_by, task_id=self.request.id).as_dict()


def run_chunk(self, run_id: int, seq: int) -> str:
    """Run one chunk of a chunked run, at most once (task ``core.run_chunk``; see core.jobs.chunks)."""
    from core.jobs import execute_chunk

    return execute_chunk(get_registry(self.app), run_id, seq)


def enqueue_job(name: str, trigger: str, triggered_by: str = "", *, slot: str | None = None,
                time_limit: int = 3600, request=None, app: MutuoCelery | None = None) -> str:
    """Send ``run_job`` for a job (after ``request`` commits, if given); return the slot.

    The app is ``app``, else the one on ``request``'s registry.
    """
    app = app or celery_app(request)
    slot = slot or manual_slot()
    options = {"soft_time_limit": time_limit, "time_limit": time_limit + HARD_LIMIT_GRACE}
    job_args = (name, slot, trigger, triggered_by)
    if request is not None:
        enqueue_after_commit(request, app.run_job, job_args, **options)
    else:
        app.run_job.send_now(job_args, **options)
    return slot
