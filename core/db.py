"""Engine, session factory and request.dbsession (pyramid_tm + zope.sqlalchemy)."""
from __future__ import annotations

import os
import weakref

import transaction
import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import Session, sessionmaker


def get_engine(settings: dict, prefix: str = "sqlalchemy."):
    url = settings.get(prefix + "url", "")
    options: dict = {}
    if url.startswith("sqlite"):
        # Concurrent web + worker processes on one file: wait rather than fail.
        options["connect_args"] = {"timeout": 30}
        _make_parent_dir(url)
    elif str(settings.get("mutuo.db.prepared_statements", "true")).strip().lower() in ("false", "no", "off", "0"):
        # Behind PgBouncer in transaction pooling mode (before 1.21, or without max_prepared_statements)
        # the next transaction may run on another server connection: psycopg must not prepare statements.
        options["connect_args"] = {"prepare_threshold": None}
    engine = engine_from_config(settings, prefix, future=True, **options)
    _ENGINES.add(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    from core.audit import attach_key
    from core.config import audit_key

    attach_key(engine, audit_key(settings))
    return engine


# Engines of this process. A forked child (gunicorn's web workers, Celery's pool) must never use the
# connections its parent opened: it drops the inherited pool without closing the parent's sockets.
_ENGINES: weakref.WeakSet = weakref.WeakSet()


def _forget_parent_connections() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


def _make_parent_dir(url: str) -> None:
    import os

    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record):
    # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is broken).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_MOSTLY = "mutuo_read_mostly"


def _sqlite_begin(conn):
    # IMMEDIATE: take the write lock up front, so the audit chain and
    # read-then-write services serialize instead of failing on upgrade.
    # Read-mostly work (GET pages, verifications) begins DEFERRED so it
    # neither waits for nor blocks writers (WAL lets readers run alongside).
    if conn.get_execution_options().get(READ_MOSTLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def read_mostly(engine):
    """The same engine, for work that mostly reads (no SQLite write lock up front)."""
    return engine.execution_options(**{READ_MOSTLY: True})


def lock(session: Session, model, ident):
    """Row ``ident`` of ``model``, re-read and locked until the transaction ends; None if there is none.

    Take it on the row whose total a service checks *before* reading the
    total and writing against it (an application before summing its
    investments, an investor before reading what they have available), so
    two concurrent requests cannot both pass the same check. On PostgreSQL
    this is ``SELECT … FOR UPDATE``: the second request waits for the first
    to commit, then re-reads. SQLite has no row locks and renders no ``FOR
    UPDATE``, but every writing transaction already begins ``IMMEDIATE``
    (:func:`_sqlite_begin`), so writers are serialised anyway. Either way the
    row and its already-loaded relationships are refreshed
    (``populate_existing``), so the check sees what is committed, not what this
    session read earlier. Lock parents before children, always in the same
    order (application, then customer), so two services never wait on each other.
    PostgreSQL takes ``FOR NO KEY UPDATE``: lockers queue behind each other,
    but rows that merely reference the locked one (a repayment share credited
    to a locked investor) are still inserted without waiting.
    """
    return session.get(model, ident, with_for_update={"key_share": True}, populate_existing=True)


def get_session_factory(engine, pm=None, settings=None, registry=None) -> sessionmaker:
    """Sessions bound to ``engine`` whose service context (:mod:`core.context`) holds ``pm``, ``settings``
    and ``registry`` (where the infrastructure services of :mod:`core.services` are found)."""
    from core.context import factory_info

    return sessionmaker(bind=engine, expire_on_commit=False, info=factory_info(pm, settings, registry))


def get_tm_session(session_factory, transaction_manager, request=None, bind=None) -> Session:
    """A session joined to ``transaction_manager``; commit/abort follow the transaction."""
    extra = {"bind": bind} if bind is not None else {}
    dbsession = session_factory(info={"request": request, "tm": transaction_manager}, **extra)
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


# -- when a transaction may simply be tried again ----------------------------------

PG_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected
SQLITE_BUSY, SQLITE_LOCKED = 5, 6
_RETRYABLE_TEXT = ("database is locked", "deadlock", "could not serialize", "serialization failure")


def is_retryable(exc: BaseException) -> bool:
    """Whether the whole transaction may be run again: the one rule for requests and jobs.

    PostgreSQL: serialization failure or deadlock, by SQLSTATE. SQLite: the
    database was busy or locked, by the sqlite3 error code (primary code, so
    the extended codes count too). zope's transient errors (``transaction``'s
    ``TransientError``) as pyramid_tm treats them. Only a driver that gives no
    code at all is judged by its message. Requests retry through
    ``pyramid_retry`` (:func:`retry_tween_factory` marks these errors); jobs
    through :func:`core.jobs.retrying`.
    """
    from sqlalchemy.exc import DBAPIError
    from transaction.interfaces import TransientError

    if isinstance(exc, TransientError):
        return True
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate is not None:
        return sqlstate in PG_RETRYABLE
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    text = str(orig).lower()
    return any(s in text for s in _RETRYABLE_TEXT)


def retry_tween_factory(handler, registry):
    """Mark the errors :func:`is_retryable` accepts as retryable for ``pyramid_retry``.

    It sits over pyramid_tm, so it sees both an error raised at commit and one
    an exception view already rendered (``request.exception``); pyramid_retry
    then runs the request again with a fresh transaction (``retry.attempts``).
    """
    from pyramid_retry import mark_error_retryable

    def tween(request):
        try:
            response = handler(request)
        except Exception as exc:
            if is_retryable(exc):
                mark_error_retryable(exc)
            raise
        handled = getattr(request, "exception", None)  # an exception view answered it
        if handled is not None and is_retryable(handled):
            mark_error_retryable(handled)
        return response
    return tween


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.add_tween("core.db.retry_tween_factory", over="pyramid_tm.tm_tween_factory")
    engine = config.registry.get("dbengine") or get_engine(settings)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = get_session_factory(engine, config.registry.get("mutuo.pm"), settings,
                                                                config.registry)

    reading = read_mostly(engine)  # one option engine for every GET, not one per request

    def dbsession(request):
        session = request.environ.get("app.dbsession")
        if session is None:
            bind = reading if request.method in ("GET", "HEAD") else None
            session = get_tm_session(request.registry["dbsession_factory"], request.tm, request, bind)
        return session

    config.add_request_method(dbsession, reify=True)


def run_in_transaction(session_factory, fn, *, info=None):
    """Run ``fn(session)`` in its own transaction manager; commit or abort as one."""
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        session = session_factory(info={**(info or {}), "tm": tm})
        zope.sqlalchemy.register(session, transaction_manager=tm)
        return fn(session)
