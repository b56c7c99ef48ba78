"""Every enabled plugin with list pages answers the shell's search box (hook ``mutuo_search``), or is
named here with the reason it does not; and no plugin answers a user who may not see its records.

"Enabled" is config/testing.ini's ``mutuo.plugins``: a department plugin added there is checked too.
Record rules inside each answer (a collector never finds another collector's customers) are each
plugin's own tests: tests/plugins/collections/test_search.py and test_lookups.py.
"""
import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Plugins with list pages and no answer to the search box, with the reason (docs/search.md).
EXEMPT = {
    "sample": "the tests' stand-in for a third-party plugin: its notes list has no search box either",
}
_LISTING = re.compile(r"\bListing\(")


def enabled_in_testing() -> tuple[str, ...]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "config" / "testing.ini")
    return tuple(config["app:main"]["mutuo.plugins"].split())


@pytest.fixture
def mutuo_plugins():
    return enabled_in_testing()


def has_list_pages(module) -> bool:
    """Whether the plugin's package builds a ``core.web.listing.Listing`` outside its JSON API."""
    folder = Path(module.__file__).parent
    return any(_LISTING.search(path.read_text()) for path in folder.rglob("*.py")
               if path.name != "api.py" and "migrations" not in path.parts)


def test_every_plugin_with_list_pages_answers_the_search_box(mutuo_db):
    pm = mutuo_db.pm
    answering = set(pm.implementers("mutuo_search"))
    with_lists = {name for name in pm.enabled_names if has_list_pages(pm.module(name))}
    assert {"lending", "collections", "products"} <= with_lists  # the check sees the lists it is about
    missing = sorted(with_lists - answering - set(EXEMPT))
    assert not missing, f"{missing}: implement mutuo_search (docs/search.md) or name it in EXEMPT with why"
    stale = sorted(name for name in EXEMPT if name in answering or name in pm.enabled_names and name not in with_lists)
    assert not stale, f"{stale}: no longer exempt, take them out of EXEMPT"


class _Nobody:
    """A request of a user who holds no permission."""

    def __init__(self, session):
        self.dbsession = session
        self.user = None

    def has_permission(self, permission):
        return False

    def route_url(self, *args, **kw):
        return "/"


@pytest.mark.parametrize("query", ["al", "12345678Z", "1"])
def test_no_plugin_answers_a_user_who_may_not_see_its_records(mutuo_db, dbsession, query):
    pm = mutuo_db.pm
    for owner in pm.implementers("mutuo_search"):
        answer = pm.call_plugin(owner, "mutuo_search", request=_Nobody(dbsession), query=query)
        assert not answer, f"{owner} answers the search box without its view permission: {answer}"
