"""Requests and responses checked against the operations' JSON Schemas (draft 2020-12).

Two validators, each compiled once per schema: ``jsonschema-rs`` (compiled, ~50× faster) gives the
verdict, and only when it refuses does ``jsonschema`` list the violations with its messages (the
field errors a 422 shows). Both use the same ``date`` and ``date-time`` checks below; a value only
``jsonschema-rs`` refuses (its other formats are stricter) is accepted when ``jsonschema`` finds
nothing wrong, so the rules are ``jsonschema``'s.
"""
from __future__ import annotations

import json
import re
import threading
from datetime import date, datetime
from functools import lru_cache

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from core.api import ApiProblem
from core.i18n import _

_FORMATS = FormatChecker()


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("not an ISO date (YYYY-MM-DD)")
    date.fromisoformat(value)
    return True


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", value):
        raise ValueError("not an RFC 3339 date-time with a time zone")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _freeze(schema):
    return json.dumps(schema, sort_keys=True)


def _passes(check):
    def fmt(value: str) -> bool:
        try:
            return bool(check(value))
        except ValueError:
            return False
    return fmt


_RS_FORMATS = {"date": _passes(_is_date), "date-time": _passes(_is_datetime)}


@lru_cache(maxsize=4096)
def _validators(frozen: str) -> tuple[Draft202012Validator, jsonschema_rs.Draft202012Validator]:
    schema = json.loads(frozen)
    Draft202012Validator.check_schema(schema)
    return (Draft202012Validator(schema, format_checker=_FORMATS),
            jsonschema_rs.Draft202012Validator(schema, formats=_RS_FORMATS, validate_formats=True))


#: id(schema) -> (schema, validators): operations' schemas live as long as the app, so their
#: validators are found without serializing the schema on every request (the schema is kept in the
#: entry, so its id is never reused by another dict while the entry exists).
_BY_ID: dict[int, tuple[dict, tuple]] = {}
_BY_ID_LOCK = threading.Lock()
_BY_ID_MAX = 4096


def _pair(schema: dict):
    hit = _BY_ID.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    pair = _validators(_freeze(schema))
    with _BY_ID_LOCK:
        if len(_BY_ID) >= _BY_ID_MAX:
            _BY_ID.clear()
        _BY_ID[id(schema)] = (schema, pair)
    return pair


def validator(schema: dict) -> Draft202012Validator:
    """The ``jsonschema`` validator of ``schema`` (compiled once)."""
    return _pair(schema)[0]


def field_errors(schema: dict, instance, prefix: str = "") -> list[dict]:
    """``[{"field", "message"}]`` for every violation (empty when ``instance`` is valid)."""
    full, fast = _pair(schema)
    if fast.is_valid(instance):
        return []
    out = []
    for error in sorted(full.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [n for n in error.validator_value if n not in error.instance]
            path = path + missing[:1]
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            path = path + extra[:1]
        name = ".".join(path)
        out.append({"field": (prefix + name) if name else (prefix.rstrip(".") or None),
                    "message": _short(error.message)})
    return out


def _short(message: str) -> str:
    return message if len(message) <= 300 else message[:297] + "..."


def check_body(schema: dict, body) -> None:
    errors = field_errors(schema, body)
    if errors:
        raise ApiProblem(422, _("The request is not valid"), _("The JSON body does not match the operation's schema."),
                         kind="validation", errors=errors)


# -- query and path parameters: strings typed by their schema, then validated ---------

_INT = re.compile(r"-?[0-9]{1,19}")
_NUMBER = re.compile(r"-?[0-9]{1,19}(\.[0-9]{1,12})?")


def coerce(schema: dict, raw: str):
    """A query or path value typed as its schema says; the raw string when it cannot be (validation refuses it)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INT.fullmatch(raw):
        return int(raw)
    if "number" in kinds and _NUMBER.fullmatch(raw):
        return float(raw) if "." in raw else int(raw)
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


def check_params(schemas: dict[str, dict], raw: dict, where: str = "query") -> dict:
    """``raw`` (name -> string) typed and checked; problems listed per parameter (422)."""
    values, errors = {}, []
    for name, schema in schemas.items():
        if name not in raw:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        value = raw[name]
        if "\x00" in value:
            errors.append({"field": name, "message": "contains a NUL character"})
            continue
        value = coerce(schema, value)
        for err in field_errors(schema, value):
            errors.append({"field": name, "message": err["message"]})
        values[name] = value
    if errors:
        if where == "path":  # a path that names nothing valid names nothing: 404
            raise ApiProblem(404, _("Not found"), _("There is nothing at this address."))
        raise ApiProblem(422, _("The request is not valid"), _("A query parameter is not valid."),
                         kind="validation", errors=errors)
    return values
