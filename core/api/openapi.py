"""The OpenAPI 3.1 document, assembled from the mounted operations at start-up."""
from __future__ import annotations

import copy
import re

from core.api import API_PREFIX, UNSAFE, array, nullable, obj, text
from core.api.pagination import list_params
from core.i18n import translate

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": ["string", "null"]},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,
}

ERROR_STATUSES = {
    400: "The request is malformed (not JSON, a bad header).",
    401: "No valid credentials: send `Authorization: Bearer <api key>` or log in.",
    403: "The key or user lacks the operation's permission, or the CSRF header is missing.",
    404: "Nothing at this address, or a record the caller may not see.",
    409: "The record's state refuses it, or the Idempotency-Key was used for another request.",
    422: "The query, path or body does not match the schema, or the service refused the values.",
    429: "Too many requests.",
    500: "An internal error; logged under the problem's request_id.",
}


SUCCESS = {200: "Success.", 201: "Created.", 202: "Accepted."}


def page_schema(item: dict) -> dict:
    return obj({"items": array(item), "next_cursor": nullable(text(600))})


def _parameters(m) -> list[dict]:
    op = m.op
    params = [{"name": name, "in": "path", "required": True, "schema": schema}
              for name, schema in op.path_params.items()]
    query = dict(op.params)
    if op.listing is not None:
        query = {**list_params(op.listing), **query}
    for name, schema in query.items():
        spec = {"name": name, "in": "query", "required": False, "schema": schema}
        if schema.get("description"):
            spec["description"] = schema["description"]
        params.append(spec)
    if op.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "A unique key per intended request: a retry with the same key and body "
                                      "answers the first response; another body is refused (409).",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "pattern": "^[\\x21-\\x7e]+$"}})
    return params


def success_schema(op) -> dict | None:
    if op.listing is not None:
        return page_schema(op.response or {})
    return op.response


def _operation(m) -> dict:
    op = m.op
    doc = {
        "operationId": m.operation_id,
        "summary": translate(op.summary),
        "tags": list(op.tags) or [m.plugin],
        "x-permission": op.permission,
        "parameters": _parameters(m),
        "responses": {},
    }
    if op.description:
        doc["description"] = translate(op.description)
    doc["description"] = (doc.get("description", "") + f"\n\nPermission: `{op.permission}`.").strip()
    if op.deprecated:
        doc["deprecated"] = True
    if op.body is not None:
        doc["requestBody"] = {"required": op.body_required,
                              "content": {"application/json": {"schema": copy.deepcopy(op.body)}}}
    elif op.multipart is not None:
        doc["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": copy.deepcopy(op.multipart)}}}
    if op.raw:
        doc["responses"][str(op.status)] = {"description": "The content.", "content": {op.content_type: {
            "schema": {"type": "string", "format": "binary"}}}}
    elif op.status == 204:
        doc["responses"]["204"] = {"description": "Done; no content."}
    else:
        schema = success_schema(op)
        for status in op.statuses:
            if status == 204:
                doc["responses"]["204"] = {"description": "Done; no content."}
                continue
            doc["responses"][str(status)] = {"description": SUCCESS.get(status, "Success."), "content": {
                "application/json": {"schema": copy.deepcopy(schema) if schema is not None else {}}}}
    statuses = [400, 401, 403, 422, 429, 500]
    if op.path_params or op.method in UNSAFE:
        statuses.append(404)
    if op.method in UNSAFE:
        statuses.append(409)
    if op.multipart is not None:
        statuses += [413, 415]
    for status in sorted(statuses):
        doc["responses"][str(status)] = {"$ref": f"#/components/responses/Problem{status}"} if status in ERROR_STATUSES \
            else {"description": "A problem.", "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}
    return doc


def build_document(api_registry, *, title: str = "Mutuo API", version: str = "1") -> dict:
    paths: dict[str, dict] = {}
    for m in api_registry.operations:
        paths.setdefault(m.path, {})[m.op.method.lower()] = _operation(m)
    tags = sorted({t for m in api_registry.operations for t in (m.op.tags or (m.plugin,))})
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": title, "version": version,
                 "description": "Every operation of the enabled plugins. Errors are RFC 9457 problem documents "
                                "(application/problem+json). See docs/api.md."},
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in tags],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal API key (Account > API keys): its scope ∩ the user's "
                                              "permissions."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "mutuo",
                                  "description": "A login session; unsafe methods need the X-CSRF-Token header."},
            },
            "schemas": {"Problem": PROBLEM},
            "responses": {f"Problem{status}": {"description": text_, "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                for status, text_ in ERROR_STATUSES.items()},
        },
        "webhooks": _webhooks(api_registry),
    }


def _webhooks(api_registry) -> dict:
    out = {}
    for name, (_plugin, event) in sorted(api_registry.events.items()):
        data = event.payload or {"type": "object"}
        out[name] = {"post": {
            "summary": translate(event.description),
            "description": "Signed: `Mutuo-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' + body)>`.",
            "requestBody": {"content": {"application/json": {"schema": obj({
                "id": {"type": "string"}, "event": {"type": "string", "const": name},
                "created": {"type": "string", "format": "date-time"}, "data": data})}}},
            "responses": {"2XX": {"description": "Received; any other answer is retried with back-off."}},
        }}
    return out


_SLUG = re.compile(r"[^a-z0-9]+")


def anchor(operation_id: str) -> str:
    return "op-" + _SLUG.sub("-", operation_id.lower()).strip("-")


def api_path(plugin: str, path: str) -> str:
    return f"{API_PREFIX}/{plugin}{path}"
