"""The worked example of docs/api.md, run as written: customer → application → loan → repayment → webhook.

The Python block of the section "Worked example" is executed with a stand-in for ``requests`` that
sends each call to the app in-process (webtest); then the deliveries job runs and the example's own
receiver (``on_webhook``) verifies every delivered event's signature with core.webhooks.verify_signature.
"""
from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest
import webtest
from sqlalchemy import func, select

from plugins.lending.models import Loan, Repayment

from .test_views import _today  # noqa: F401  (fixture: the business date)

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
ROOT = "http://erp.test"


def worked_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


class Response:
    def __init__(self, res):
        self.status_code, self.headers, self.content = res.status_int, res.headers, res.body

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise AssertionError(f"{self.status_code}: {self.content[:500]!r}")


class Session:
    """What the example uses of ``requests.Session``: ``headers``, ``post(url, json|data+files, headers)``."""

    def __init__(self, app):
        self.app, self.headers = app, {}

    def post(self, url, json=None, data=None, files=None, headers=None, timeout=None):
        assert url.startswith(ROOT) and timeout
        path, sent = url[len(ROOT):], {**self.headers, **(headers or {})}
        if files:
            uploads = [(name, spec[0], spec[1]) for name, spec in files.items()]
            res = self.app.post(path, data or {}, upload_files=uploads, headers=sent, expect_errors=True)
        else:
            res = self.app.post_json(path, json, headers=sent, expect_errors=True)
        return Response(res)


@pytest.fixture
def sender(webhook_sender):
    """Deliveries in memory, endpoints on hooks.example.com (core.testing's webhook_sender)."""
    return webhook_sender


def test_the_worked_example_runs_as_written(mutuo_db, make_user, clock, sender, run_job, monkeypatch):
    from core import context
    from core.apikeys import create_api_key, grantable_permissions
    from core.models.user import User
    from plugins.lending.testing import World

    username, _pw = make_user(roles=("admin", "operations_manager"))
    reg = mutuo_db.registry["mutuo.security"]

    def setup(s):
        context.bind(s, pm=mutuo_db.pm, settings=mutuo_db.settings)
        version = World(s, mutuo_db.documents, clock).product(code="SME-12", name="SME working capital")
        user = s.scalars(select(User).where(User.username == username)).one()
        return version.id, create_api_key(s, user, "worked example", reg, scope=grantable_permissions(user, reg))[1]
    version_id, key = mutuo_db.transaction(setup)

    monkeypatch.setenv("MUTUO_URL", ROOT)
    monkeypatch.setenv("MUTUO_API_KEY", key)
    monkeypatch.setenv("MUTUO_PRODUCT_VERSION", str(version_id))
    app = webtest.TestApp(mutuo_db.app)
    fake = types.ModuleType("requests")
    fake.Session = lambda: Session(app)
    monkeypatch.setitem(sys.modules, "requests", fake)

    example: dict = {}
    exec(compile(worked_example(), str(DOC), "exec"), example)  # noqa: S102 (our own documentation)

    loan, repayment = example["loan"], example["repayment"]
    assert loan["principal"] == "5000.00" and repayment["amount"] == "450.00"
    with mutuo_db.session_factory() as s:  # the replay posted nothing twice
        assert s.scalar(select(func.count()).select_from(Repayment)
                        .where(Repayment.reference == "BANK-2026-0001")) == 1
        assert s.get(Loan, loan["id"]).status == "active"

    assert sender.sent == []  # queued with the changes; the job sends them
    assert run_job("core.deliver_webhooks").status == "succeeded"
    received = {}
    for url, body, headers in sender.sent:
        assert url == "https://hooks.example.com/mutuo"
        status, event = example["on_webhook"](headers, body)
        assert status == 200 and event["event"] == headers["Mutuo-Event"]
        received[event["event"]] = event["data"]
        assert example["on_webhook"](headers, body + b" ")[0] == 400  # tampered
    assert received["lending.loan.disbursed"]["loan_id"] == loan["id"]
    assert received["lending.repayment.posted"] == {
        "repayment_id": repayment["id"], "loan_id": loan["id"], "reference": "BANK-2026-0001", "amount": "450.00",
        "paid_on": loan["disbursed_on"], "loan_status": "active"}
