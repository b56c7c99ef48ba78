"""``mutuo jobs ...``, ``mutuo worker`` and ``mutuo beat``."""
from __future__ import annotations

import os
import sys

import click

from core.cli import fail, main, pass_env, say, say_text
from core.i18n import _


def _spec(env, name: str):
    spec = env.registry["mutuo.jobs"].get(name)
    if spec is None:
        fail(_("Error: no job named '${name}' in the enabled plugins; `mutuo jobs list` shows them.",
               mapping={"name": name}), 2)
    return spec


def _who() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (containers)
        return "cli"


@main.group()
def jobs():
    """Scheduled jobs: list, run now, pause, reschedule."""


@jobs.command("list")
@pass_env
def jobs_list(env):
    """Every job with its schedule, paused or not, next run and last run."""
    from rich.console import Console
    from rich.table import Table

    from core.jobs import job_states, job_timezone, sweep_apart
    from core.jobs.health import liveness

    sweep_apart(env.session_factory, env.engine, env.settings, "cli:jobs list")  # frees lost runs' slots
    from core.formatting import current

    shown = current()  # times in UTC, written the language's way
    table = Table(*(say_text(t) for t in (_("name"), _("schedule"), _("paused"), _("next run (UTC)"),
                                          _("last run (UTC)"), _("last status"), _("summary"))))
    with env.session_factory() as session:
        health = liveness(session, env.settings)
        for s in job_states(session, env.registry["mutuo.jobs"], job_timezone(env.settings)):
            last = s.last_run
            schedule = say_text(_("${schedule} (override)", mapping={"schedule": s.schedule})) if s.overridden \
                else s.schedule
            table.add_row(s.spec.name, schedule, shown.yes_no(s.paused),
                          s.next_run.strftime("%Y-%m-%d %H:%M:%S") if s.next_run else "-",
                          last.started.strftime("%Y-%m-%d %H:%M:%S") if last else "-",
                          shown.label(last.status) if last else say_text(_("never")), (last.summary if last else "")[:80])
    Console(width=200).print(table)
    say(_("Worker and scheduler:") if health.healthy else _("Worker and scheduler (NOT RUNNING: jobs do not start):"))
    for line in health.lines():
        click.echo("  " + line)


@jobs.command("run")
@click.argument("name")
@click.option("--wait", is_flag=True, help="Run it here and now and print the outcome (no worker needed).")
@pass_env
def jobs_run(env, name, wait):
    """Start a job now: queued for a worker, or with --wait run here until it ends (exit 1 if it fails)."""
    spec = _spec(env, name)
    if wait:
        from core.jobs import execute_job, job_platform, manual_slot

        # --wait: a chunked job's chunks run here too, one after the other.
        registry = job_platform({**env.settings, "mutuo.jobs.chunks": "inline"}, base=env.registry, engine=env.engine)
        outcome = execute_job(registry, name, manual_slot(), "cli", _who())
        _report(outcome.as_dict())
        return
    from core.celery_app import enqueue_job

    app = _celery_app(env)
    slot = enqueue_job(name, "cli", _who(), time_limit=spec.time_limit, app=app)
    if app.conf.task_always_eager:  # it already ran, here
        from sqlalchemy import select

        from core.models.job import JobRun

        with env.session_factory() as session:
            run = session.scalars(select(JobRun).where(JobRun.job == name, JobRun.slot == slot)).first()
            if run is not None:
                _report({"job": name, "slot": slot, "status": run.status, "run_id": run.id,
                         "summary": run.summary, "error": run.error})
                return
    say(_("${name}: queued (slot ${slot}); a worker runs it. `mutuo jobs list` shows its status.",
          mapping={"name": name, "slot": slot}))


def _report(outcome: dict) -> None:
    from core.formatting import current

    say(_("${job}: ${status} (run #${run}, slot ${slot})",
          mapping={"job": outcome["job"], "status": current().label(outcome["status"]), "run": outcome["run_id"],
                   "slot": outcome["slot"]}))
    if outcome["summary"]:
        click.echo(outcome["summary"])
    if outcome["status"] not in ("succeeded", "skipped"):
        if outcome.get("error"):
            click.echo(outcome["error"].rstrip(), err=True)
        sys.exit(1)


@jobs.command("pause")
@click.argument("name")
@pass_env
def jobs_pause(env, name):
    """Pause a job: beat stops starting it (within seconds, no restart)."""
    _set_paused(env, name, True)


@jobs.command("resume")
@click.argument("name")
@pass_env
def jobs_resume(env, name):
    """Resume a paused job."""
    _set_paused(env, name, False)


def _set_paused(env, name: str, paused: bool) -> None:
    from core.jobs import set_paused

    _spec(env, name)
    verb = "pause" if paused else "resume"
    env.transaction(f"jobs {verb}", lambda s: set_paused(s, name, paused))
    say(_("${name} paused.", mapping={"name": name}) if paused else _("${name} resumed.", mapping={"name": name}))


@jobs.command("schedule")
@click.argument("name")
@click.argument("schedule", required=False, default="")
@pass_env
def jobs_schedule(env, name, schedule):
    """Override a job's schedule ("30 2 * * *", "every 15 minutes"); without SCHEDULE, back to the declared one."""
    from core.jobs import set_schedule_override

    spec = _spec(env, name)
    env.transaction("jobs schedule", lambda s: set_schedule_override(s, name, schedule))
    if schedule:
        say(_("${name} runs on '${schedule}'.", mapping={"name": name, "schedule": schedule}))
    else:
        say(_("${name} is back on '${schedule}'.", mapping={"name": name, "schedule": spec.schedule}))


def _celery_app(env):
    """The Celery app of this config, its tasks running against a platform built here."""
    from core.jobs import job_platform

    app = job_platform(env.settings, base=env.registry, engine=env.engine)["mutuo.celery"]
    app.mutuo_config_file = os.path.abspath(env.config_path)
    return app


def _celery_argv(env, command: str) -> list[str]:
    os.environ["MUTUO_CONFIG"] = os.path.abspath(env.config_path)  # pool children and beat read it too
    env.registry  # noqa: B018  (a bad plugin set or a duplicate job fails here, in one line)
    return [command]


@main.command("worker")
@click.option("--beat", is_flag=True, help="Also run the scheduler (only one beat per installation).")
@click.option("-c", "--concurrency", type=int, help="Worker processes (default: CPU count).")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
@click.option("-Q", "--queues", help="Queues to consume (default: the configured default queue).")
@pass_env
def worker(env, beat, concurrency, loglevel, queues):
    """Run a Celery worker for this config (what `celery -A core.celery worker` does)."""
    argv = _celery_argv(env, "worker") + [f"--loglevel={loglevel}"]
    argv += ["--beat"] if beat else []
    argv += [f"--concurrency={concurrency}"] if concurrency else []
    argv += [f"--queues={queues}"] if queues else []
    _celery_app(env).worker_main(argv)


@main.command("beat")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
@pass_env
def beat(env, loglevel):
    """Run the scheduler alone (production: one beat, workers elsewhere)."""
    argv = _celery_argv(env, "beat") + [f"--loglevel={loglevel}"]
    _celery_app(env).start(argv)
