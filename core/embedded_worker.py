"""The Celery worker ``mutuo serve`` starts as a child process (``celery -A core.celery worker --beat``)."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

log = logging.getLogger(__name__)


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
