"""Requests and responses checked against the operations' JSON Schemas (``jsonschema``, draft 2020-12)."""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

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
    import json

    return json.dumps(schema, sort_keys=True)


@lru_cache(maxsize=4096)
def _validator(frozen: str) -> Draft202012Validator:
    import json

    schema = json.loads(frozen)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_FORMATS)


def validator(schema: dict) -> Draft202012Validator:
    return _validator(_freeze(schema))


def field_errors(schema: dict, instance, prefix: str = "") -> list[dict]:
    """``[{"field", "message"}]`` for every violation (empty when ``instance`` is valid)."""
    out = []
    for error in sorted(validator(schema).iter_errors(instance), key=lambda e: list(map(str, e.path))):
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
