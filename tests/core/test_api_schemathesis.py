"""Schemathesis against the live OpenAPI document, in-process (WSGI): no 5xx, every answer as documented.

Bounded (``MAX_EXAMPLES`` per operation, derandomized) so ``make test`` stays fast; set
``MUTUO_SCHEMATHESIS_EXAMPLES`` for a longer hunt. Runs with the sample plugin (core's
operations and a third party's); the plugins' own suites run it with theirs enabled.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

MAX_EXAMPLES = int(os.environ.get("MUTUO_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def admin_key(mutuo_db, make_user):
    from core.apikeys import create_api_key, grantable_permissions
    from core.models.user import User

    username, _pw = make_user(roles=("admin",))
    reg = mutuo_db.registry["mutuo.security"]

    def build(s):
        user = s.scalars(select(User).where(User.username == username)).one()
        return create_api_key(s, user, "schemathesis", reg, scope=grantable_permissions(user, reg))[1]
    return mutuo_db.transaction(build)


def test_api_conforms_to_its_document(mutuo_db, admin_key):
    """Every operation of the document, ``MAX_EXAMPLES`` generated requests each (an admin's key)."""
    from hypothesis import given

    headers = {"Authorization": f"Bearer {admin_key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", mutuo_db.app, headers=headers)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect them all: one report names every drifted operation
            failures.append(f"{operation.label}: {exc}")
    assert operations > 20
    assert not failures, "\n\n".join(failures)
