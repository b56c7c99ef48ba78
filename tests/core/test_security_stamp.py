"""Security stamps (core.stamps): a login session's permission set and menu are cached per
(user, user stamp, global stamp, plugin set), so a plain GET runs no role-grants query, and every
change of roles, grants or the active flag is seen at the very next request, by this process and by
any other (an app whose cache was not told: the stamps are read from the database)."""
from __future__ import annotations

import webtest
from sqlalchemy import select

from core import accounts
from core.models.audit import AuditEntry
from core.models.state import PlatformState
from core.models.user import Role, User
from core.stamps import GLOBAL_KEY
from core.testing import count_queries, login
from core.web.policy import security_cache


def _user(session, username) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _role(session, name) -> Role:
    return session.scalars(select(Role).where(Role.name == name)).one()


def _other_process(mutuo_db, testapp) -> webtest.TestApp:
    """The same login seen by another web process: a second app (its own, empty cache), same cookie."""
    from core.web.app import make_app

    other = webtest.TestApp(make_app(mutuo_db.settings, pm=mutuo_db.pm, engine=mutuo_db.engine),
                            extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    for cookie in testapp.cookiejar:
        other.set_cookie(cookie.name, cookie.value)
    return other


def _stamps(mutuo_db, username) -> tuple[str, str | None]:
    with mutuo_db.session_factory() as s:
        return _user(s, username).security_stamp, s.get(PlatformState, GLOBAL_KEY) and s.get(
            PlatformState, GLOBAL_KEY).value


def test_a_plain_get_reads_no_role_grants_and_the_menu_is_cached(logged_in, mutuo_db):
    app = logged_in(permissions=("core.dashboard.view", "sample.note.view"))
    app.get("/sample/notes", status=200)
    with count_queries(mutuo_db.engine) as queries:
        page = app.get("/sample/notes", status=200)
    assert not [q for q in queries if "core_role_permission" in q or "core_user_role" in q], str(queries)
    assert any("core_session" in q and "core_state" in q for q in queries), "stamps read with the session"
    assert 'href="http://localhost/sample/notes"' in page.text or "/sample/notes" in page.text
    entries = list(security_cache(mutuo_db.app.registry).values())
    assert any({"permissions", "menu"} <= set(e) for e in entries)


def test_a_role_change_takes_effect_on_the_next_request_here_and_elsewhere(logged_in, mutuo_db, testapp):
    app = logged_in(permissions=("core.dashboard.view",))
    app.get("/sample/notes", status=403)
    other = _other_process(mutuo_db, app)
    other.get("/sample/notes", status=403)  # its cache holds the old set too
    before = _stamps(mutuo_db, app.username)

    def grant(s):
        role = Role(name="note_readers", title="Note readers")
        s.add(role)
        s.flush()
        accounts.set_role_permissions(s, role, ["sample.note.view"], mutuo_db.registry["mutuo.security"].permissions)
        user = _user(s, app.username)
        accounts.set_user_roles(s, user, [r.name for r in user.roles] + ["note_readers"])
    mutuo_db.transaction(grant)
    after = _stamps(mutuo_db, app.username)
    assert after[0] != before[0] and after[1] != before[1]
    app.get("/sample/notes", status=200)
    other.get("/sample/notes", status=200)

    # Taking a grant away from the role (not from the user): the global stamp moves.
    mutuo_db.transaction(lambda s: accounts.set_role_permissions(
        s, _role(s, "note_readers"), [], mutuo_db.registry["mutuo.security"].permissions))
    assert _stamps(mutuo_db, app.username)[0] == after[0]
    app.get("/sample/notes", status=403)
    other.get("/sample/notes", status=403)


def test_the_admin_pages_change_roles_and_the_user_sees_it_at_once(logged_in, make_user, mutuo_db, testapp):
    victim, password = make_user(permissions=("core.dashboard.view",))
    theirs = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "10.0.0.9", "HTTP_HOST": "localhost"})
    login(theirs, victim, password)
    theirs.get("/admin/users", status=403)
    admin = logged_in(roles=("admin",))
    with mutuo_db.session_factory() as s:
        uid = _user(s, victim).id
    form = admin.get(f"/admin/users/{uid}/edit").forms["deform"]
    form.submit("save", status=302)  # nothing changed: the stamp stays
    theirs.get("/admin/users", status=403)
    form = admin.get(f"/admin/users/{uid}/edit").forms["deform"]
    boxes = [box for box in form.fields["checkbox"] if box._value == "admin"]
    assert len(boxes) == 1
    boxes[0].checked = True
    form.submit("save", status=302)
    theirs.get("/admin/users", status=200)


def test_a_deactivated_user_is_refused_at_once(logged_in, mutuo_db, testapp):
    app = logged_in(permissions=("core.dashboard.view", "sample.note.view"))
    app.get("/sample/notes", status=200)
    other = _other_process(mutuo_db, app)
    other.get("/sample/notes", status=200)
    mutuo_db.transaction(lambda s: accounts.set_active(s, _user(s, app.username), False))
    assert "/login" in app.get("/sample/notes", status=302).location
    assert "/login" in other.get("/sample/notes", status=302).location


def test_stamps_move_only_with_roles_grants_or_active_and_are_not_audited(make_user, mutuo_db):
    username, _ = make_user(permissions=("core.dashboard.view",))
    user_stamp, global_stamp = _stamps(mutuo_db, username)
    assert user_stamp
    mutuo_db.transaction(lambda s: setattr(_user(s, username), "full_name", "Renamed"))
    assert _stamps(mutuo_db, username) == (user_stamp, global_stamp)

    def fail(s):
        accounts.set_active(s, _user(s, username), False)
        s.flush()
        raise RuntimeError("rolled back")
    try:
        mutuo_db.transaction(fail)
    except RuntimeError:
        pass
    assert _stamps(mutuo_db, username) == (user_stamp, global_stamp)  # a rolled-back change keeps them

    mutuo_db.transaction(lambda s: accounts.set_active(s, _user(s, username), False))
    moved = _stamps(mutuo_db, username)
    assert moved[0] != user_stamp and moved[1] == global_stamp
    # A role's grants changed straight through the ORM (no service) move the global stamp too.
    from core.models.user import RolePermission

    def grant(s):
        role = _role(s, f"r_{username}")
        role.grants.append(RolePermission(permission="sample.note.view"))
    mutuo_db.transaction(grant)
    assert _stamps(mutuo_db, username)[1] != moved[1]
    with mutuo_db.session_factory() as s:
        changes = [e.changes for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "core.user"))]
    assert not [c for c in changes if c and "security_stamp" in c]


def test_cli_deactivation_refuses_the_session_at_once(logged_in, mutuo_db, tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    app = logged_in(permissions=("core.dashboard.view",))
    app.get("/", status=200)
    ini = tmp_path / "cli.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {v.replace('%', '%%')}\n" for k, v in mutuo_db.settings.items()))
    done = CliRunner().invoke(main, ["-c", str(ini), "users", "deactivate", app.username])
    assert done.exit_code == 0, done.output
    assert "/login" in app.get("/", status=302).location
