"""Identity and access: the authorization matrix, login hygiene, API keys, record rules."""

import pytest
import webtest
from pyramid.interfaces import IRoutesMapper
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from core.models.user import User
from core.plugins import available_plugins
from core.testing import csrf_token, login

# The only views anyone may reach without logging in.
PUBLIC_ROUTES = {"login", "logout", "health", "__static/deform/", "__static/core/",
                 # customer service's pages for customers: the notice board feed, the contact form, the
                 # satisfaction survey (by its token) and a mail provider's webhook (by a shared secret)
                 "service.notices", "service.contact", "service.survey", "service.inbound_email",
                 # marketing: the short link, the sign-up page it leads to, the opt-out link of its messages
                 "marketing.redirect", "marketing.join", "marketing.unsubscribe"}
# Protected routes whose success ends the caller's own session.
ENDS_SESSION = {"account.logout_everywhere"}


def _match_params(view) -> dict:
    """Placeholder values a view insists on (``match_param="action=submit"``)."""
    raw = view.get("match_param", None)
    if not raw:
        return {}
    items = [raw] if isinstance(raw, str) else list(raw)
    return dict(item.split("=", 1) for item in items)


def route_views(registry):
    """[(route, request_methods, permission, match_params)] for every view registered on a route."""
    mapper = registry.getUtility(IRoutesMapper)
    introspector = registry.introspector
    found = []
    for intr in introspector.get_category("views"):
        view = intr["introspectable"]
        route_name = view["route_name"]
        if route_name is None:
            continue  # exception/notfound views: no URL of their own
        perm_intrs = [r for r in intr["related"] if r.category_name == "permissions"]
        permission = perm_intrs[0]["value"] if perm_intrs else None
        methods = view["request_methods"] or ("GET",)
        if isinstance(methods, str):
            methods = (methods,)
        found.append((route_name, tuple(methods), permission, _match_params(view)))
    routes = {r.name: r for r in mapper.get_routes()}
    return found, routes


ALL_PLUGINS = tuple(available_plugins())  # every installed plugin, the sample included
EVERY_SET = pytest.mark.parametrize("mutuo_plugins", [("sample",), ALL_PLUGINS], ids=["sample", "all-plugins"])


@EVERY_SET
def test_every_view_declares_a_permission_or_is_public(mutuo_db):
    views, _ = route_views(mutuo_db.app.registry)
    assert views
    for route, methods, permission, _params in views:
        if route in PUBLIC_ROUTES:
            assert permission == NO_PERMISSION_REQUIRED, f"public view {route} must say NO_PERMISSION_REQUIRED"
        else:
            assert permission and permission != NO_PERMISSION_REQUIRED, f"view on route {route} {methods} declares no permission"
            assert permission in mutuo_db.registry["mutuo.security"].permissions, f"{route}: undeclared {permission}"


def _url_for(route, id_value="1", params=None):
    """A concrete URL for a route pattern; constrained placeholders get a value that matches."""
    import re

    def fill(match):
        if params and match.group(1) in params:
            return params[match.group(1)]
        regex = match.group(2) or "[^/]+"
        candidates = [id_value, *re.findall(r"[A-Za-z_][A-Za-z_0-9-]*", regex), "a"]
        return next(c for c in candidates if re.fullmatch(regex, c))

    pattern = route.pattern if route.pattern.startswith("/") else "/" + route.pattern
    return re.sub(r"\{(\w+)(?::([^}]+))?\}", fill, pattern)


@EVERY_SET
def test_authorization_matrix(mutuo_db, testapp, make_user):
    """For every protected route: anonymous → login/401, lacking → 403, holding → not 403."""
    views, routes = route_views(mutuo_db.app.registry)
    protected = [(r, m, p, mp) for r, m, p, mp in views
                 if r not in PUBLIC_ROUTES and not r.startswith("__") and p != NO_PERMISSION_REQUIRED]
    assert len(protected) >= 10
    perms = sorted({p for _r, _m, p, _mp in protected})
    holders = {}
    for perm in perms:
        holders[perm] = make_user(permissions=(perm,) if perm == "core.dashboard.view" else ("core.dashboard.view", perm))
    lacking = make_user(permissions=("core.dashboard.view",))
    import webtest

    anon = webtest.TestApp(mutuo_db.app)
    for route_name, methods, _perm, params in protected:
        url = _url_for(routes[route_name], params=params)
        for method in methods:
            if method not in ("GET", "POST"):
                continue
            call = anon.get if method == "GET" else anon.post
            res = call(url, expect_errors=True)
            assert res.status_int in (302, 401), f"anonymous {method} {url}: {res.status}"
            if res.status_int == 302:
                assert "/login" in res.location
            res = call(url, headers={"Accept": "application/json"}, expect_errors=True)
            assert res.status_int == 401 or method == "POST", f"anonymous JSON {method} {url}: {res.status}"
    for who, _allowed in ((lacking, False), *((holders[p], True) for p in perms)):
        app = webtest.TestApp(mutuo_db.app)
        login(app, *who)
        token = csrf_token(app)
        # Every login session holds core.account.manage (its own account pages).
        held = {p for p in perms if holders[p] == who} | {"core.dashboard.view", "core.account.manage"}
        for route_name, methods, perm, params in protected:
            url = _url_for(routes[route_name], params=params)
            for method in methods:
                if method == "GET":
                    res = app.get(url, expect_errors=True)
                elif method == "POST":
                    res = app.post(url, {"csrf_token": token}, expect_errors=True)
                else:
                    continue
                if perm in held:
                    assert res.status_int != 403, f"{who[0]} holding {perm}: {method} {url} → 403"
                    assert res.status_int < 500, f"{who[0]} {method} {url} → {res.status}"
                else:
                    assert res.status_int == 403, f"{who[0]} lacking {perm}: {method} {url} → {res.status}"
                    if method == "GET":
                        assert perm in res.text, "the 403 page names the missing permission"
                if route_name in ENDS_SESSION and res.status_int == 302:
                    login(app, *who)  # that request logged this user out: log in again for the rest
                    token = csrf_token(app)


def test_wrong_password_is_generic_and_throttled_after_five(testapp, make_user, mutuo_db):
    """Five failures from one address make that pair wait; the account itself is never locked."""
    username, password = make_user(permissions=("core.dashboard.view",))
    unknown = testapp.post("/login", {"username": "nobody", "password": "x", "csrf_token": _token(testapp)}, status=400)
    for _ in range(5):
        res = testapp.post("/login", {"username": username, "password": "wrong", "csrf_token": _token(testapp)}, status=400)
        assert "Wrong username or password." in res.text
    assert "Wrong username or password." in unknown.text
    waiting = testapp.post("/login", {"username": username, "password": password, "csrf_token": _token(testapp)}, status=400)
    assert "Too many failed logins for this username from your address; wait 1 second" in waiting.text
    elsewhere = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "10.9.8.7"})
    login(elsewhere, username, password)  # no hard lock: another address logs in at once


def choose_scope(form, permissions):
    """Tick exactly ``permissions`` in the API key form's scope checkboxes (deform names them 'checkbox')."""
    boxes = form.fields["checkbox"]
    assert set(permissions) <= {b._value for b in boxes}, "every wanted permission is offered"
    for box in boxes:
        box.checked = box._value in permissions


def _token(app):
    return app.get("/login").html.find("input", {"name": "csrf_token"})["value"]


def test_csrf_rejected_without_token(logged_in):
    app = logged_in(("core.dashboard.view", "sample.note.manage", "sample.note.view"))
    res = app.post("/sample/notes", {"title": "x"}, status=400)
    assert "Traceback" not in res.text
    app.post("/sample/notes", {"title": "x", "csrf_token": "forged"}, status=400)


def test_session_id_rotated_at_login(testapp, make_user):
    username, password = make_user(permissions=("core.dashboard.view",))
    testapp.get("/login")
    before = testapp.cookies.get("mutuo")
    login(testapp, username, password)
    assert testapp.cookies.get("mutuo") != before


def test_deactivated_user_loses_session_and_keys(logged_in, mutuo_db):
    from core.accounts import set_active
    from core.apikeys import create_api_key

    app = logged_in(("core.dashboard.view",))
    username = app.username
    reg = mutuo_db.registry["mutuo.security"]
    _key, plain = mutuo_db.transaction(lambda s: create_api_key(s, s.scalars(select(User).where(User.username == username)).one(), "k", reg))
    app.get("/api/me", headers={"Authorization": f"Bearer {plain}"}, status=200)
    mutuo_db.transaction(lambda s: set_active(s, s.scalars(select(User).where(User.username == username)).one(), False))
    res = app.get("/", status=302)
    assert "/login" in res.location
    app.get("/api/me", headers={"Authorization": f"Bearer {plain}"}, status=401)


def test_api_key_auth_revocation_and_no_csrf(logged_in, testapp, mutuo_db):
    import webtest

    app = logged_in(("core.dashboard.view", "sample.note.view", "sample.note.manage"))
    page = app.get("/account")
    form = page.forms["apikey"]
    form["name"] = "integration"
    choose_scope(form, ["core.dashboard.view", "sample.note.view", "sample.note.manage"])
    res = form.submit("create_key")
    plain = res.html.find(id="new-api-key").find("code").text
    api = webtest.TestApp(mutuo_db.app)
    me = api.get("/api/me", headers={"Authorization": f"Bearer {plain}"}).json
    assert me["username"] == app.username and "sample.note.view" in me["permissions"]
    # A key is not sent by browsers on their own: no CSRF token needed.
    api.post("/sample/notes", {"title": "via api"}, headers={"Authorization": f"Bearer {plain}"}, status=302)
    api.get("/api/me", headers={"Authorization": "Bearer mutuo_wrong"}, status=401)
    page = app.get("/account")
    revoke = [f for f in page.forms.values() if "revoke" in (f.action or "")][0]
    revoke.submit()
    api.get("/api/me", headers={"Authorization": f"Bearer {plain}"}, status=401)


def test_change_own_password_rules(logged_in):
    app = logged_in(("core.dashboard.view",))
    form = app.get("/account").forms["password"]
    form["old_password"] = "wrong"
    form["new_password"] = form["new_password-confirm"] = "another-long-password"
    assert "current password is wrong" in form.submit("change_password", status=400).text
    form = app.get("/account").forms["password"]
    form["old_password"] = "correct-horse-battery"
    form["new_password"] = form["new_password-confirm"] = "short"
    assert "at least 10" in form.submit("change_password", status=400).text
    form = app.get("/account").forms["password"]
    form["old_password"] = "correct-horse-battery"
    form["new_password"] = form["new_password-confirm"] = app.username
    form["new_password"] = form["new_password-confirm"] = app.username.upper() if len(app.username) >= 10 else app.username
    form.submit("change_password", status=400)
    form = app.get("/account").forms["password"]
    form["old_password"] = "correct-horse-battery"
    form["new_password"] = form["new_password-confirm"] = "a-brand-new-password"
    form.submit("change_password", status=302)
    app.get("/", status=200)  # this session survives its own password change


def test_security_headers_and_cookie_flags(testapp):
    res = testapp.get("/login")
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["Referrer-Policy"]
    cookie = res.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_record_rules_on_list_detail_and_export(mutuo_db, make_user, testapp):
    import webtest

    from mutuo_sample.models import Note

    owner, pw = make_user(permissions=("core.dashboard.view", "sample.note.view"))
    other, pw2 = make_user(permissions=("core.dashboard.view", "sample.note.view"))
    boss, pw3 = make_user(permissions=("core.dashboard.view", "sample.note.view", "sample.note.view_all"))

    def notes(session):
        ids = {u.username: u.id for u in session.scalars(select(User))}
        mine = Note(title="mine-secret", owner_id=ids[owner])
        theirs = Note(title="theirs-secret", owner_id=ids[other])
        session.add_all([mine, theirs])
        session.flush()
        return mine.id, theirs.id

    mine_id, theirs_id = mutuo_db.transaction(notes)
    login(testapp, owner, pw)
    listing = testapp.get("/sample/notes")
    assert "mine-secret" in listing.text and "theirs-secret" not in listing.text
    csv = testapp.get("/sample/notes?format=csv")
    assert "mine-secret" in csv.text and "theirs-secret" not in csv.text
    testapp.get(f"/sample/notes/{mine_id}", status=200)
    testapp.get(f"/sample/notes/{theirs_id}", status=404)
    boss_app = webtest.TestApp(mutuo_db.app)
    login(boss_app, boss, pw3)
    assert "theirs-secret" in boss_app.get("/sample/notes").text
    boss_app.get(f"/sample/notes/{theirs_id}", status=200)


def test_default_roles_synced_without_undoing_admin_edits(mutuo_db):
    from core.accounts import get_role, set_role_permissions, sync_default_roles

    reg = mutuo_db.registry["mutuo.security"]
    role = mutuo_db.transaction(lambda s: sorted(get_role(s, "note_taker").permissions))
    assert role == ["sample.note.manage", "sample.note.view"]
    mutuo_db.transaction(lambda s: set_role_permissions(s, get_role(s, "note_taker"), ["sample.note.view"], reg.permissions))
    mutuo_db.transaction(lambda s: sync_default_roles(s, reg))
    assert mutuo_db.transaction(lambda s: sorted(get_role(s, "note_taker").permissions)) == ["sample.note.view"]


def test_admin_holds_every_permission(mutuo_db, make_user, testapp):
    username, password = make_user(roles=("admin",))
    login(testapp, username, password)
    me = testapp.get("/api/me").json
    assert set(me["permissions"]) == set(mutuo_db.registry["mutuo.security"].permissions)


def test_unknown_permission_in_role_fails_startup():
    from core.security import RoleSpec, StartupError, build_security_registry

    class FakePM:
        def call_per_plugin(self, hook):
            if hook == "mutuo_roles":
                return [("x", [RoleSpec("r", "R", ("nope.thing.view",))])]
            return []

    with pytest.raises(StartupError, match="unknown permission"):
        build_security_registry(FakePM())


def test_admin_user_screens(logged_in, mutuo_db):
    app = logged_in(("core.dashboard.view", "core.user.view", "core.user.manage", "core.role.view"))
    form = app.get("/admin/users/new").forms["deform"]
    form["username"] = "newbie"
    form["password"] = form["password-confirm"] = "short"
    assert "at least 10" in form.submit("create", status=400).text
    form = app.get("/admin/users/new").forms["deform"]
    form["username"] = "newbie"
    form["password"] = form["password-confirm"] = "long-enough-password"
    page = form.submit("create").follow()
    assert "newbie" in page.text
    assert "newbie" in app.get("/admin/users?q=newb").text
    assert "newbie" in app.get("/admin/users?format=csv").text
    assert "Effective permissions" in page.text


def test_history_panel_on_record_page(logged_in, mutuo_db):
    """mutuo_entity_types + audit: a record page shows its own history."""
    app = logged_in(("core.dashboard.view", "core.role.view", "core.role.manage"))
    form = app.get("/admin/roles/new").forms["deform"]
    form["name"] = "teller"
    form["title"] = "Teller"
    page = form.submit("create").follow()
    checkbox = page.forms["role-permissions"]
    checkbox.get("permission", index=0).checked = True
    page = checkbox.submit("save_permissions").follow()
    history = page.html.find(id="history").text
    assert "insert" in history and "role permissions changed" in history
