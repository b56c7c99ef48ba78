"""Query budgets of core's pages: how many SQL statements each runs, the same with 3 users (roles, audit entries)
as with 20 (a page that queries once per row, an N+1, fails whatever its budget). See docs/performance.md."""
from sqlalchemy import select

from core.accounts import create_user, set_role_permissions
from core.models.user import Role, User
from core.testing import assert_query_budgets, login, query_counts

BUDGETS = {
    "/": 2,
    "/account": 6,
    "/admin/users": 5,
    "/admin/users/{user}": 8,
    "/admin/roles": 5,
    "/admin/roles/{role}": 5,
    # the roles' entries only: the page also names the records entries refer to, one statement per entity type
    # shown, so the whole log's count would depend on which kinds of record the last 25 entries are about;
    # no SELECT DISTINCT over the log for the filters' choices (kept per process, core.web.audit_views)
    "/admin/audit?entity_type=core.role": 4,
    "/admin/permissions": 4,
    "/admin/jobs": 6,
    "/admin/messages": 4,
    "/admin/webhooks": 2,
    "/documents": 3,
}


def test_core_pages_keep_their_query_budgets(mutuo_db, make_user, testapp):
    permissions = mutuo_db.registry["mutuo.security"].permissions
    def users(count: int) -> None:
        def make(session):
            for _ in range(count):
                made = len(session.scalars(select(User.id)).all())
                role = Role(name=f"role{made}", title=f"Role {made}")
                session.add(role)
                session.flush()
                set_role_permissions(session, role, ("core.dashboard.view", "core.audit.view"), permissions)
                create_user(session, f"person{made}", "correct-horse-battery", roles=[role.name, "admin"])
        mutuo_db.transaction(make)

    users(2)
    username, password = make_user(roles=("admin",))
    login(testapp, username, password)
    ids = mutuo_db.transaction(lambda s: {
        "user": s.scalars(select(User.id).where(User.username == username)).one(),
        "role": s.scalars(select(Role.id).where(Role.name == "admin")).one()})
    few = query_counts(testapp, mutuo_db.engine, BUDGETS, **ids)
    users(17)
    many = query_counts(testapp, mutuo_db.engine, BUDGETS, **ids)
    assert_query_budgets(few, many, BUDGETS)


def test_a_list_counts_up_to_its_cap_and_exactly_on_demand(mutuo_db, make_user, dbsession):
    from pyramid.testing import DummyRequest

    from core.web.listing import Listing, count_rows

    for _ in range(5):
        make_user()
    users = select(User)
    assert count_rows(dbsession, users, 3) == (3, True)  # more than 3
    assert count_rows(dbsession, users, 10) == (5, False)
    assert count_rows(dbsession, users, None) == (5, False)

    def listing(**params):
        request = DummyRequest(params={"per_page": "25", **params})
        request.dbsession = dbsession
        return Listing(request, users, columns=[], count_cap=2).run()

    capped = listing()
    assert (capped.total, capped.capped, len(capped.rows)) == (2, True, 5)  # the page still shows every row it has
    exact = listing(count="all")
    assert (exact.total, exact.capped) == (5, False) and "count=all" in exact.url(page=2)
