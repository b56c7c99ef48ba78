"""The ``mutuo`` command. Heavy imports happen inside commands so --help stays fast.

This module holds ``main``, the per-invocation ``Env``, ``fail`` and the turning
of Mutuo's errors into one line (``MutuoGroup``), plus ``serve`` and ``shell``.
Each command group has a module of its own in this package: ``admin`` (users,
roles), ``apikeys``, ``audit``, ``db`` (plugins, db, demo), ``documents``,
``jobs`` (jobs, worker, beat) and ``scaffold``. ``python -m core.cli`` runs it
without the console script.
"""
from __future__ import annotations

import sys
from functools import cached_property

import click

DEFAULT_CONFIG = "config/development.ini"


class Env:
    """Settings, plugins, engine and sessions of one CLI invocation, built on first use."""

    def __init__(self, config_path: str, locale: str | None = None):
        self.config_path = config_path
        self.locale = locale  # --locale, else $LANG; None: the company's mutuo.default_locale

    @cached_property
    def settings(self) -> dict:
        from core.config import load_settings

        return load_settings(self.config_path)

    @cached_property
    def registry(self):
        from pyramid.registry import Registry

        from core.platform import populate_registry
        from core.services import install

        registry = Registry("mutuo.cli")
        registry.settings = self.settings
        populate_registry(registry, self.settings)
        install(registry)
        self.use_language(registry)
        return registry

    def use_language(self, registry) -> None:
        """Human messages in --locale / $LANG when Mutuo offers it, else in the company's language."""
        from core.i18n import available_locales, compile_catalogues, default_locale, translation_dirs, use_locale

        offered = available_locales(self.settings)
        chosen = self.locale if self.locale in offered else default_locale(self.settings)
        compile_catalogues(translation_dirs(registry["mutuo.pm"])[2:])
        use_locale(chosen, registry["mutuo.pm"])

    @property
    def pm(self):
        return self.registry["mutuo.pm"]

    @cached_property
    def engine(self):
        from core.db import get_engine

        return get_engine(self.settings)

    @cached_property
    def session_factory(self):
        from core.db import get_session_factory

        return get_session_factory(self.engine, self.pm, self.settings, self.registry)

    def transaction(self, command: str, fn):
        """Run ``fn(session)`` in one transaction audited as ``cli:<command>``."""
        from core.audit import Actor, set_actor
        from core.db import run_in_transaction

        def run(session):
            set_actor(session, Actor(None, f"cli:{command}"))
            return fn(session)

        return run_in_transaction(self.session_factory, run)


pass_env = click.make_pass_decorator(Env)


def fail(message, code: int = 1):
    """Print ``message`` (text or a TranslationString, in the user's language) on stderr and exit."""
    click.echo(say_text(message), err=True)
    sys.exit(code)


def say_text(message) -> str:
    from core.i18n import translate

    return translate(message)


def say(message, **kwargs) -> None:
    """``click.echo`` of a message in the user's language (``_("…", mapping=…)`` or text)."""
    click.echo(say_text(message), **kwargs)


class MutuoGroup(click.Group):
    """Turns the errors a user can cause into one line and exit code 2."""

    def invoke(self, ctx):
        from core.errors import MutuoError, StartupError

        try:
            return super().invoke(ctx)
        except StartupError as exc:  # ConfigError, PluginError, contradicting declarations
            fail(_error_line(exc), 2)
        except Exception as exc:
            from core.i18n import _

            if isinstance(exc, MutuoError):  # UserError, NotFound, AccessDenied
                fail(_error_line(exc), 1)
            if _is_schema_missing(exc):
                fail(_("Error: the database has no Mutuo tables yet (or is behind); run `mutuo db upgrade` first."), 2)
            if _is_db_unreachable(exc):
                fail(_("Error: the database cannot be reached (${problem}); "
                       "check sqlalchemy.url in your config and that the server is running.",
                       mapping={"problem": _first_line(exc)}), 2)
            raise


def _error_line(exc) -> str:
    from core.i18n import _

    return say_text(_("Error: ${message}", mapping={"message": say_text(exc)}))


def _is_schema_missing(exc) -> bool:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    text = str(exc).lower()
    return isinstance(exc, (OperationalError, ProgrammingError)) and (
        "no such table" in text or ("relation" in text and "does not exist" in text))


def _is_db_unreachable(exc) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError) and any(
        s in str(exc).lower() for s in ("connect", "unable to open", "does not exist", "refused", "password")
    )


def _first_line(exc) -> str:
    text = str(getattr(exc, "orig", exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@click.group(cls=MutuoGroup)
@click.option("-c", "--config", "config_path", envvar="MUTUO_CONFIG", default=DEFAULT_CONFIG,
              show_default=True, help="Config file (or $MUTUO_CONFIG).")
@click.option("--locale", "locale", default=None, metavar="LANG",
              help="Language of the messages (default: from $LANG, else the company's).")
@click.pass_context
def main(ctx, config_path, locale):
    """Mutuo: a modular ERP for peer-to-peer lending companies."""
    import os

    from core.i18n import parse_lang, use_locale

    chosen = locale or parse_lang(os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG"))
    use_locale(chosen)  # core's messages at once; the plugins' join when the config is read (Env.use_language)
    ctx.obj = Env(config_path, chosen)


def _register_command_modules():
    from core.cli import admin, apikeys, audit, db, documents, i18n, jobs, scaffold  # noqa: F401  (they attach commands to ``main``)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=6543, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not start the embedded Celery worker with beat.")
@pass_env
def serve(env, host, port, no_worker):
    """Serve the web UI with waitress (and, embedded, a worker with beat); one access log line per request."""
    import errno
    import signal

    import waitress

    from core.i18n import _
    from core.migrate import status
    from core.platform_state import note_enabled_plugins
    from core.web.app import make_app

    with env.engine.connect() as conn:
        behind = [f"{b.branch}: {b.describe()}" for b in status(env.settings, env.pm, conn) if b.behind]
    if behind:
        fail(_("Error: the database is not up to date (${branches}); run `mutuo db upgrade` first.",
               mapping={"branches": "; ".join(behind)}), 2)
    settings = dict(env.settings)  # the access log is for serve only (off in tests and under other servers)
    settings["pyramid.includes"] = " ".join((settings.get("pyramid.includes", ""), "core.web.access_log")).strip()
    app = make_app(settings, pm=env.pm, engine=env.engine)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=int(env.settings.get("mutuo.threads", 8)))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(_("Error: port ${port} on ${host} is already in use (another Mutuo?); stop it, or pick another "
                   "port: mutuo serve --port N (make run PORT=N).", mapping={"port": port, "host": host}), 2)
        fail(_("Error: cannot listen on ${host}:${port}: ${problem}",
               mapping={"host": host, "port": port, "problem": exc.strerror or str(exc)}), 2)
    env.transaction("serve", lambda s: note_enabled_plugins(s, env.pm.enabled_names))
    worker = None
    if not no_worker:
        from core.embedded_worker import start_embedded_worker

        worker = start_embedded_worker(env.config_path, env.settings)
    say(_("Mutuo is serving on ${url}  (Ctrl-C stops)", mapping={"url": f"http://{host}:{port}/"}))
    # SIGTERM (service managers, `kill`) ends serve like Ctrl-C: the finally below stops the worker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)


@main.command("shell")
@pass_env
def shell(env):
    """An interactive Python shell with ``session``, ``settings`` and ``pm``."""
    import code

    session = env.session_factory()
    from core.i18n import _

    banner = say_text(_("Mutuo shell: session (uncommitted until session.commit()), settings, pm, registry"))
    code.interact(banner=banner, local={"session": session, "settings": env.settings, "pm": env.pm,
                                        "registry": env.registry})


_register_command_modules()
