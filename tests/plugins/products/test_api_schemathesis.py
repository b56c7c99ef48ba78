"""Schemathesis against the live document with products enabled: no 5xx, every answer as documented.

Bounded like core's (``MUTUO_SCHEMATHESIS_EXAMPLES``, default 12 per operation, derandomized); only
products' operations are fuzzed here (core's have their own run), over a catalog holding a draft,
an active product with two versions and a retired one, so generated ids sometimes find records.
"""
from __future__ import annotations

import os
from decimal import Decimal as D

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from tests.core.test_api_schemathesis import CHECKS

MAX_EXAMPLES = int(os.environ.get("MUTUO_SCHEMATHESIS_EXAMPLES", "12"))


@pytest.fixture
def mutuo_plugins():
    return ("products",)


@pytest.fixture
def manager_key(mutuo_db, make_user):
    from core.apikeys import create_api_key, grantable_permissions
    from core.models.user import User
    from plugins.products import services
    from plugins.products.testing import TERMS

    username, _pw = make_user(roles=("product_manager",))
    reg = mutuo_db.registry["mutuo.security"]

    def build(s):
        for n, status in enumerate(("draft", "active", "retired"), start=1):
            product = services.create_product(s, code=f"P-{n}", name=f"Product {n}", **TERMS)
            if status != "draft":
                services.activate(s, product)
                services.update_product(s, product, default_rate=D("0.10"))
            if status == "retired":
                services.retire(s, product)
        user = s.scalars(select(User).where(User.username == username)).one()
        return create_api_key(s, user, "schemathesis", reg, scope=grantable_permissions(user, reg))[1]
    return mutuo_db.transaction(build)


def test_products_api_conforms_to_its_document(mutuo_db, manager_key):
    headers = {"Authorization": f"Bearer {manager_key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", mutuo_db.app, headers=headers)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/products/"):
            continue
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
    assert operations == 10
    assert not failures, "\n\n".join(failures)
