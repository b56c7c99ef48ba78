"""Issue 11 (identity): server-side sessions, scoped API keys, login throttling, account rules, hosts.

Each test fails on the code before the issue and passes now; none measures time: waits and
timeouts are moved by editing the stored timestamps.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import select, update

from core.models.audit import AuditEntry
from core.models.meta import utcnow
from core.models.user import ApiKey, LoginThrottle, User, UserSession
from core.testing import csrf_token, login

from .test_security import _token, choose_scope


def _user(session, username) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _app(mutuo_db, addr="127.0.0.1") -> webtest.TestApp:
    return webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": addr, "HTTP_HOST": "localhost"})


def _key(mutuo_db, username, scope=None, **kw) -> str:
    from core.apikeys import create_api_key

    reg = mutuo_db.registry["mutuo.security"]
    return mutuo_db.transaction(lambda s: create_api_key(s, _user(s, username), "test", reg, scope=scope, **kw)[1])


def _bearer(plain) -> dict:
    return {"Authorization": f"Bearer {plain}"}


# -- sessions ------------------------------------------------------------------

def test_logout_ends_the_session_on_the_server(logged_in):
    """Replaying the cookie of a logged-out session no longer works (it did for 8 hours)."""
    app = logged_in(("core.dashboard.view",))
    stolen = app.cookies["mutuo"]
    app.post("/logout", {"csrf_token": csrf_token(app)}, status=302)
    app.set_cookie("mutuo", stolen)
    assert "/login" in app.get("/", status=302).location


def test_idle_timeout_and_absolute_lifetime(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view",))
    app.get("/", status=200)
    with mutuo_db.session_factory() as s:  # idle for 31 minutes (default limit 30)
        s.execute(update(UserSession).values(last_seen=utcnow() - timedelta(minutes=31)))
        s.commit()
    assert "/login" in app.get("/", status=302).location

    login(app, app.username)
    with mutuo_db.session_factory() as s:  # active a minute ago, but logged in 9 hours ago (limit 8)
        s.execute(update(UserSession).where(UserSession.revoked_at.is_(None))
                  .values(created_at=utcnow() - timedelta(hours=9), last_seen=utcnow()))
        s.commit()
    assert "/login" in app.get("/", status=302).location


def test_last_seen_is_written_at_most_once_a_minute(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view",))
    with mutuo_db.session_factory() as s:
        first = s.scalars(select(UserSession.last_seen)).one()
    app.get("/")
    with mutuo_db.session_factory() as s:
        assert s.scalars(select(UserSession.last_seen)).one() == first  # no write on a fresh session
        s.execute(update(UserSession).values(last_seen=utcnow() - timedelta(minutes=2)))
        s.commit()
    app.get("/")
    with mutuo_db.session_factory() as s:
        assert utcnow() - s.scalars(select(UserSession.last_seen)).one() < timedelta(minutes=1)


def test_password_change_ends_other_sessions_and_keys_but_not_this_one(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view",))
    other = _app(mutuo_db, "10.0.0.2")
    login(other, app.username)
    plain = _key(mutuo_db, app.username)
    form = app.get("/account").forms["password"]
    form["old_password"] = "correct-horse-battery"
    form["new_password"] = form["new_password-confirm"] = "a-brand-new-password"
    form.submit("change_password", status=302)
    app.get("/", status=200)
    assert "/login" in other.get("/", status=302).location
    _app(mutuo_db).get("/api/me", headers=_bearer(plain), status=401)


def test_admin_password_reset_and_deactivation_end_sessions_and_keys(logged_in, make_user, mutuo_db):
    admin = logged_in(roles=("admin",))
    victim, password = make_user(permissions=("core.dashboard.view",))
    theirs = _app(mutuo_db, "10.0.0.3")
    login(theirs, victim, password)
    plain = _key(mutuo_db, victim)
    with mutuo_db.session_factory() as s:
        uid = _user(s, victim).id
    form = admin.get(f"/admin/users/{uid}/password").forms["deform"]
    form["password"] = form["password-confirm"] = "reset-by-the-admin-1"
    form.submit("reset", status=302)
    assert "/login" in theirs.get("/", status=302).location
    _app(mutuo_db).get("/api/me", headers=_bearer(plain), status=401)
    with mutuo_db.session_factory() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(uid)))]
    assert {"password_set", "sessions_revoked", "api_key_revoked"} <= set(actions)


def test_log_out_everywhere(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view",))
    other = _app(mutuo_db, "10.0.0.4")
    login(other, app.username)
    page = app.get("/account")
    assert len(page.html.select("#sessions tr")) == 3  # header + two live sessions
    form = [f for f in page.forms.values() if (f.action or "").endswith("/account/logout-everywhere")][0]
    assert "/login" in form.submit(status=302).location
    assert "/login" in app.get("/", status=302).location
    assert "/login" in other.get("/", status=302).location


# -- API keys ----------------------------------------------------------------------

NOTE_PERMS = ("core.dashboard.view", "sample.note.view", "sample.note.manage")


def test_api_key_default_scope_is_read_only(logged_in, mutuo_db):
    app = logged_in(NOTE_PERMS)
    api = _app(mutuo_db)
    plain = _key(mutuo_db, app.username)
    me = api.get("/api/me", headers=_bearer(plain)).json
    assert me["permissions"] == ["core.dashboard.view", "sample.note.view"]
    api.get("/sample/notes", headers=_bearer(plain), status=200)
    denied = api.post("/sample/notes", {"title": "x"}, headers=_bearer(plain), status=403).json
    assert denied["missing_permission"] == "sample.note.manage"


def test_api_key_never_exceeds_its_user(logged_in, mutuo_db):
    from core.accounts import set_role_permissions
    from core.models.user import Role

    app = logged_in(NOTE_PERMS)
    plain = _key(mutuo_db, app.username, scope=NOTE_PERMS)
    api = _app(mutuo_db)
    api.post("/sample/notes", {"title": "while allowed"}, headers=_bearer(plain), status=302)
    known = mutuo_db.registry["mutuo.security"].permissions
    mutuo_db.transaction(lambda s: set_role_permissions(
        s, s.scalars(select(Role).where(Role.name == f"r_{app.username}")).one(), ("core.dashboard.view", "sample.note.view"), known))
    api.post("/sample/notes", {"title": "after the role lost it"}, headers=_bearer(plain), status=403)
    from core.errors import UserError
    with pytest.raises(UserError, match="cannot hold core.audit.view"):
        _key(mutuo_db, app.username, scope=("core.audit.view",))


def test_api_keys_never_reach_account_key_password_or_user_pages(logged_in, make_user, mutuo_db):
    """Even an admin's key: session-only permissions are refused by the policy, whatever the scope."""
    admin = logged_in(roles=("admin",))
    from core.errors import UserError
    with pytest.raises(UserError, match="core.user.manage"):
        _key(mutuo_db, admin.username, scope=("core.user.manage",))
    with pytest.raises(UserError, match="core.account.manage"):
        _key(mutuo_db, admin.username, scope=("core.account.manage",))
    reg = mutuo_db.registry["mutuo.security"]
    plain = _key(mutuo_db, admin.username, scope=[p for p in reg.permissions if p not in ("core.user.manage", "core.account.manage")])
    # A key that somehow holds them anyway (an old row, a hand edit) gets nothing from them.
    with mutuo_db.session_factory() as s:
        s.execute(update(ApiKey).values(scope=ApiKey.scope + " core.user.manage core.account.manage"))
        s.commit()
        uid = _user(s, admin.username).id
        key_id = s.scalars(select(ApiKey.id)).one()
    api = _app(mutuo_db)
    api.get("/account", headers=_bearer(plain), status=403)
    api.post("/account", {"name": "minted", "create_key": "1"}, headers=_bearer(plain), status=403)
    api.post(f"/account/keys/{key_id}/revoke", headers=_bearer(plain), status=403)
    api.get(f"/admin/users/{uid}/password", headers=_bearer(plain), status=403)
    api.post(f"/admin/users/{uid}/keys/{key_id}/revoke", headers=_bearer(plain), status=403)
    api.get("/admin/users", headers=_bearer(plain), status=200)  # what the scope allows still works
    with mutuo_db.session_factory() as s:
        assert s.scalars(select(ApiKey)).one().revoked_at is None


def test_api_key_expiry_and_last_use(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view",))
    plain = _key(mutuo_db, app.username, expires_at=utcnow() + timedelta(days=1))
    _app(mutuo_db, "192.0.2.7").get("/api/me", headers=_bearer(plain), status=200)
    with mutuo_db.session_factory() as s:
        key = s.scalars(select(ApiKey)).one()
        assert key.last_used is not None and key.last_used_ip == "192.0.2.7"
        key.expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    _app(mutuo_db).get("/api/me", headers=_bearer(plain), status=401)
    page = app.get("/account")
    assert "192.0.2.7" in page.html.find(id="api-keys").text


def test_account_page_creates_a_scoped_expiring_key_and_admin_revokes_it(logged_in, make_user, mutuo_db):
    app = logged_in(NOTE_PERMS)
    form = app.get("/account").forms["apikey"]
    ticked = {b._value for b in form.fields["checkbox"] if b.checked}
    assert ticked == {"core.dashboard.view", "sample.note.view"}, "read-only is preselected"
    form["name"] = "export"
    choose_scope(form, ["sample.note.view"])
    form["expires"] = (utcnow() + timedelta(days=30)).date().isoformat()
    plain = form.submit("create_key").html.find(id="new-api-key").find("code").text
    with mutuo_db.session_factory() as s:
        key = s.scalars(select(ApiKey)).one()
        assert key.scope == "sample.note.view" and key.expires_at > utcnow() + timedelta(days=29)
        assert key.key_hash != plain and plain not in key.key_hash
        uid = key.user_id
    admin = _app(mutuo_db, "10.0.0.9")
    login(admin, make_user(roles=("admin",))[0])
    page = admin.get(f"/admin/users/{uid}")
    assert "sample.note.view" in page.html.find(id="user-api-keys").text
    revoke = [f for f in page.forms.values() if "/keys/" in (f.action or "")][0]
    revoke.submit(status=302)
    _app(mutuo_db).get("/sample/notes", headers=_bearer(plain), status=401)


def test_cli_apikeys_create_list_revoke(make_user, mutuo_db, tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    username, _ = make_user(permissions=NOTE_PERMS)
    ini = tmp_path / "cli.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {v.replace('%', '%%')}\n" for k, v in mutuo_db.settings.items()))
    run = lambda *args: CliRunner().invoke(main, ["-c", str(ini), "apikeys", *args])  # noqa: E731
    made = run("create", username, "--scope", "sample.note.view", "--expires", "2099-12-31")
    assert made.exit_code == 0, made.output
    plain = made.output.strip().splitlines()[-1]
    _app(mutuo_db).get("/sample/notes", headers=_bearer(plain), status=200)
    listed = run("list", username)
    assert "sample.note.view" in listed.output and "2100-01-01" in listed.output and "active" in listed.output
    refused = run("create", username, "--scope", "core.user.manage")
    assert refused.exit_code == 1 and "cannot hold core.user.manage" in refused.output
    with mutuo_db.session_factory() as s:
        key_id = s.scalars(select(ApiKey.id)).one()
    assert run("revoke", str(key_id)).exit_code == 0
    _app(mutuo_db).get("/sample/notes", headers=_bearer(plain), status=401)
    assert "revoked" in run("list").output


# -- login throttling ----------------------------------------------------------------

def _post_login(app, username, password):
    return app.post("/login", {"username": username, "password": password, "csrf_token": _token(app)}, status="*")


def test_throttle_waits_grow_per_username_and_address(make_user, mutuo_db):
    username, password = make_user(permissions=("core.dashboard.view",))
    app = _app(mutuo_db)
    for _ in range(5):
        assert "Wrong username or password." in _post_login(app, username.upper(), "wrong").text
    assert "wait 1 second" in _post_login(app, username, password).text  # counted case-insensitively
    with mutuo_db.session_factory() as s:
        row = s.get(LoginThrottle, (username.lower(), "127.0.0.1"))
        assert row.failures == 5
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the wait is over
        s.commit()
    assert "Wrong username or password." in _post_login(app, username, "wrong").text
    assert "wait 2 seconds" in _post_login(app, username, password).text  # the next wait doubled
    with mutuo_db.session_factory() as s:
        s.execute(update(LoginThrottle).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert _post_login(app, username, password).status_int == 302
    with mutuo_db.session_factory() as s:
        assert s.get(LoginThrottle, (username.lower(), "127.0.0.1")) is None  # success clears this pair


def test_throttle_answers_alike_for_unknown_and_known_users(make_user, mutuo_db):
    username, _ = make_user(permissions=("core.dashboard.view",))
    app = _app(mutuo_db)
    answers = {}
    for name in (username, "no-such-user"):
        texts = [_post_login(app, name, "wrong").text for _ in range(6)]
        answers[name] = [("Wrong" in t, "wait 1 second" in t) for t in texts]
    assert answers[username] == answers["no-such-user"] == [(True, False)] * 5 + [(False, True)]


@pytest.mark.postgres
def test_concurrent_guesses_reach_the_password_check_at_most_limit_times(make_user, mutuo_db, monkeypatch):
    """16 threads at once: the old read-modify-write let 39 real checks through; the limit is 5."""
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL)")
    import core.accounts
    from core.accounts import authenticate
    from core.audit import Actor, set_actor

    username, _ = make_user(permissions=("core.dashboard.view",))
    real_check = core.accounts.verify_password
    checks = []
    lock = threading.Lock()

    def counting_check(password_hash, password, settings=None):
        with lock:
            checks.append(password)
        return real_check(password_hash, password, settings)

    monkeypatch.setattr(core.accounts, "verify_password", counting_check)
    barrier = threading.Barrier(16)
    errors = []

    def guess(n):
        try:
            session = mutuo_db.session_factory()
            set_actor(session, Actor(None, f"guesser{n}"))
            barrier.wait()
            authenticate(session, username, f"guess-{n}", mutuo_db.settings, "203.0.113.5")
            session.commit()
            session.close()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(checks) == 5


# -- usernames and passwords ---------------------------------------------------------

def test_username_rules_apply_on_edit_as_on_create(logged_in, make_user, mutuo_db):
    from core.accounts import create_user
    from core.errors import UserError

    admin = logged_in(roles=("admin",))
    make_user("boss")
    with pytest.raises(UserError, match="already exists"):
        mutuo_db.transaction(lambda s: create_user(s, "BOSS", None))
    other, _ = make_user("clerk")
    with mutuo_db.session_factory() as s:
        uid = _user(s, other).id
    for bad, message in (("Boss", "already exists"), ("<b>x</b>", "Use 1–64 letters")):
        form = admin.get(f"/admin/users/{uid}/edit").forms["deform"]
        form["username"] = bad
        assert message in form.submit("save", status=400).text
    form = admin.get(f"/admin/users/{uid}/edit").forms["deform"]
    form["username"] = "Clerk.2"
    form.submit("save", status=302)
    with mutuo_db.session_factory() as s:
        assert s.get(User, uid).username == "Clerk.2"


@pytest.mark.parametrize("password, message", [
    ("password123", "commonly used"), ("Qwertyuiop", "commonly used"), ("Carol.Jones", "must not be the username"),
])
def test_common_passwords_and_the_username_are_refused(mutuo_db, password, message):
    from core.accounts import create_user
    from core.errors import UserError

    with pytest.raises(UserError, match=message):
        mutuo_db.transaction(lambda s: create_user(s, "carol.jones", password))


# -- hosts and request ids ------------------------------------------------------------

def test_unknown_host_is_refused_and_redirects_name_an_allowed_host(testapp, make_user):
    res = testapp.get("/login", headers={"Host": "evil.example"}, status=400)
    assert res.content_type == "text/plain" and "mutuo.allowed_hosts" in res.text
    testapp.get("/login", headers={"Host": "localhost:8080"}, status=200)  # the port does not matter
    username, password = make_user(permissions=("core.dashboard.view",))
    page = testapp.get("/login?next=/account")
    form = page.forms[0]
    form["username"], form["password"] = username, password
    assert form.submit(status=302).location == "http://localhost/account"


def test_allowed_hosts_setting():
    from core.config import ConfigError
    from core.web.hosts import allowed_hosts, host_allowed

    assert allowed_hosts({"mutuo.environment": "development"}) == ("127.0.0.1", "localhost")
    with pytest.raises(ConfigError, match="mutuo.allowed_hosts"):
        allowed_hosts({"mutuo.environment": "production"})
    hosts = allowed_hosts({"mutuo.allowed_hosts": "mutuo.example.com .branch.example"})
    assert host_allowed("Mutuo.Example.com:443", hosts) and host_allowed("a.branch.example", hosts)
    assert not host_allowed("mutuo.example.com.evil.net", hosts) and not host_allowed("evil/x", hosts)


@pytest.mark.parametrize("sent, kept", [
    ("trace-42.abc_X", True), ("x" * 64, True), ("x" * 65, False), ("<script>", False), ("a b", False),
])
def test_client_request_id_is_checked_before_the_audit_chain(testapp, mutuo_db, sent, kept):
    token = _token(testapp)
    testapp.post("/login", {"username": "nobody", "password": "x", "csrf_token": token},
                 headers={"X-Request-Id": sent}, status=400)
    with mutuo_db.session_factory() as s:
        stored = s.scalars(select(AuditEntry.request_id).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (stored == sent) is kept
    assert len(stored) <= 64


def test_cleanup_forgets_long_ended_sessions_and_stale_counters(logged_in, mutuo_db):
    from core import throttle
    from core.sessions import purge_ended

    app = logged_in(("core.dashboard.view",))
    login(_app(mutuo_db, "10.0.0.5"), app.username)
    _post_login(_app(mutuo_db), "someone", "wrong")
    _post_login(_app(mutuo_db), "someone-else", "wrong")
    long_ago = utcnow() - timedelta(days=8)
    with mutuo_db.session_factory() as s:
        old = s.scalars(select(UserSession).where(UserSession.ip == "10.0.0.5")).one()
        old.revoked_at = long_ago
        s.get(LoginThrottle, ("someone", "127.0.0.1")).last_attempt_at = long_ago
        s.commit()
    removed = mutuo_db.transaction(lambda s: (purge_ended(s, mutuo_db.settings), throttle.purge_stale(s, utcnow())))
    assert removed == (1, 1)
    app.get("/", status=200)  # the live session stays
    with mutuo_db.session_factory() as s:
        assert s.get(LoginThrottle, ("someone-else", "127.0.0.1")) is not None
