"""The two validators behind the API's checks agree: jsonschema-rs decides, jsonschema explains."""
from __future__ import annotations

import pytest

from core.api.validation import field_errors, validator

DATE = {"type": "string", "format": "date"}
STAMP = {"type": "string", "format": "date-time"}
ROW = {"type": "object", "required": ["id", "on"], "additionalProperties": False,
       "properties": {"id": {"type": "integer", "minimum": 1}, "on": DATE, "at": STAMP,
                      "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}}}


@pytest.mark.parametrize("value, ok", [
    ("2026-02-28", True), ("2026-02-30", False), ("2026-2-3", False), ("20260228", False), (7, False)])
def test_dates_are_checked_by_both(value, ok):
    assert (field_errors(DATE, value) == []) is ok


@pytest.mark.parametrize("value, ok", [
    ("2026-02-28T10:00:00Z", True), ("2026-02-28T10:00:00.123+01:00", True),
    ("2026-02-28T10:00:00", False), ("2026-02-28", False), ("2026-02-28T25:00:00Z", False)])
def test_date_times_need_a_zone(value, ok):
    assert (field_errors(STAMP, value) == []) is ok


@pytest.mark.parametrize("instance", [
    {"id": 1, "on": "2026-01-01"},
    {"id": 0, "on": "2026-01-01"},
    {"id": 1},
    {"id": 1, "on": "2026-01-01", "extra": True},
    {"id": 1, "on": "2026-01-01", "tags": ["ok", "toolong"]},
    {"id": "1", "on": "2026-13-01", "at": "yesterday"},
])
def test_the_verdict_is_jsonschemas(instance):
    expected = [str(e.message) for e in validator(ROW).iter_errors(instance)]
    errors = field_errors(ROW, instance)
    assert bool(errors) == bool(expected)
    assert len(errors) == len(expected)


def test_field_names_of_violations():
    fields = {e["field"] for e in field_errors(ROW, {"id": 0, "extra": 1, "tags": ["long!"]})}
    assert fields == {"id", "on", "extra", "tags.0"}


def test_a_schema_is_compiled_once():
    schema = {"type": "integer"}
    assert validator(schema) is validator(schema)
    assert validator(schema) is validator({"type": "integer"})  # an equal schema: the same validator
