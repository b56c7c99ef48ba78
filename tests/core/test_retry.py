"""Requests and jobs retry on one rule (core.db.is_retryable): here, requests through pyramid_retry."""
import sqlite3

import webtest
from pyramid.config import Configurator
from pyramid.response import Response
from sqlalchemy.exc import OperationalError


def busy():
    orig = sqlite3.OperationalError("database is locked")
    orig.sqlite_errorcode = 5  # SQLITE_BUSY
    return OperationalError("UPDATE loan", {}, orig)


def app_raising(errors):
    calls = []

    def view(request):
        calls.append(request.environ["retry.attempt"])
        if errors:
            raise errors.pop(0)
        return Response("done")

    with Configurator(settings={"retry.attempts": "3"}) as config:
        config.include("pyramid_retry")
        config.add_tween("core.db.retry_tween_factory")
        config.add_route("x", "/x")
        config.add_view(view, route_name="x")
        return webtest.TestApp(config.make_wsgi_app()), calls


def test_a_request_that_meets_a_busy_database_runs_again():
    app, calls = app_raising([busy(), busy()])
    assert app.get("/x").text == "done"
    assert calls == [0, 1, 2]


def test_other_database_errors_are_not_retried():
    missing = sqlite3.OperationalError("no such table: loan")
    missing.sqlite_errorcode = 1
    app, calls = app_raising([OperationalError("SELECT", {}, missing)])
    try:
        app.get("/x")
    except OperationalError:
        pass
    assert calls == [0]
