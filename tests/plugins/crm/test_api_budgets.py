"""crm's JSON API (the same rules as the pages), Schemathesis over its operations, the pages' query budgets,
and models agreeing with the migration."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from core.models.user import User
from core.testing import assert_api_conforms, assert_models_match_migrations, assert_query_budgets, login, query_counts
from plugins.crm.services import accounts, activities, pipeline, targets


def _book(session, owner: User, count: int, stages=None):
    stages = stages or pipeline.stages(session)
    first = None
    for n in range(count):
        account = accounts.create_account(session, name=f"Company {n}", kind="borrower", owner_id=owner.id)
        opp = pipeline.create_opportunity(session, account, f"Loan {n}", D("1000.00") + n, owner.id,
                                          stage=stages[n % len(stages)])
        activities.plan(session, "visit", f"Visit {n}", date(2026, 3, 1 + n % 20), owner.id, account=account,
                        opportunity=opp)
        first = first or (account.id, opp.id)
    return first


def test_the_api_moves_an_opportunity_and_keeps_the_manual_probability(mutuo_db, api_key_for, session):
    headers = api_key_for(roles=("sales_representative",), everything=True)
    lead = pipeline.save_stage(session, "Lead", D("0.10"))
    won_later = pipeline.save_stage(session, "Proposal", D("0.60"), position=1)
    session.commit()
    app = mutuo_db.app
    import webtest

    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    account = client.post_json("/api/v1/crm/accounts", {"name": "Acme", "kind": "borrower"}, headers=headers,
                               status=201).json
    user_id = account["owner_id"]

    def opportunity(s):
        return pipeline.create_opportunity(s, s.get(accounts.Account, account["id"]), "Deal", D("2000.00"), user_id,
                                           stage=s.get(pipeline.Stage, lead.id)).id

    opp_id = mutuo_db.transaction(opportunity)
    base = f"/api/v1/crm/opportunities/{opp_id}"
    assert client.post_json(base + "/probability", {"probability": "0.5"}, headers=headers).json["probability"] == "0.5"
    moved = client.post_json(base + "/move", {"stage_id": won_later.id}, headers=headers).json
    assert (moved["stage"], moved["probability"], moved["weighted_amount"]) == ("Proposal", "0.5", "1000.00")
    assert client.get("/api/v1/crm/pipeline", headers=headers).json == {"open_count": 1, "amount": "2000.00",
                                                                        "weighted": "1000.00"}
    lost = client.post_json(base + "/lost", {"reason": "price"}, headers=headers).json
    assert (lost["status"], lost["weighted_amount"]) == ("lost", "0.00")
    client.post_json(base + "/move", {"stage_id": lead.id}, headers=headers, status=409)
    assert client.get("/api/v1/crm/pipeline", headers=headers).json["open_count"] == 0


def test_api_conforms_to_its_document(mutuo_db, api_key_for, session, make_user):
    make_user("ana", roles=("sales_representative",))
    pipeline.save_stage(session, "Lead", D("0.10"))
    _book(session, session.scalars(select(User).where(User.username == "ana")).one(), 2)
    session.commit()
    headers = api_key_for(roles=("admin", "head_of_market_development"), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, prefix="/api/v1/crm/", max_examples=4) == 10


#: Statements one GET of each page runs, the same with 3 records as with 15 (docs/performance.md).
REP = {"/crm/opportunities": 5, "/crm/board": 5, "/crm/accounts": 5, "/crm/activities": 5,
       "/crm/calendar?month=2026-03": 6, "/crm/accounts/{account}": 14, "/crm/opportunities/{opportunity}": 12,
       "/": 16}
MANAGER = {"/crm/reports/pipeline": 5, "/crm/reports/activities": 4, "/crm/targets/{target}": 10}


def test_pages_keep_their_query_budgets(mutuo_db, session, make_user, clock):
    clock.day = date(2026, 3, 10)
    make_user("ana", roles=("sales_representative",))
    make_user("hugo", roles=("head_of_market_development",))
    ana = session.scalars(select(User).where(User.username == "ana")).one()
    for n, name in enumerate(("Lead", "Proposal", "Negotiation")):
        pipeline.save_stage(session, name, D("0.2") * (n + 1), position=n)
    team = targets.create_team(session, "North")
    targets.add_member(session, team, ana.id, date(2025, 1, 1))
    target = targets.set_target(session, 2026, "funded_volume", D("100000.00"))
    targets.decompose_target(session, target, {team.id: D(1)})
    account_id, opportunity_id = _book(session, ana, 3)
    target_id = target.id
    session.commit()
    import webtest

    def app_for(username):
        app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
        login(app, username)
        return app

    rep, head = app_for("ana"), app_for("hugo")
    ids = {"account": account_id, "opportunity": opportunity_id, "target": target_id}
    few = {**query_counts(rep, mutuo_db.engine, REP, **ids), **query_counts(head, mutuo_db.engine, MANAGER, **ids)}
    _book(session, session.get(User, ana.id), 12)
    session.commit()
    many = {**query_counts(rep, mutuo_db.engine, REP, **ids), **query_counts(head, mutuo_db.engine, MANAGER, **ids)}
    assert_query_budgets(few, many, {**REP, **MANAGER})


def test_models_match_the_migration(mutuo_db):
    assert_models_match_migrations(mutuo_db, owners=("crm",))
