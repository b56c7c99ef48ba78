"""The parsing layer (core/web/parsing.py) and the core findings of issue 11, items 7 and 8."""
from datetime import date
from decimal import Decimal as D

import colander
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.testing import csrf_token
from core.web import parsing
from core.web.parsing import InputError

# -- item 7: amounts by locale --------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("1234.50", D("1234.50")), ("1,234.50", D("1234.50")), ("1,234", D("1234.00")), (" 12 ", D("12.00")),
    (".5", D("0.50")), ("-5", D("-5.00")), ("9999999999999999.99", D("9999999999999999.99")),
])
def test_amounts_in_english(text, value):
    assert parsing.parse_money(text) == value


@pytest.mark.parametrize("text", [
    "1,50", "1,0,0", "12,34.5", "١٢", "٣٫٥", "𝟙", "²", "1e30", "1e20", "1E2", "NaN", "Infinity", "-inf", "1.005",
    "10000000000000000", "", "-", ".", "1.2.3", "0x10", "1_000", "1 234", "--1", "1-",
])
def test_amounts_refused_in_english(text):
    with pytest.raises(InputError):
        parsing.parse_money(text)


def test_ambiguous_comma_says_what_it_means():
    with pytest.raises(InputError, match="Did you mean 150"):
        parsing.parse_money("1,50")


def test_amounts_follow_the_locale():
    assert parsing.parse_money("1.234,50", locale="de") == D("1234.50")
    assert parsing.parse_money("1,50", locale="de") == D("1.50")
    with pytest.raises(InputError):
        parsing.parse_money("1,234.50", locale="de")


def test_request_locale_comes_from_the_setting():
    class Registry:
        settings = {"mutuo.default_locale": "de"}

    class Request:
        registry = Registry()

    assert parsing.request_locale(Request()) == "de"
    Registry.settings = {}
    assert parsing.request_locale(Request()) == "en"


@given(st.decimals(min_value=D("-9999999999999999.99"), max_value=D("9999999999999999.99"), places=2))
def test_a_formatted_amount_reads_back(value):
    assert parsing.parse_money(f"{value:,.2f}") == value
    assert parsing.parse_money(f"{value:.2f}") == value


# -- item 8: numbers, dates, text, next ------------------------------------------------

@pytest.mark.parametrize("text", ["²", "١٢", "10²⁰", str(10**20), str(2**63), "0", "-1", "1.0", "", "\x00", "1e3"])
def test_ids_are_ascii_digits_within_a_bigint(text):
    with pytest.raises(InputError):
        parsing.parse_id(text)


def test_ints_are_bounded_to_the_column_type():
    from sqlalchemy import BigInteger, Integer

    assert parsing.parse_int(str(2**31 - 1)) == 2**31 - 1
    with pytest.raises(InputError):
        parsing.parse_int(str(2**31))
    assert parsing.int_bound(Integer()) == 2**31 - 1 and parsing.int_bound(BigInteger()) == 2**63 - 1


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "2026-02-30", "2026-3-1",
                                  "+2026-01-01", "20260101", "٢٠٢٦-٠١-٠١", 20260101])
def test_dates_are_iso_within_the_window(text):
    with pytest.raises(InputError):
        parsing.parse_date(text)


def test_a_date_in_the_window():
    assert parsing.parse_date("2199-12-31") == date(2199, 12, 31)
    assert parsing.parse_date(date(2026, 1, 1)) == date(2026, 1, 1)


def test_text_refuses_control_characters_and_length_beyond_the_column():
    from core.models.user import User

    assert parsing.column_length(User.region) == 100
    rule = parsing.column_text(User.region)
    node = colander.SchemaNode(colander.String(), validator=rule)
    assert node.deserialize("North") == "North"
    for bad in ("a\x00b", "x" * 101, "\x1b[31m"):
        with pytest.raises(colander.Invalid):
            node.deserialize(bad)
    multiline = colander.SchemaNode(colander.String(), validator=parsing.column_text(User.region, multiline=True))
    assert multiline.deserialize("two\nlines") == "two\nlines"


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/a\nb", "//evil.example", "/\\evil", "http://evil.example",
                                    "/a\x00"])
def test_next_is_a_plain_path_on_this_site(target):
    assert parsing.safe_path(target, "/home") == "/home"
    assert parsing.safe_path("/lending/loans?page=2", "/home") == "/lending/loans?page=2"


def test_colander_types_say_what_is_wrong():
    schema = colander.SchemaNode(colander.Mapping(), colander.SchemaNode(parsing.Money(), name="amount"),
                                 colander.SchemaNode(parsing.BoundedDate(), name="day"),
                                 colander.SchemaNode(parsing.Id(), name="ref"))
    with pytest.raises(colander.Invalid) as caught:
        schema.deserialize({"amount": "1e30", "day": "9999-12-31", "ref": "²"})
    assert set(caught.value.asdict()) == {"amount", "day", "ref"}
    assert schema.deserialize({"amount": "1,234.50", "day": "2026-03-31", "ref": "7"}) == {
        "amount": D("1234.50"), "day": date(2026, 3, 31), "ref": 7}


# -- the core pages ---------------------------------------------------------------------

ADMIN = ("core.dashboard.view", "core.role.view", "core.role.manage", "core.user.view", "core.user.manage",
         "core.audit.view")


def test_cr_lf_in_next_after_login_goes_home(testapp, make_user):
    username, password = make_user(permissions=("core.dashboard.view",))
    page = testapp.get("/login", params={"next": "/\r\nSet-Cookie: evil=1"})
    form = page.forms[0]
    form["username"], form["password"] = username, password
    res = form.submit(status=302)
    assert res.location == "http://localhost/"


def test_unknown_permission_on_the_role_page_is_a_form_error(logged_in, mutuo_db):
    from sqlalchemy import select

    from core.models.user import Role

    app = logged_in(permissions=ADMIN)
    with mutuo_db.session_factory() as s:
        role = s.scalars(select(Role).where(Role.name != "admin")).first()
        before = set(role.permissions)
    res = app.post(f"/admin/roles/{role.id}", {"csrf_token": csrf_token(app), "save_permissions": "1",
                                              "permission": ["core.dashboard.view", "no.such.permission"]},
                   status=400)
    assert "Unknown permission(s)" in res.text and "Tick permissions from the list below." in res.text
    with mutuo_db.session_factory() as s:
        assert set(s.get(Role, role.id).permissions) == before


@pytest.mark.parametrize("ident", [str(10**20), "%C2%B2", "%00"])
def test_odd_ids_in_the_url_are_not_found(logged_in, ident):
    app = logged_in(permissions=ADMIN)
    app.get(f"/admin/roles/{ident}", status=404)
    app.get(f"/admin/users/{ident}", status=404)


@pytest.mark.parametrize("query", ["since=9999-12-31", "until=9999-12-31", "actor=%00", "entity_id=a%00b",
                                   "page=10%C2%B2%E2%81%B0", f"page={10**20}", "per_page=%D9%A1%D9%A0%D9%A0",
                                   "action=" + "x" * 500])
def test_odd_filters_answer_with_the_list(logged_in, query):
    app = logged_in(permissions=ADMIN)
    res = app.get("/admin/audit?" + query, status=200)
    assert "found" in res.text


def test_an_unreadable_filter_is_explained(logged_in):
    app = logged_in(permissions=ADMIN)
    res = app.get("/admin/audit?since=9999-12-31")
    assert "Use a date between 1900-01-01 and 2199-12-31. This filter was ignored." in res.text


def test_the_error_page_survives_nul_bytes(logged_in):
    app = logged_in(permissions=ADMIN)
    assert app.get("/no%00where?next=%00", status=404)
    assert app.get("/no%00where", headers={"Accept": "application/json"}, status=404).json["error"]


def test_text_longer_than_its_column_is_a_form_error(logged_in, mutuo_db):
    from sqlalchemy import func, select

    from core.models.user import User

    app = logged_in(permissions=ADMIN)
    form = app.get("/admin/users/new").forms["deform"]
    form["username"] = "someone"
    form["region"] = "r" * 101
    form["full_name"] = "ESC\x1b[31m"
    with mutuo_db.session_factory() as s:
        before = s.scalar(select(func.count()).select_from(User))
    res = form.submit("create", status=400)
    assert "Too long: at most 100 characters" in res.text
    assert "Remove the control characters" in res.text
    with mutuo_db.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(User)) == before


def test_unread_flash_messages_do_not_overflow_the_session_cookie():
    """Found by the fuzz test: every refused POST queued a message; the cookie passed 4 KB and the answer was a 500."""
    from core.web.shell import MAX_FLASHES, flash

    class Session(dict):
        def __init__(self):
            self.queue = []

        def peek_flash(self):
            return list(self.queue)

        def pop_flash(self):
            out, self.queue = self.queue, []
            return out

        def flash(self, item, allow_duplicate=True):
            self.queue.append(item)

    class Request:
        session = Session()

    for n in range(50):
        flash(Request, "m" * 1000 + str(n))
    assert len(Request.session.queue) == MAX_FLASHES
    assert all(len(m) <= 400 for _k, m in Request.session.queue)
    assert Request.session.queue[-1][1].startswith("m")


def test_a_nul_in_any_posted_field_is_a_400(logged_in, mutuo_db):
    """Found by the fuzz test on PostgreSQL: a workflow reason with NUL could not be stored (500)."""
    app = logged_in(permissions=ADMIN)
    res = app.post("/admin/roles/new", {"csrf_token": csrf_token(app), "name": "x", "title": "a\x00b",
                                        "create": "create"}, status=400)
    assert "NUL character" in res.text
