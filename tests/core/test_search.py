"""core.search: normalising what is typed and stored, matching and ranking, the users list's search."""
import pytest

from core import search
from core.search import Field, Search


def test_fold_ignores_case_accents_and_spacing():
    assert search.fold("  Ana   ÁLVAREZ ") == "ana alvarez"
    assert search.fold("Núñez Çelik") == "nunez celik"
    assert search.fold(None) == ""


def test_identifiers_are_normalised_before_matching():
    assert search.identifier(" 12.345.678-z ") == "12345678Z"
    assert search.email("  Ana@Example.TEST ") == "ana@example.test"
    assert search.phone("600 12 34 56") == "+34600123456"  # the company's region: ES by default
    assert search.phone("+34 600-123-456") == "+34600123456"
    assert search.phone("0044 20 7946 0958") == "+442079460958"
    assert search.phone("12") == "12"  # not a phone: its digits
    assert search.phone("600 12 34 56", "FR") != "+34600123456"
    assert search.number("#12") == 12 and search.number("12a") is None


def test_the_phone_region_comes_from_the_settings():
    search.configure({"mutuo.phone_region": "fr"})
    try:
        assert search.phone("06 12 34 56 78") == "+33612345678"
    finally:
        search.configure({})
    assert search.phone("612 345 678") == "+34612345678"


def test_a_field_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        Field(None, "fuzzy")


def test_users_list_finds_names_without_case_or_accents(logged_in, make_user):
    make_user("aalvarez", full_name="Ana Álvarez", email="Ana.Alvarez@Example.test")
    make_user("bruno", full_name="Bruno Núñez")
    app = logged_in(("core.user.view",))
    for q in ("alvarez", "ÁLVAREZ", "ana alv", "ana.alvarez@example"):
        page = app.get("/admin/users", params={"q": q})
        assert "Ana Álvarez" in page.text and "Bruno" not in page.text, q
    assert "Bruno Núñez" in app.get("/admin/users", params={"q": "nunez"}).text


def test_search_keys_follow_updates_and_stay_out_of_the_audit_log(dbsession):
    from sqlalchemy import select

    from core.accounts import create_user
    from core.models.audit import AuditEntry

    user = create_user(dbsession, "keyed", "correct-horse-battery", full_name="Zoë Ñandú")
    dbsession.flush()
    assert (user.full_name_key, user.username_key) == ("zoe nandu", "keyed")
    user.full_name = "Óscar"
    dbsession.flush()
    assert user.full_name_key == "oscar"
    dbsession.commit()
    changes = " ".join(str(e.changes) for e in dbsession.scalars(select(AuditEntry)))
    assert "full_name" in changes and "full_name_key" not in changes


def test_match_ranks_exact_then_prefix_then_the_rest(dbsession):
    from sqlalchemy import select

    from core.accounts import create_user
    from core.models.user import User

    for name, full in (("marta", "Marta Ruiz"), ("amarta", "Amarta Gil"), ("mar", "Mar Sol")):
        create_user(dbsession, name, "correct-horse-battery", full_name=full)
    dbsession.flush()
    users = Search(Field(User.username_key, "substring"), Field(User.full_name_key, "words"))
    found = [u.username for u in dbsession.scalars(users.match(select(User), "mar"))]
    assert found[:3] == ["mar", "marta", "amarta"]
    assert list(dbsession.scalars(users.match(select(User), "zzz"))) == []
