"""Readable history from what core gives for free (field labels and kinds from the columns, the diff),
and the permission matrix and role pages (no inline style: the Content-Security-Policy forbids it)."""
import pytest

from core.entities import Field, fields_of, humanise
from core.models.user import Role, User
from core.testing import login


def test_fields_come_from_the_columns_and_declarations_override():
    from mutuo_sample.models import Note

    fields = fields_of(Note)
    assert fields["amount"] == Field("Amount", "money")
    assert fields["owner_id"] == Field("Owner", "reference", "core.user")
    assert fields["title"].kind == "text" and fields["id"].kind == "text"
    assert fields_of(User)["created_at"].kind == "moment" and fields_of(User)["active"].kind == "bool"
    declared = fields_of(Note, {"amount": "Price", "owner_id": Field(kind="text"), "extra": Field("Extra", "date")})
    assert declared["amount"] == Field("Price", "money")
    assert declared["owner_id"] == Field("Owner", "text", "core.user") and declared["extra"].kind == "date"
    assert humanise("customer_id") == "Customer" and humanise("disbursed_on") == "Disbursed on"


def test_a_note_history_by_label_formatted_with_a_link_to_its_owner(mutuo_db, make_user, testapp):
    from decimal import Decimal

    from core.audit import record_event
    from core.testing import csrf_token
    from mutuo_sample.models import Note

    username, password = make_user("owner-of-notes", roles=("admin",))
    login(testapp, username, password)
    created = testapp.post("/sample/notes", {"csrf_token": csrf_token(testapp), "title": "A note"}, status=302)
    note_id = int(created.location.rsplit("/", 1)[1])

    def edit(s):
        note = s.get(Note, note_id)
        note.amount, note.body = Decimal("1234.50"), "x" * 300
        record_event(s, "note_checked", "sample.note", note_id, {"at": "2026-03-04T09:05:07.123456+00:00"})
        return note.owner_id
    owner_id = mutuo_db.transaction(edit)
    history = testapp.get(f"/sample/notes/{note_id}").html.find(id="history")
    tables = history.select("table.history-diff")
    update, checked, insert = tables[:3]  # newest first (the event was queued before the flush)
    assert [(th.text, [td.text for td in th.parent.select("td")]) for th in update.select("th.diff-field")] == [
        ("Body", ["", "x" * 300]), ("Amount", ["0.00", "1,234.50"])]  # labels in the model's order, money
    assert update.select_one("td.diff-after span.diff-value").text == "x" * 300  # cut to three lines by CSS
    assert not insert.select("td.diff-before")  # a new record: one value per field
    owner = {th.text: th.parent for th in insert.select("th.diff-field")}["Owner"]
    assert owner.a.text == username and owner.a["href"].endswith(f"/admin/users/{owner_id}")
    assert "owner_id" not in history.text and "{" not in history.text
    assert checked.td.text == "Mar 4, 2026, 9:05\u202fAM UTC"  # a moment to the minute: no seconds, no microseconds


@pytest.fixture
def roles_app(testapp, make_user):
    username, password = make_user(permissions=("core.role.view", "core.dashboard.view"))
    make_user("matrix-clerk", roles=("staff",))
    login(testapp, username, password)
    return testapp


def test_the_permission_page_is_a_matrix_with_users_in_a_panel(roles_app, mutuo_db):
    with mutuo_db.session_factory() as s:
        ids = {r.name: str(r.id) for r in s.query(Role)}
    page = roles_app.get("/admin/permissions")
    matrix = page.html.find(id="permission-matrix")
    heads = matrix.select("thead a.perm-role-name")  # the roles' titles, each opening its users
    roles = [{v: k for k, v in ids.items()}[a["href"].rsplit("=", 1)[1]] for a in heads]
    assert "admin" in roles and "staff" in roles and heads[roles.index("admin")].text == "Administrator"
    row = page.html.find(id="perm-core.dashboard.view")
    ticks = [bool(td.text.strip()) for td in row.select("td.perm-cell")]
    assert ticks[roles.index("admin")] and ticks[roles.index("staff")]
    assert not page.html.find(id="perm-core.role.manage").select("td.perm-cell")[roles.index("staff")].text.strip()
    assert "View the dashboard" in row.th.text or row.th.span.text  # the permission's title, not only its name
    assert [th.text for th in matrix.select("tr.perm-group th")][0] == "Core"
    staff = ids["staff"]
    panel = roles_app.get("/admin/permissions", {"role": staff}).html.find(id="role-users")
    assert "matrix-clerk" in panel.text and panel.find("a", href=f"http://localhost/admin/roles/{staff}")
    assert "style=" not in page.text


def test_the_permission_matrix_needs_its_permission(logged_in):
    logged_in(("core.dashboard.view",)).get("/admin/permissions", status=403)


def test_the_role_page_has_no_inline_style(roles_app, mutuo_db):
    with mutuo_db.session_factory() as s:
        staff = s.query(Role).filter_by(name="staff").one().id
    page = roles_app.get(f"/admin/roles/{staff}")
    assert page.html.select("td.perm-check input[type=checkbox]")
    assert "style=" not in page.text and not page.html.find("style")
