"""Infrastructure services (core.services): found one way everywhere, backends chosen by settings."""
from __future__ import annotations

import io
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pyramid.request import Request

from core import context
from core.clock import FrozenClock, SystemClock
from core.context import ServiceContextError
from core.documents import FilesystemBlobStore, MemoryBlobStore, TooLarge, blob_store
from core.documents.limits import BlobMissing
from core.errors import ConfigError
from core.jobs import job_platform
from core.jobs.execution import request_env
from core.services import (
    IBlobStore,
    IClock,
    IMessageGateways,
    IWebhookSender,
    find_in_registry,
    find_service,
)
from core.webhooks import HttpWebhookSender, MemoryWebhookSender, NullWebhookSender, sender_from_settings

IFACES = (IBlobStore, IClock, IMessageGateways, IWebhookSender)


def web_request(app):
    """A request made the way the app's router makes every request."""
    return app.request_context(Request.blank("/").environ)


@pytest.mark.parametrize("iface", IFACES, ids=lambda i: i.__name__)
def test_each_service_is_found_the_same_way_in_a_web_request_a_job_and_a_session(mutuo_db, iface):
    app = mutuo_db.app
    expected = find_in_registry(app.registry, iface)
    with web_request(app) as request:
        assert request.find_service(iface) is expected
        assert find_service(request, iface) is expected
        assert find_service(request.dbsession, iface) is expected
        request.dbsession.close()

    jobs = job_platform(mutuo_db.settings, base=mutuo_db.registry, engine=mutuo_db.engine)
    shared = find_in_registry(mutuo_db.registry, iface)
    with request_env(jobs, "test") as request:
        assert request.find_service(iface) is shared
        assert find_service(request.dbsession, iface) is shared

    session = mutuo_db.session_factory()  # a bound session, no request (tests, scripts, the CLI)
    try:
        assert find_service(session, iface) is shared
    finally:
        session.close()


def test_a_job_built_from_settings_alone_has_its_own_services(mutuo_db):
    jobs = job_platform(mutuo_db.settings, engine=mutuo_db.engine)
    with request_env(jobs, "test") as request:
        store = request.find_service(IBlobStore)
        assert isinstance(store, FilesystemBlobStore) and store is not blob_store(mutuo_db.registry)
        assert isinstance(request.find_service(IClock), SystemClock)
        assert blob_store(request) is store and blob_store(request.dbsession) is store


def test_a_session_made_outside_the_platform_needs_a_registry(mutuo_db):
    from core.db import get_session_factory

    session = get_session_factory(mutuo_db.engine)()
    try:
        with pytest.raises(ServiceContextError, match="registry"):
            find_service(session, IBlobStore)
        assert context.today(session) == SystemClock().today()  # today() still works: the system clock
        context.bind(session, registry=mutuo_db.registry)
        assert find_service(session, IBlobStore) is blob_store(mutuo_db.registry)
    finally:
        session.close()


def test_backends_are_chosen_by_settings(mutuo_db):
    settings = {**mutuo_db.settings, "mutuo.documents.backend": "memory", "mutuo.clock.backend": "frozen",
                "mutuo.webhooks.backend": "memory"}
    jobs = job_platform(settings, engine=mutuo_db.engine)
    assert isinstance(find_in_registry(jobs, IBlobStore), MemoryBlobStore)
    assert isinstance(find_in_registry(jobs, IClock), FrozenClock)
    assert isinstance(find_in_registry(jobs, IWebhookSender), MemoryWebhookSender)
    # defaults: the filesystem, the system clock, and no webhooks sent in development/testing
    assert isinstance(find_in_registry(mutuo_db.registry, IBlobStore), FilesystemBlobStore)
    assert type(find_in_registry(mutuo_db.registry, IClock)) is SystemClock
    assert isinstance(find_in_registry(mutuo_db.registry, IWebhookSender), NullWebhookSender)
    assert isinstance(sender_from_settings({"mutuo.environment": "production"}), HttpWebhookSender)


def test_a_backend_may_be_a_dotted_factory(mutuo_db):
    settings = {**mutuo_db.settings, "mutuo.clock.backend": "core.clock:FrozenClock"}
    assert isinstance(find_in_registry(job_platform(settings, engine=mutuo_db.engine), IClock), FrozenClock)


@pytest.mark.parametrize("key", ["mutuo.documents.backend", "mutuo.clock.backend", "mutuo.webhooks.backend"])
def test_an_unknown_backend_stops_the_start_up_with_one_line(mutuo_db, key):
    from core.web.app import make_app

    settings = {**mutuo_db.settings, key: "carrier-pigeon"}
    with pytest.raises(ConfigError) as caught:
        make_app(settings, pm=mutuo_db.pm, engine=mutuo_db.engine)
    message = str(caught.value)
    assert "\n" not in message and key in message and "carrier-pigeon" in message
    with pytest.raises(ConfigError):
        job_platform(settings, engine=mutuo_db.engine)
    with pytest.raises(ConfigError, match="cannot be imported"):
        job_platform({**mutuo_db.settings, key: "nowhere.at_all:factory"}, engine=mutuo_db.engine)


# -- the clock ------------------------------------------------------------------------------

def test_the_clock_fixture_is_the_clock_of_sessions_jobs_and_pages(clock, mutuo_db, dbsession):
    clock.day = date(2024, 2, 29)
    assert context.today(dbsession) == date(2024, 2, 29)
    assert find_in_registry(mutuo_db.app.registry, IClock) is clock
    with web_request(mutuo_db.app) as request:
        assert context.today(request.dbsession) == date(2024, 2, 29)
        request.dbsession.close()
    jobs = job_platform(mutuo_db.settings, base=mutuo_db.registry, engine=mutuo_db.engine)
    with request_env(jobs, "test") as request, clock.at(date(2025, 1, 1)):
        assert context.today(request.dbsession) == date(2025, 1, 1)
    assert context.today(dbsession) == date(2024, 2, 29)
    with context.as_of(dbsession, date(2020, 5, 5)):  # as_of still wins over the clock
        assert context.today(dbsession) == date(2020, 5, 5)


def test_without_the_fixture_the_system_clock_is_back(mutuo_db, dbsession):
    assert type(find_in_registry(mutuo_db.registry, IClock)) is SystemClock
    assert type(find_in_registry(mutuo_db.app.registry, IClock)) is SystemClock
    assert context.today(dbsession) == SystemClock().today(mutuo_db.settings.get("mutuo.timezone") or "UTC")


def test_frozen_clock():
    frozen = FrozenClock(date(2024, 1, 31))
    assert frozen.today("Pacific/Kiritimati") == date(2024, 1, 31)
    assert frozen.now().isoformat() == "2024-01-31T12:00:00+00:00"
    with frozen.at(date(2024, 3, 1)):
        assert frozen.today() == date(2024, 3, 1)
    assert frozen.day == date(2024, 1, 31)
    frozen.day = None
    assert frozen.today() == SystemClock().today()


# -- the memory blob store ---------------------------------------------------------------------

def test_memory_blob_store_keeps_the_store_contract():
    store = MemoryBlobStore()
    sha, size = store.put(io.BytesIO(b"hello"))
    assert size == 5 and store.exists(sha) and store.hash_of(sha) == sha
    assert store.open(sha).read() == b"hello"
    assert [b.sha for b in store.iter_blobs()] == [sha]
    with pytest.raises(TooLarge):
        store.put(io.BytesIO(b"x" * 10), max_size=9)

    def refuse():
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.put(io.BytesIO(b"refused"), check=refuse)
    assert len(store.blobs) == 1
    assert store.delete(sha) and not store.delete(sha) and not store.exists(sha)
    with pytest.raises(BlobMissing):
        store.open(sha)


# -- the webhooks sender ---------------------------------------------------------------------------

def test_null_and_memory_webhook_senders():
    assert NullWebhookSender().send("https://example.test/hook", b"{}", {}) == 204
    memory = MemoryWebhookSender(status=202)
    assert memory.send("https://example.test/hook", b'{"a": 1}', {"Content-Type": "application/json"}) == 202
    assert memory.sent == [("https://example.test/hook", b'{"a": 1}', {"Content-Type": "application/json"})]


@pytest.fixture
def hook_server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body, self.headers.get("X-Signature")))
            self.send_response(418 if self.path == "/teapot" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_http_webhook_sender_posts_and_returns_the_status(hook_server):
    base, received = hook_server
    sender = HttpWebhookSender(timeout=5)
    assert sender.send(f"{base}/hook", b'{"event": "paid"}', {"X-Signature": "abc"}) == 200
    assert sender.send(f"{base}/teapot", b"{}", {}) == 418  # an error answer is a status, not an exception
    assert received[0] == ("/hook", b'{"event": "paid"}', "abc")
    with pytest.raises(ValueError, match="http"):
        sender.send("file:///etc/passwd", b"", {})


def test_webhook_timeout_setting():
    assert sender_from_settings({"mutuo.webhooks.backend": "http", "mutuo.webhooks.timeout": "2.5"}).timeout == 2.5
    with pytest.raises(ConfigError, match="mutuo.webhooks.timeout"):
        sender_from_settings({"mutuo.webhooks.backend": "http", "mutuo.webhooks.timeout": "soon"})
