"""Admin screens for scheduled jobs: list, run history, run now, pause/resume, schedule override."""
import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import func, select

from core.audit import record_event
from core.i18n import _, translate
from core.jobs import (
    ScheduleError,
    job_states,
    job_timezone,
    parse_schedule,
    set_paused,
    set_schedule_override,
    sweep_stale_runs,
)
from core.jobs.health import liveness
from core.models.job import RUN_STATUSES, JobChunk, JobRun
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.helpers import for_request
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.shell import flash

#: The words of run statuses and triggers (shown by h.label).
STATUS_WORDS = (_("running"), _("succeeded"), _("failed"), _("skipped"), _("timed out"), _("lost"))
TRIGGER_WORDS = (_("beat"), _("manual"), _("cli"))
STATUS_CLASS = {"running": "bg-info text-dark", "succeeded": "bg-success", "failed": "bg-danger",
                "skipped": "bg-secondary", "timed_out": "bg-warning text-dark", "lost": "bg-warning text-dark"}
TRIGGERS = ("beat", "manual", "cli")


def _jobs(request) -> dict:
    return request.registry["mutuo.jobs"]


def _spec_or_404(request):
    spec = _jobs(request).get(request.matchdict["name"])
    if spec is None:
        raise HTTPNotFound(_("There is no job named “${name}” in the enabled plugins.",
                             mapping={"name": request.matchdict["name"]}))
    return spec


def _states(request, jobs):
    # A run left "running" by a killed worker shows as lost or timed out as soon as someone looks.
    sweep_stale_runs(request.dbsession, settings=request.registry.settings)
    return job_states(request.dbsession, jobs, job_timezone(request.registry.settings))


def _job_url(request, name):
    return request.route_url("jobs.job", name=name)


def _common(request):
    return {"status_class": STATUS_CLASS, "can_run": request.has_permission("core.job.run"),
            "can_manage": request.has_permission("core.job.manage"),
            "declared": lambda spec: _("declared: ${schedule}", mapping={"schedule": spec.schedule})}


@view_config(route_name="jobs.list", renderer="core:web/templates/jobs.pt", permission="core.job.view")
def jobs_list(request):
    return {"title": _("Jobs"), "states": _states(request, _jobs(request)),
            "liveness": liveness(request.dbsession, request.registry.settings), **_common(request)}


def _last_line(text) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def _duration(run) -> str:
    """``2 min 5 s``, in the current language's numbers."""
    from core.formatting import current

    if run.finished is None or run.started is None:
        return ""
    seconds = int((run.finished - run.started).total_seconds())
    number = current().number
    if seconds >= 60:
        return translate(_("${minutes} min ${seconds} s", mapping={"minutes": number(seconds // 60),
                                                                   "seconds": number(seconds % 60)}))
    return translate(_("${seconds} s", mapping={"seconds": number(seconds)}))


@view_config(route_name="jobs.job", renderer="core:web/templates/jobs_job.pt", permission="core.job.view")
def job_page(request):
    spec = _spec_or_404(request)
    state = _states(request, {spec.name: spec})[0]
    common = _common(request)
    columns = [
        Column("id", "#", JobRun.id, link=lambda r, run: r.route_url("jobs.run", name=run.job, id=run.id)),
        Column("slot", _("Slot"), JobRun.slot),
        Column("trigger", _("Trigger"), JobRun.trigger, kind="label"),
        Column("triggered_by", _("By"), JobRun.triggered_by),
        Column("status", _("Status"), JobRun.status, kind="label"),
        Column("started", _("Started"), JobRun.started),
        Column("duration", _("Took"), value=_duration),
        Column("summary", _("Summary"), value=lambda run: run.summary if len(run.summary or "") < 200 else run.summary[:200] + "…",
               wide=True),
    ]
    if common["can_manage"]:  # tracebacks can name internals: admins only
        columns.append(Column("error", _("Error"), value=lambda run: _last_line(run.error), wide=True))
    h = for_request(request)
    listing = Listing(
        request, select(JobRun).where(JobRun.job == spec.name),
        columns=columns,
        filters=[
            Filter("status", _("Status"), lambda s, v: s.where(JobRun.status == v), tuple((x, h.label(x)) for x in RUN_STATUSES)),
            Filter("trigger", _("Trigger"), lambda s, v: s.where(JobRun.trigger == v), tuple((t, h.label(t)) for t in TRIGGERS)),
        ],
        default_sort="-id", export_name=f"job-runs-{spec.name}",
    )
    return render_listing(listing, title=spec.name, spec=spec, state=state,
                          run_confirm=_("Run ${job} now?", mapping={"job": spec.name}), **common)


@view_config(route_name="jobs.run", renderer="core:web/templates/jobs_run.pt", permission="core.job.view")
def run_page(request):
    spec = _spec_or_404(request)
    try:
        run_id = int(request.matchdict["id"])
    except ValueError:
        raise HTTPNotFound() from None
    run = request.dbsession.get(JobRun, run_id)
    if run is None or run.job != spec.name:
        raise HTTPNotFound()
    # A chunked run (core.jobs.chunks): how many of its chunks are done, still waiting, failed.
    chunks = dict(request.dbsession.execute(select(JobChunk.status, func.count()).where(JobChunk.run_id == run.id)
                                            .group_by(JobChunk.status)).all())
    return {"title": _("${job} run #${id}", mapping={"job": spec.name, "id": run.id}), "spec": spec, "run": run, "duration": _duration(run),
            "chunks": chunks, **_common(request)}


@view_config(route_name="jobs.run_now", request_method="POST", permission="core.job.run")
def run_now(request):
    from core.celery_app import enqueue_job

    spec = _spec_or_404(request)
    username = request.user.username
    # Sent only once this request commits (never if it fails); a slot of its own.
    slot = enqueue_job(spec.name, "manual", username, time_limit=spec.time_limit, request=request)
    record_event(request.dbsession, "job_requested", "core.job", spec.name, {"job": spec.name, "slot": slot})
    flash(request, _("${job} is queued; its run appears below within seconds (reload to see it finish).",
                     mapping={"job": spec.name}))
    return HTTPFound(_job_url(request, spec.name))


@view_config(route_name="jobs.pause", request_method="POST", permission="core.job.manage")
def pause(request):
    spec = _spec_or_404(request)
    paused = request.POST.get("paused") == "1"
    set_paused(request.dbsession, spec.name, paused)
    flash(request, _("${job} is paused: beat will not start it (the scheduler picks this up within seconds).",
                     mapping={"job": spec.name}) if paused
          else _("${job} is resumed (the scheduler picks this up within seconds).", mapping={"job": spec.name}))
    return HTTPFound(_job_url(request, spec.name))


def _valid_schedule(node, value):
    if value:
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise colander.Invalid(node, translate(exc)) from None


class ScheduleSchema(CSRFSchema):
    schedule = colander.SchemaNode(
        colander.String(), title=_("Schedule"), missing="", validator=_valid_schedule,
        description=_("A crontab 'minute hour day-of-month month day-of-week' (e.g. '30 2 * * *'), "
                      "or 'every N seconds|minutes|hours'. Leave empty to use the declared schedule."))


@view_config(route_name="jobs.schedule", renderer="core:web/templates/form_page.pt", permission="core.job.manage")
def schedule(request):
    spec = _spec_or_404(request)
    state = job_states(request.dbsession, {spec.name: spec}, job_timezone(request.registry.settings))[0]
    form = make_form(request, ScheduleSchema(), buttons=(deform.Button("save", _("Save")),))

    def save(data):
        set_schedule_override(request.dbsession, spec.name, data["schedule"])
        flash(request, _("${job} now runs on '${schedule}'.", mapping={"job": spec.name, "schedule": data["schedule"]})
              if data["schedule"] else _("${job} is back on its declared schedule '${schedule}'.",
                                         mapping={"job": spec.name, "schedule": spec.schedule}))
        return _job_url(request, spec.name)

    appstruct = {"schedule": state.schedule if state.overridden else ""}
    return page(_("Schedule of ${job}", mapping={"job": spec.name}), process(request, form, save, appstruct),
                intro=_("Declared schedule: '${schedule}'. Your choice is stored in the database: it survives "
                        "restarts and upgrades, and the scheduler applies it within seconds.",
                        mapping={"schedule": spec.schedule}))


def includeme(config):
    # Tasks this web process sends go to the broker of its own config file: the app on the
    # registry (core.celery_app), built with the platform.
    config.add_route("jobs.list", "/admin/jobs")
    config.add_route("jobs.job", "/admin/jobs/{name}")
    config.add_route("jobs.run_now", "/admin/jobs/{name}/run")
    config.add_route("jobs.pause", "/admin/jobs/{name}/pause")
    config.add_route("jobs.schedule", "/admin/jobs/{name}/schedule")
    config.add_route("jobs.run", "/admin/jobs/{name}/runs/{id}")
    config.scan("core.web.job_views")
