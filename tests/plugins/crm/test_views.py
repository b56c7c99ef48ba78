"""crm's pages through the authorization matrix, the board's POST move, record rules, lookups and the customer panel."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.testing import csrf_token
from plugins.crm.models import Opportunity, Team, User
from plugins.crm.services import accounts, activities, pipeline, targets

PAGES = ["/crm/accounts", "/crm/accounts/new", "/crm/opportunities", "/crm/opportunities/new", "/crm/board",
         "/crm/activities", "/crm/activities/new", "/crm/calendar", "/crm/targets", "/crm/teams", "/crm/stages",
         "/crm/commissions", "/crm/agreements", "/crm/agreements/new", "/crm/reports/pipeline",
         "/crm/reports/owners", "/crm/reports/won_lost", "/crm/reports/reasons", "/crm/reports/partners",
         "/crm/reports/activities", "/"]


@pytest.fixture
def setup(mutuo_db):
    """Stages, a team North (manager marta, reps ana and bruno), rep carla outside it, records of each."""
    def build(session):
        made = {}
        for n, (name, p) in enumerate((("Lead", "0.10"), ("Proposal", "0.60"))):
            pipeline.save_stage(session, name, D(p), position=n)
        users = {u.username: u for u in session.scalars(select(User))}
        team = targets.create_team(session, "North", users["marta"].id)
        for name in ("ana", "bruno"):
            targets.add_member(session, team, users[name].id, date(2025, 1, 1))
        for name in ("ana", "bruno", "carla"):
            account = accounts.create_account(session, name=f"Account of {name}", kind="borrower",
                                              owner_id=users[name].id)
            opp = pipeline.create_opportunity(session, account, f"Deal of {name}", D("1000.00"), users[name].id)
            activities.plan(session, "call", f"Call for {name}", date(2020, 1, 1), users[name].id, account=account)
            made[name] = (account.id, opp.id)
        partner = accounts.create_account(session, name="Broker", kind="partner", owner_id=users["marta"].id)
        made["partner"] = partner.id
        return made
    return build


@pytest.fixture
def people(make_user, mutuo_db, setup):
    make_user("marta", roles=("sales_manager",))
    make_user("ana", roles=("sales_representative",))
    make_user("bruno", roles=("sales_representative",))
    make_user("carla", roles=("sales_representative",))
    make_user("hugo", roles=("head_of_market_development",))
    return mutuo_db.transaction(setup)


def test_the_head_opens_every_page(people, testapp):
    from core.testing import login

    login(testapp, "hugo")
    for url in PAGES + [f"/crm/accounts/{people['ana'][0]}", f"/crm/opportunities/{people['ana'][1]}",
                        f"/crm/accounts/{people['partner']}"]:
        assert testapp.get(url).status_int == 200, url
    assert testapp.get("/crm/reports/pipeline?format=csv").content_type == "text/csv"
    assert "Deal of carla" in testapp.get("/crm/opportunities?format=csv").text


def test_a_representative_sees_their_own_records_and_a_manager_their_team(people, testapp):
    from core.testing import login

    login(testapp, "ana")
    listing = testapp.get("/crm/opportunities").text
    assert "Deal of ana" in listing and "Deal of bruno" not in listing
    testapp.get(f"/crm/opportunities/{people['bruno'][1]}", status=404)
    testapp.get(f"/crm/accounts/{people['carla'][0]}", status=404)
    testapp.get("/crm/reports/pipeline", status=403)
    testapp.get("/crm/stages", status=403)
    testapp.reset()
    login(testapp, "marta")
    listing = testapp.get("/crm/opportunities").text
    assert "Deal of ana" in listing and "Deal of bruno" in listing and "Deal of carla" not in listing
    assert "Call for bruno" in testapp.get("/crm/activities").text
    testapp.get(f"/crm/opportunities/{people['carla'][1]}", status=404)


def test_pages_need_the_permissions(logged_in):
    app = logged_in(permissions=("core.dashboard.view",))
    for url in ("/crm/accounts", "/crm/board", "/crm/targets", "/crm/commissions", "/crm/reports/pipeline"):
        app.get(url, status=403)


def test_moving_a_card_on_the_board_is_a_post_with_csrf(people, testapp, mutuo_db):
    from core.testing import login

    login(testapp, "ana")
    opp_id = people["ana"][1]
    board = testapp.get("/crm/board")
    assert f'id="card-{opp_id}"' in board.text
    proposal = mutuo_db.transaction(lambda s: s.scalars(select(pipeline.Stage.id).where(
        pipeline.Stage.name == "Proposal")).one())
    testapp.post(f"/crm/opportunities/{opp_id}/move", {"stage_id": proposal, "next": "/crm/board"}, status=400)
    page = testapp.post(f"/crm/opportunities/{opp_id}/move", {"stage_id": proposal, "next": "/crm/board",
                                                               "csrf_token": csrf_token(testapp)}).follow()
    assert page.request.path == "/crm/board"
    stage = mutuo_db.transaction(lambda s: s.get(Opportunity, opp_id).stage.name)
    assert stage == "Proposal"
    # someone else's card: not found (record rule), nothing moves
    testapp.post(f"/crm/opportunities/{people['carla'][1]}/move",
                 {"stage_id": proposal, "csrf_token": csrf_token(testapp)}, status=404)


def test_lost_without_a_reason_is_refused_with_a_message(people, testapp, mutuo_db):
    from core.testing import login

    login(testapp, "ana")
    opp_id = people["ana"][1]
    page = testapp.post(f"/crm/opportunities/{opp_id}/lost", {"reason": "", "csrf_token": csrf_token(testapp)})
    assert "Say why it was lost" in page.follow().text
    assert mutuo_db.transaction(lambda s: s.get(Opportunity, opp_id).status) == "open"


def test_overdue_activities_are_marked_on_the_list_and_the_calendar(people, testapp):
    from core.testing import login

    login(testapp, "ana")
    assert "overdue" in testapp.get("/crm/activities").text
    calendar = testapp.get("/crm/calendar?month=2020-01")
    assert "crm-overdue" in calendar.text and 'id="overdue"' in calendar.text


def test_the_account_lookup_follows_the_record_rules(people, testapp):
    from core.testing import login

    login(testapp, "ana")
    found = testapp.get("/lookup/crm.account", {"q": "account"}).json["results"]
    assert [r["label"] for r in found] == ["Account of ana"]


def test_a_manager_creates_a_team_and_splits_a_target(people, testapp, mutuo_db):
    from core.testing import login

    login(testapp, "marta")
    form = testapp.get("/crm/targets").forms["deform"]
    form["year"], form["amount"] = "2026", "100000.01"
    target_page = form.submit("set").follow()
    team_id = mutuo_db.transaction(lambda s: s.scalars(select(Team.id)).one())
    split = target_page.forms["form-split"]
    split[f"team_{team_id}"] = "100"
    page = split.submit().follow()
    assert "every level adds up exactly" in page.text
    assert "50,000.01" in page.text and "50,000.00" in page.text


def test_the_customer_page_shows_the_crm_account(people, mutuo_db, testapp, make_user):
    from core.testing import login
    from plugins.lending import services as lending

    def customer(session):
        account = session.get(accounts.Account, people["ana"][0])
        account.id_number = "X1234567"
        session.flush()
        return lending.create_customer(session, role="borrower", kind="person", name="Ana Customer",
                                       id_number="x-1234567", region="North").id

    customer_id = mutuo_db.transaction(customer)
    make_user("boss", roles=("head_of_market_development", "customer_service"))
    login(testapp, "boss")
    page = testapp.get(f"/lending/customers/{customer_id}")
    assert "Market development" in page.text and "Account of ana" in page.text


def test_a_spanish_speaking_head_reads_the_pages_in_spanish(people, testapp, make_user):
    import re

    from core.testing import login

    make_user("rosa", roles=("head_of_market_development",), locale="es")
    login(testapp, "rosa")
    english = re.compile(r">\s*(Accounts|Opportunities|Pipeline board|Weighted|Stage|Owner|Amount|Targets|Move|"
                         r"Activities|Calendar|Overdue|Partner commissions|Reports|Export CSV|Decomposition)\s*<")
    for url in ("/crm/accounts", "/crm/opportunities", "/crm/board", "/crm/activities", "/crm/calendar",
                "/crm/targets", "/crm/stages", "/crm/commissions", "/crm/reports/pipeline",
                f"/crm/opportunities/{people['ana'][1]}", f"/crm/accounts/{people['ana'][0]}"):
        text = testapp.get(url).text
        assert not english.search(text), (url, english.search(text).group(0))
    assert "Tablero del embudo" in testapp.get("/crm/board").text


def test_the_global_search_finds_accounts_and_opportunities_one_may_see(people, testapp):
    from core.testing import login

    login(testapp, "ana")
    page = testapp.get("/search", {"q": "deal"}).text
    assert "Deal of ana" in page and "Deal of bruno" not in page
    assert "Account of ana" in testapp.get("/search", {"q": "account"}).text
