"""The JSON API on the web: mount the declared operations, run them, answer problems.

Every operation of :mod:`core.api` becomes one route ``api.<plugin>.<name>`` at
``/api/v1/<plugin><path>`` with one view guarded by the operation's permission. The
view (:func:`run_operation`) validates path, query and body, applies the
Idempotency-Key, calls the handler, validates and serializes its answer. Errors
under ``/api/`` are RFC 9457 problem documents (:func:`problem_response`), which
core.web.shell's error views also use for that prefix: never HTML, never a traceback.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from decimal import Decimal

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy.sql import Select

from core.api import ApiCall, ApiProblem, Reply, title_for
from core.api import idempotency as idem
from core.api.openapi import anchor, build_document, success_schema
from core.api.pagination import list_params, paginate
from core.api.registry import api_registry, build_api_registry
from core.api.validation import check_body, check_params, field_errors
from core.config import is_development
from core.errors import ConflictError, UserError
from core.i18n import _, translate

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
SETTING_VALIDATE = "mutuo.api.validate_responses"  # strict (a 500 problem) | log | off


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


# -- problems -----------------------------------------------------------------------

def problem_body(request, status: int, title=None, detail=None, *, kind: str | None = None,
                 errors=None, **extra) -> dict:
    localizer = getattr(request, "localizer", None)
    body = {"type": f"urn:mutuo:problem:{kind}" if kind else "about:blank",
            "title": translate(title or title_for(status), localizer), "status": status,
            "detail": translate(detail, localizer) if detail is not None else None,
            "instance": request.path_info[:500],
            "request_id": getattr(request, "request_id", None)}
    if errors:
        body["errors"] = [{"field": e.get("field"), "message": translate(e.get("message", ""), localizer)}
                          for e in errors]
    body.update(extra)
    return body


def problem_response(request, status: int, title=None, detail=None, *, kind=None, errors=None,
                     headers=None, **extra) -> Response:
    body = problem_body(request, status, title, detail, kind=kind, errors=errors, **extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE,
                        charset="utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@view_config(context=ApiProblem, permission=NO_PERMISSION_REQUIRED)
def api_problem_view(exc, request):
    if exc.status >= 500:
        log.error("API problem %s on %s %s: %s", exc.status, request.method, request.path, exc.detail)
    return problem_response(request, exc.status, exc.title, exc.detail, kind=exc.kind, errors=exc.errors,
                            headers=exc.headers, **exc.extra)


# -- running an operation ---------------------------------------------------------------

def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number")


def _json_number(text: str):
    """A JSON number with a fraction or exponent: a Decimal, never a float (money); an integral one
    (``12.0``, ``1e3``) is the int JSON Schema 2020-12 says it is. Absurd sizes are refused."""
    value = Decimal(text)
    if value.adjusted() > 1000:
        raise ValueError("number too large")
    return int(value) if value == value.to_integral_value() else value


def _json_body(request):
    if request.content_type != "application/json":
        raise ApiProblem(415, title_for(415), _("Send the body as application/json."), kind="media-type")
    try:
        # Numbers with a fraction become Decimals, never floats (money); NaN and Infinity are not JSON.
        return json.loads(request.body.decode("utf-8") if request.body else "", parse_float=_json_number,
                          parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, title_for(400), _("The body is not valid JSON."), kind="json") from None


def _multipart(request, schema):
    if request.content_type != "multipart/form-data":
        raise ApiProblem(415, title_for(415), _("Send the body as multipart/form-data."), kind="media-type")
    files, form = {}, {}
    for name, value in request.POST.items():
        if hasattr(value, "file"):
            files[name] = value
        elif isinstance(value, str):
            form[name] = value
    props = schema.get("properties", {})
    shown = {**{k: v for k, v in form.items() if k in props}, **{k: "(file)" for k in files if k in props}}
    errors = field_errors(schema, shown)
    if errors:
        raise ApiProblem(422, title_for(422), _("The form does not match the operation's schema."),
                         kind="validation", errors=errors)
    return files, form


#: Members of every problem document: a refusal's ``extra`` never replaces them.
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "request_id", "errors",
                             "kind", "headers"})


def _extra(exc) -> dict:
    """A refusal's ``extra`` (``UserError(..., extra={...})``) as problem members, JSON-plain."""
    extra = getattr(exc, "extra", None) or {}
    return {k: json.loads(json.dumps(v, default=_plain)) for k, v in extra.items()
            if isinstance(k, str) and k not in PROBLEM_MEMBERS}


def _validate_mode(settings) -> str:
    return (settings.get(SETTING_VALIDATE) or ("strict" if is_development(settings) else "log")).strip()


def run_operation(request, mounted):
    op = mounted.op
    path = check_params(op.path_params, dict(request.matchdict or {}), "path")
    schemas = {**list_params(op.listing), **op.params} if op.listing is not None else op.params
    params = check_params(schemas, dict(request.GET.items()), "query")
    call = ApiCall(op, path, params)
    if op.body is not None:
        if not op.body_required and not request.body and not request.content_type:
            call.body = {} if op.body.get("type") == "object" else None  # an optional body left out
        else:
            call.body = _json_body(request)
            check_body(op.body, call.body)
    elif op.multipart is not None:
        call.files, call.form = _multipart(request, op.multipart)

    key = request.headers.get(idem.HEADER)
    if op.idempotent and key is not None:
        stored = idem.begin(request.dbsession, request.registry.settings, request.user.id, key, op.method,
                            request.path_info, request.body or b"")
        if stored is not None:
            response = Response(stored.response_body or "", status=stored.status, content_type="application/json",
                                charset="utf-8")
            response.headers["Idempotent-Replayed"] = "true"
            if stored.location:
                response.location = stored.location
            return response

    try:
        result = op.handler(request, call)
    except ConflictError as exc:
        raise ApiProblem(409, title_for(409), translate(exc), kind="conflict",
                         errors=[{"field": exc.field, "message": translate(exc)}], **_extra(exc)) from None
    except UserError as exc:
        raise ApiProblem(422, title_for(422), translate(exc), kind="refused",
                         errors=[{"field": exc.field, "message": translate(exc)}], **_extra(exc)) from None
    if op.raw:
        return result
    status, location, headers = op.status, None, {}
    if isinstance(result, Reply):
        status, location, headers, result = result.status or op.status, result.location, result.headers, result.body
    if op.listing is not None and isinstance(result, Select):
        result = paginate(request.dbsession, result, op.listing, params, request.registry.settings["mutuo.secret"])
    if status == 204:
        idem.finish(request.dbsession, 204, "", location)
        return Response(status=204)
    text = json.dumps(result, default=_plain, ensure_ascii=False, separators=(",", ":"))
    schema = success_schema(op)
    mode = _validate_mode(request.registry.settings)
    if status not in op.statuses and 200 <= status < 300 and mode != "off":
        log.error("API operation %s answered %s, not one of its statuses %s", mounted.operation_id, status,
                  op.statuses)
        if mode == "strict":
            raise ApiProblem(500, title_for(500), _("The answer did not match the documented schema."),
                             kind="response-schema")
    if schema is not None and status in op.statuses and mode != "off":
        errors = field_errors(schema, json.loads(text))  # the answer as the client reads it
        if errors:
            log.error("API response of %s breaks its schema: %s", mounted.operation_id, errors[:5])
            if mode == "strict":
                raise ApiProblem(500, title_for(500), _("The answer did not match the documented schema."),
                                 kind="response-schema")
    idem.finish(request.dbsession, status, text, location)
    response = Response(text, status=status, content_type="application/json", charset="utf-8")
    if location:
        response.location = location
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _operation_view(mounted):
    def view(request):
        return run_operation(request, mounted)
    view.__name__ = f"api_{mounted.route_name.replace('.', '_')}"
    view.__doc__ = mounted.op.summary
    return view


# -- the document and its page --------------------------------------------------------

def openapi_view(request):
    response = Response(json.dumps(request.registry["mutuo.api.document"], ensure_ascii=False),
                        content_type="application/json", charset="utf-8")
    response.cache_control = "private, max-age=60"
    return response


def docs_view(request):
    document = request.registry["mutuo.api.document"]
    groups: dict[str, list] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            groups.setdefault(op["tags"][0], []).append((method.upper(), path, op))
    # Summaries and descriptions in the reader's language (the document holds them as declared).
    declared = {m.operation_id: m.op for m in api_registry(request).operations}

    def describe(op) -> str:
        found = declared.get(op["operationId"])
        return translate(found.description) if found is not None and found.description else ""

    def summarize(op) -> str:
        found = declared.get(op["operationId"])
        return translate(found.summary) if found is not None else op.get("summary", "")

    return {"title": _("API reference"), "document": document, "groups": sorted(groups.items()),
            "describe": describe, "summarize": summarize,
            "anchor": anchor, "pretty": lambda v: json.dumps(v, indent=2, ensure_ascii=False)}


def includeme(config):
    from core.security import security_registry

    registry = config.registry
    pm = registry["mutuo.pm"]
    reg = build_api_registry(pm, set(security_registry(registry).permissions))
    registry["mutuo.api"] = reg
    registry["mutuo.api.document"] = build_document(reg)
    for mounted in reg.operations:
        config.add_route(mounted.route_name, mounted.path, request_method=mounted.op.method)
        config.add_view(_operation_view(mounted), route_name=mounted.route_name, permission=mounted.op.permission,
                        request_method=mounted.op.method)
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_view(openapi_view, route_name="api.openapi", permission="core.dashboard.view", request_method="GET")
    config.add_route("api.docs", "/api/v1/docs")
    config.add_view(docs_view, route_name="api.docs", permission="core.dashboard.view", request_method="GET",
                    renderer="core:web/templates/api_docs.pt")
    config.scan("core.web.api")


__all__ = ["api_registry", "problem_response", "is_api", "run_operation"]
