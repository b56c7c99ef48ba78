"""Core's own API operations under ``/api/v1/core`` (returned by core's ``mutuo_api`` hook).

Each handler calls the same functions as core's screens: documents through
``core.documents`` and ``core.web.document_access``, jobs through
``core.celery_app.enqueue_job``, webhooks through ``core.webhooks``.

Public for plugins (docs/api.md): :data:`DOCUMENT` and :func:`document_json` (a document as the
API shows it), :data:`UPLOAD` and :func:`attach_upload` (an upload attached to a plugin's record),
:func:`attached_documents` (the documents of a record, for a listing).
"""
from __future__ import annotations

import json
import os

from pyramid.response import FileIter, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    DATETIME,
    ID,
    ApiProblem,
    Filter,
    Listing,
    Operation,
    Reply,
    WebhookEvent,
    array,
    nullable,
    obj,
    text,
    title_for,
)
from core.i18n import _
from core.models.audit import AuditEntry
from core.models.document import Document, DocumentVersion
from core.models.job import JobRun
from core.models.user import Role, User
from core.security import get_visible_or_404, restricted_query

# -- schemas -----------------------------------------------------------------------------

USER = obj({"id": ID, "username": text(64), "full_name": text(200), "email": text(200), "active": {"type": "boolean"},
            "roles": array(text(64)), "last_login": nullable(DATETIME), "created_at": DATETIME})
ROLE = obj({"id": ID, "name": text(64), "title": text(200), "description": {"type": "string"},
            "builtin": {"type": "boolean"}, "plugin": nullable(text(64)), "permissions": array(text(128))})
AUDIT = obj({"id": {"type": "integer"}, "at": DATETIME, "actor": text(100), "actor_id": nullable({"type": "integer"}),
             "action": text(40), "entity_type": text(64), "entity_id": nullable(text(64)),
             "changes": {"type": "object"}, "request_id": nullable(text(64))})
VERSION = obj({"number": {"type": "integer", "minimum": 1}, "filename": text(255), "content_type": text(100),
               "size": {"type": "integer", "minimum": 0}, "sha256": text(64), "uploaded_at": DATETIME,
               "uploaded_by": nullable({"type": "integer"})})
DOCUMENT = obj({"id": ID, "title": text(200), "description": {"type": "string"}, "current_version": {"type": "integer"},
                "deleted": {"type": "boolean"}, "created_at": DATETIME,
                "records": array(obj({"entity_type": text(64), "entity_id": text(64)})),
                "latest": nullable(VERSION)})
#: The multipart form of an upload attached to a record (:func:`attach_upload`): the file and its title.
UPLOAD = obj({"file": {"type": "string", "format": "binary"}, "title": text(200)}, required=["file"])
JOB = obj({"name": text(100), "description": {"type": "string"}, "schedule": text(100), "paused": {"type": "boolean"},
           "time_limit": {"type": "integer"}})
RUN = obj({"id": ID, "job": text(100), "slot": text(40), "trigger": text(10), "status": text(12),
           "started": DATETIME, "finished": nullable(DATETIME), "summary": {"type": "string"},
           "error": nullable({"type": "string"}), "triggered_by": text(100)})
JOB_NAME = {"type": "string", "pattern": "^[a-z0-9_]+\\.[a-z0-9_.]+$", "maxLength": 100}
ENDPOINT = obj({"id": ID, "url": text(500), "description": text(200), "events": array(text(100)),
                "active": {"type": "boolean"}, "created_at": DATETIME})
DELIVERY = obj({"id": ID, "endpoint_id": ID, "event": text(100), "event_id": text(40), "status": text(12),
                "attempts": {"type": "integer", "minimum": 0}, "response_code": nullable({"type": "integer"}),
                "last_error": nullable({"type": "string"}), "next_attempt_at": nullable(DATETIME),
                "last_attempt_at": nullable(DATETIME), "created_at": DATETIME})


# -- serializers ------------------------------------------------------------------------------

def user_json(u: User) -> dict:
    return {"id": u.id, "username": u.username, "full_name": u.full_name, "email": u.email, "active": u.active,
            "roles": [r.name for r in u.roles], "last_login": u.last_login, "created_at": u.created_at}


def role_json(r: Role) -> dict:
    return {"id": r.id, "name": r.name, "title": r.title, "description": r.description, "builtin": r.builtin,
            "plugin": r.plugin, "permissions": sorted(g.permission for g in r.grants)}


def audit_json(e: AuditEntry) -> dict:
    try:
        changes = json.loads(e.changes or "{}")
    except ValueError:
        changes = {"raw": e.changes}
    return {"id": e.id, "at": e.at, "actor": e.actor, "actor_id": e.actor_id, "action": e.action,
            "entity_type": e.entity_type, "entity_id": e.entity_id,
            "changes": changes if isinstance(changes, dict) else {"value": changes}, "request_id": e.request_id}


def version_json(v: DocumentVersion) -> dict:
    return {"number": v.number, "filename": v.filename, "content_type": v.content_type, "size": v.size,
            "sha256": v.sha256, "uploaded_at": v.uploaded_at, "uploaded_by": v.uploaded_by}


def document_json(d: Document) -> dict:
    latest = max(d.versions, key=lambda v: v.number) if d.versions else None
    return {"id": d.id, "title": d.title, "description": d.description, "current_version": d.current_version,
            "deleted": d.deleted, "created_at": d.created_at,
            "records": [{"entity_type": link.entity_type, "entity_id": link.entity_id} for link in d.links],
            "latest": version_json(latest) if latest else None}


def run_json(r: JobRun) -> dict:
    return {"id": r.id, "job": r.job, "slot": r.slot, "trigger": r.trigger, "status": r.status, "started": r.started,
            "finished": r.finished, "summary": r.summary or "", "error": r.error, "triggered_by": r.triggered_by or ""}


def endpoint_json(e) -> dict:
    return {"id": e.id, "url": e.url, "description": e.description, "events": e.event_names, "active": e.active,
            "created_at": e.created_at}


def delivery_json(d) -> dict:
    return {"id": d.id, "endpoint_id": d.endpoint_id, "event": d.event, "event_id": d.event_id, "status": d.status,
            "attempts": d.attempts, "response_code": d.response_code, "last_error": d.last_error,
            "next_attempt_at": d.next_attempt_at, "last_attempt_at": d.last_attempt_at, "created_at": d.created_at}


# -- handlers ---------------------------------------------------------------------------------

def me(request, call):
    user = request.user
    ident = request.identity_info
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "roles": [r.name for r in user.roles], "permissions": sorted(request.user_permissions),
            "auth": "api_key" if ident.api_key is not None else "session",
            "key_prefix": ident.api_key.prefix if ident.api_key is not None else None}


def users(request, call):
    return restricted_query(request, User).options(selectinload(User.roles))


def user(request, call):
    return user_json(get_visible_or_404(request, User, call.path["id"]))


def roles(request, call):
    return restricted_query(request, Role).options(selectinload(Role.grants))


def role(request, call):
    return role_json(get_visible_or_404(request, Role, call.path["id"]))


def audit(request, call):
    return restricted_query(request, AuditEntry)


def documents(request, call):
    from core.web import document_access as access

    stmt = access.visible_documents(request, restricted_query(request, Document)).options(
        selectinload(Document.versions), selectinload(Document.links))
    return stmt.where(Document.deleted.is_(False))


def attached_documents(request, entity_type: str, entity_id):
    """A ``select`` of the documents attached to ``(entity_type, entity_id)`` the caller may see (not
    deleted): a plugin's listing of a record's documents (``Listing(Document, document_json)``)."""
    from core.models.document import DocumentLink
    from core.web import document_access as access

    linked = select(DocumentLink.document_id).where(DocumentLink.entity_type == entity_type,
                                                    DocumentLink.entity_id == str(entity_id))
    stmt = access.visible_documents(request, restricted_query(request, Document)).options(
        selectinload(Document.versions), selectinload(Document.links))
    return stmt.where(Document.deleted.is_(False), Document.id.in_(linked))


def _document(request, ident, edit: bool = False) -> Document:
    from core.errors import NotFound
    from core.web import document_access as access

    document = request.dbsession.get(Document, ident)
    if document is None:
        raise NotFound()
    (access.require_edit if edit else access.require_view)(request, document)
    return document


def document(request, call):
    return document_json(_document(request, call.path["id"]))


def document_versions(request, call):
    document = _document(request, call.path["id"])
    return {"items": [version_json(v) for v in sorted(document.versions, key=lambda v: v.number)]}


def _document_problem(exc):
    status = getattr(exc, "status", 422)
    status = status if status in (404, 413, 415) else 422
    return ApiProblem(status, title_for(status), str(exc), kind="document",
                      errors=[{"field": getattr(exc, "field", None) or "file", "message": str(exc)}])


def _upload_field(call):
    field = call.files.get("file")
    if field is None:
        raise ApiProblem(422, title_for(422), _("Send the file in the form field 'file'."), kind="validation",
                         errors=[{"field": "file", "message": "required"}])
    return field


def _store(request, field, *, title=None, entity_type=None, entity_id=None, document_id=None):
    from core import documents as docs

    try:
        version = docs.upload(request.dbsession, docs.blob_store(request), stream=field.file, filename=field.filename,
                              title=title, entity_type=entity_type, entity_id=entity_id,
                              document_id=document_id, user_id=request.user.id)
    except docs.DocumentError as exc:
        raise _document_problem(exc) from None
    request.dbsession.refresh(version.document)
    return version


def attach_upload(request, call, entity_type: str, entity_id) -> Reply:
    """Store the multipart file ``file`` of ``call`` (title: the form field ``title``) in the document
    store, attached to the record ``(entity_type, entity_id)``: a plugin's upload operation in one line.

    The same checks as ``POST /api/v1/core/documents``: the file field is required (422), the
    caller must be allowed to edit the record's documents (403), the store's refusals (size,
    type, an empty file) are problems (413, 415, 422). Answers ``201`` with the document
    (:data:`DOCUMENT`, :func:`document_json`) and its Location. Declare the operation with
    ``multipart=UPLOAD, response=DOCUMENT, status=201``.
    """
    from core.web import document_access as access

    field = _upload_field(call)
    entity_id = str(entity_id)
    access.require_record_edit(request, entity_type, entity_id)
    version = _store(request, field, title=call.form.get("title"), entity_type=entity_type, entity_id=entity_id)
    return Reply(document_json(version.document), status=201,
                 location=request.route_url("api.core.documents.read", id=version.document_id))


def upload(request, call):
    from core import documents as docs
    from core.web import document_access as access

    form, field = call.form, _upload_field(call)
    entity_type = (form.get("entity_type") or "").strip() or None
    entity_id = (form.get("entity_id") or "").strip() or None
    document_id = (form.get("document_id") or "").strip() or None
    if (entity_type is None) != (entity_id is None):
        raise ApiProblem(422, title_for(422), _("Send both entity_type and entity_id, or neither."),
                         kind="validation", errors=[{"field": "entity_id", "message": "both or neither"}])
    if document_id is not None:
        if not document_id.isdigit() or int(document_id) > 2147483647:
            raise ApiProblem(404, title_for(404))
        _document(request, int(document_id), edit=True)
    elif entity_type is not None:
        return attach_upload(request, call, entity_type, entity_id)
    elif not request.has_permission(docs.MANAGE_UNLINKED):
        raise access.denied(docs.MANAGE_UNLINKED)
    version = _store(request, field, title=form.get("title"), entity_type=entity_type, entity_id=entity_id,
                     document_id=document_id)
    return Reply(document_json(version.document), status=201,
                 location=request.route_url("api.core.documents.read", id=version.document_id))


def download(request, call):
    from core import documents as docs

    document = _document(request, call.path["id"])
    try:
        version, fh = docs.open_version(request.dbsession, docs.blob_store(request), document, call.path["number"])
    except docs.VersionNotFound:
        raise ApiProblem(404, title_for(404)) from None
    except docs.BlobMissing:
        raise ApiProblem(500, title_for(500), _("The file of this version is missing from the document store."),
                         kind="blob-missing") from None
    response = Response(app_iter=FileIter(fh), content_type=version.content_type)
    try:
        response.content_length = os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError):
        pass
    response.headers["Content-Disposition"] = docs.content_disposition(version.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _jobs(request):
    return request.registry["mutuo.jobs"]


def _job(request, name):
    spec = _jobs(request).get(name)
    if spec is None:
        raise ApiProblem(404, title_for(404), _("There is no job named ${name} in the enabled plugins.",
                                                mapping={"name": name}))
    return spec


def jobs(request, call):
    from core.jobs import job_states, job_timezone

    states = job_states(request.dbsession, _jobs(request), job_timezone(request.registry.settings))
    return {"items": [{"name": s.spec.name, "description": s.spec.description, "schedule": s.schedule,
                       "paused": bool(s.paused), "time_limit": s.spec.time_limit} for s in states]}


def job_runs(request, call):
    spec = _job(request, call.path["name"])
    return select(JobRun).where(JobRun.job == spec.name)


def job_run_now(request, call):
    from core.audit import record_event
    from core.celery_app import enqueue_job

    spec = _job(request, call.path["name"])
    slot = enqueue_job(spec.name, "manual", request.user.username, time_limit=spec.time_limit, request=request)
    record_event(request.dbsession, "job_requested", "core.job", spec.name, {"job": spec.name, "slot": slot})
    return {"job": spec.name, "slot": slot}


def _events(request):
    from core.webhooks import webhook_events

    return webhook_events(request.registry["mutuo.pm"])


def webhook_events(request, call):
    return {"items": [{"name": name, "plugin": plugin, "description": str(event.description)}
                      for name, (plugin, event) in sorted(_events(request).items())]}


def webhooks(request, call):
    from core.models.api import WebhookEndpoint

    return select(WebhookEndpoint)


def webhook_create(request, call):
    from core import webhooks as hooks

    endpoint, secret = hooks.create_endpoint(
        request.dbsession, request.registry.settings, _events(request), url=call.body["url"],
        events=call.body["events"], description=call.body.get("description", ""), user_id=request.user.id)
    return Reply({**endpoint_json(endpoint), "secret": secret}, status=201,
                 location=request.route_url("api.core.webhooks.read", id=endpoint.id))


def _endpoint(request, ident):
    from core.models.api import WebhookEndpoint

    return get_visible_or_404(request, WebhookEndpoint, ident)


def webhook(request, call):
    return endpoint_json(_endpoint(request, call.path["id"]))


def webhook_update(request, call):
    from core import webhooks as hooks

    endpoint = _endpoint(request, call.path["id"])
    hooks.set_active(request.dbsession, endpoint, call.body["active"])
    return endpoint_json(endpoint)


def webhook_delete(request, call):
    from core import webhooks as hooks

    hooks.delete_endpoint(request.dbsession, _endpoint(request, call.path["id"]))
    return None


def webhook_deliveries(request, call):
    from core.models.api import WebhookDelivery

    endpoint = _endpoint(request, call.path["id"])
    return select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)


def redeliver(request, call):
    from core import webhooks as hooks
    from core.models.api import WebhookDelivery
    from core.web.webhook_views import deliver_soon

    delivery = get_visible_or_404(request, WebhookDelivery, call.path["id"])
    hooks.redeliver(request.dbsession, delivery)
    body = delivery_json(delivery)
    deliver_soon(request)
    return Reply(body, status=202)


# -- the declarations -----------------------------------------------------------------------------

def core_operations() -> list[Operation]:
    from core.models.api import WebhookDelivery, WebhookEndpoint

    page = lambda item: item  # noqa: E731  (a listing's response is its item schema)
    return [
        Operation("GET", "/me", "me", me, "core.dashboard.view", _("Who am I and what may I do"),
                  response=obj({"id": ID, "username": text(64), "full_name": text(200), "roles": array(text(64)),
                                "permissions": array(text(128)), "auth": {"enum": ["api_key", "session"]},
                                "key_prefix": nullable(text(12))}), tags=("core",)),
        Operation("GET", "/users", "users.list", users, "core.user.view", _("List users"), response=page(USER),
                  listing=Listing(User, user_json, filters={
                      "username": Filter(User.username, "contains"), "active": Filter(User.active)},
                      sorts={"username": User.username, "created_at": User.created_at})),
        Operation("GET", "/users/{id}", "users.read", user, "core.user.view", _("One user"), response=USER),
        Operation("GET", "/roles", "roles.list", roles, "core.role.view", _("List roles"), response=ROLE,
                  listing=Listing(Role, role_json, sorts={"name": Role.name})),
        Operation("GET", "/roles/{id}", "roles.read", role, "core.role.view", _("One role with its permissions"),
                  response=ROLE),
        Operation("GET", "/audit", "audit.list", audit, "core.audit.view", _("Read the audit log"),
                  description=_("Filters: entity_type, entity_id, actor, action, and a time range since/until."),
                  response=AUDIT, listing=Listing(AuditEntry, audit_json, filters={
                      "entity_type": Filter(AuditEntry.entity_type), "entity_id": Filter(AuditEntry.entity_id),
                      "actor": Filter(AuditEntry.actor), "action": Filter(AuditEntry.action),
                      "since": Filter(AuditEntry.at, "gte", description="From this time on (inclusive)."),
                      "until": Filter(AuditEntry.at, "lte", description="Up to this time (inclusive).")},
                      sorts={"at": AuditEntry.at}, default_sort="-id")),
        Operation("GET", "/documents", "documents.list", documents, "core.document.view",
                  _("List the documents one may see"), response=DOCUMENT,
                  listing=Listing(Document, document_json, filters={"title": Filter(Document.title, "contains")},
                                  sorts={"created_at": Document.created_at}, default_sort="-id")),
        Operation("POST", "/documents", "documents.upload", upload, "core.dashboard.view",
                  _("Upload a document, or a new version of one"),
                  description=_("Unlinked documents need core.document.manage; a document attached to a record "
                                "needs the record's edit permission."),
                  multipart=obj({"file": {"type": "string", "format": "binary"}, "title": text(200),
                                 "entity_type": text(64), "entity_id": text(64), "document_id": text(12)},
                                required=["file"]),
                  response=DOCUMENT, status=201, idempotent=True),
        Operation("GET", "/documents/{id}", "documents.read", document, "core.dashboard.view",
                  _("One document (the attached record decides who may see it)"), response=DOCUMENT),
        Operation("GET", "/documents/{id}/versions", "documents.versions", document_versions, "core.dashboard.view",
                  _("The versions of a document"), response=obj({"items": array(VERSION)})),
        Operation("GET", "/documents/{id}/versions/{number}/content", "documents.download", download,
                  "core.dashboard.view", _("Download one version's file"), raw=True, content_type="*/*",
                  path_params={"number": {"type": "integer", "minimum": 1, "maximum": 2147483647}}),
        Operation("GET", "/jobs", "jobs.list", jobs, "core.job.view", _("Scheduled jobs"),
                  response=obj({"items": array(JOB)})),
        Operation("GET", "/jobs/{name}/runs", "jobs.runs", job_runs, "core.job.view", _("A job's run history"),
                  path_params={"name": JOB_NAME}, response=RUN,
                  listing=Listing(JobRun, run_json, filters={"status": Filter(JobRun.status)},
                                  sorts={"started": JobRun.started}, default_sort="-id")),
        Operation("POST", "/jobs/{name}/run", "jobs.run", job_run_now, "core.job.run", _("Run a job now"),
                  path_params={"name": JOB_NAME}, status=202, response=obj({"job": text(100), "slot": text(40)})),
        Operation("GET", "/webhook-events", "webhooks.events", webhook_events, "core.webhook.manage",
                  _("The events endpoints may subscribe to"),
                  response=obj({"items": array(obj({"name": text(100), "plugin": text(64),
                                                    "description": {"type": "string"}}))})),
        Operation("GET", "/webhooks", "webhooks.list", webhooks, "core.webhook.manage", _("Webhook endpoints"),
                  response=ENDPOINT, listing=Listing(WebhookEndpoint, endpoint_json)),
        Operation("POST", "/webhooks", "webhooks.create", webhook_create, "core.webhook.manage",
                  _("Register a webhook endpoint"),
                  description=_("The answer holds the signing secret; it is never shown again."),
                  body=obj({"url": text(500, 1), "events": array(text(100, 1), minItems=1, maxItems=100),
                            "description": text(200)}, required=["url", "events"]),
                  response={**ENDPOINT, "properties": {**ENDPOINT["properties"], "secret": text(100)},
                            "required": [*ENDPOINT["required"], "secret"]}, status=201, idempotent=True),
        Operation("GET", "/webhooks/{id}", "webhooks.read", webhook, "core.webhook.manage", _("One webhook endpoint"),
                  response=ENDPOINT),
        Operation("PATCH", "/webhooks/{id}", "webhooks.update", webhook_update, "core.webhook.manage",
                  _("Turn an endpoint on or off"), body=obj({"active": {"type": "boolean"}}), response=ENDPOINT),
        Operation("DELETE", "/webhooks/{id}", "webhooks.delete", webhook_delete, "core.webhook.manage",
                  _("Delete an endpoint and its delivery log"), status=204),
        Operation("GET", "/webhooks/{id}/deliveries", "webhooks.deliveries", webhook_deliveries, "core.webhook.manage",
                  _("An endpoint's delivery log"), response=DELIVERY,
                  listing=Listing(WebhookDelivery, delivery_json, filters={
                      "status": Filter(WebhookDelivery.status), "event": Filter(WebhookDelivery.event)},
                      default_sort="-id")),
        Operation("POST", "/webhook-deliveries/{id}/redeliver", "webhooks.redeliver", redeliver, "core.webhook.manage",
                  _("Send a delivery again"), response=DELIVERY, status=202),
    ]


def core_webhook_events() -> list[WebhookEvent]:
    return [WebhookEvent("core.webhook.ping", _("A test event an administrator sends from the webhook screen."),
                         obj({"endpoint_id": ID, "message": text(200)}))]
