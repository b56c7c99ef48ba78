"""Running it: `mutuo serve` on a taken port, the access log, `db upgrade` with nothing to do."""
from __future__ import annotations

import logging
import re
import socket

import webtest

from core.web.access_log import access_line
from tests.core.test_lifecycle import Install


def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path):
    install = Install(tmp_path)
    install.ok("", "db", "upgrade")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        result = install.cli("", "serve", "--port", str(port), "--no-worker")
    finally:
        taken.close()
        install.engine.dispose()
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use (another Mutuo?); stop it, or pick another port: "
        "mutuo serve --port N (make run PORT=N)."]
    assert "Traceback" not in result.output


def test_db_upgrade_says_already_up_to_date_when_nothing_changed(tmp_path):
    install = Install(tmp_path)
    try:
        assert "Upgraded: core" in install.ok("", "db", "upgrade")
        assert "Already up to date: core" in install.ok("", "db", "upgrade")
    finally:
        install.engine.dispose()


def test_access_line_format():
    assert access_line("GET", "/lending/loans?page=2", 200, 13.6, "admin") == "GET /lending/loans?page=2 200 14 ms admin"
    assert access_line("POST", "/login", 302, 0.2, None) == "POST /login 302 0 ms -"


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_access_log_one_line_per_request_with_the_user_only_when_included(mutuo_db, make_user):
    from core.web.app import make_app

    logger = logging.getLogger("mutuo.access")
    lines = Lines()
    logger.addHandler(lines)
    try:
        webtest.TestApp(mutuo_db.app).get("/login")  # the tests' app: no access log
        assert lines.lines == []
        settings = dict(mutuo_db.app.registry.settings, **{"pyramid.includes": "core.web.access_log"})
        app = webtest.TestApp(make_app(settings, pm=mutuo_db.app.registry["mutuo.pm"], engine=mutuo_db.engine),
                              extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
        username, password = make_user(permissions=("core.dashboard.view",))
        app.get("/nowhere", status=404)
        form = app.get("/login").forms[0]
        form["username"], form["password"] = username, password
        form.submit().follow()
    finally:
        logger.removeHandler(lines)
    assert re.fullmatch(r"GET /nowhere 404 \d+ ms -", lines.lines[0])
    assert re.fullmatch(r"GET /login 200 \d+ ms -", lines.lines[1])
    assert re.fullmatch(rf"POST /login 302 \d+ ms {username}", lines.lines[2])
    assert re.fullmatch(rf"GET / 200 \d+ ms {username}", lines.lines[3])
