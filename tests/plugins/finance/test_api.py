"""Finance's JSON API: the journal, the books check, statement import and matching, refusals as problems."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from plugins.lending import services as lending

API = "/api/v1/finance"


def test_journal_books_check_and_trial_balance(testapp, api_key_for, world, dbsession, clock):
    clock.day = date(2025, 2, 20)
    investor = world.investor(cash=D("1000.00"))
    dbsession.commit()
    key = api_key_for(("finance.books.view",))
    listed = testapp.get(f"{API}/entries?event_type=lending_cash_deposited", headers=key).json["items"]
    assert [e["customer_id"] for e in listed] == [investor.id]
    entry = testapp.get(f"{API}/entries/{listed[0]['id']}", headers=key).json
    assert {(x["account"], x["debit"], x["credit"]) for x in entry["lines"]} == {
        ("1010", "1000.00", "0.00"), ("2000", "0.00", "1000.00")}
    check = testapp.get(f"{API}/books-check", headers=key).json
    assert check == {"trial_balance_difference": "0.00", "customers_differing": []}
    assert testapp.get(f"{API}/trial-balance", headers=key).json["difference"] == "0.00"
    assert testapp.get(f"{API}/entries/999999", headers=key, status=404).json["status"] == 404


def test_import_and_match_through_the_api(testapp, api_key_for, world, dbsession, clock):
    clock.day = date(2025, 2, 20)
    investor = world.customer(role="investor")
    entry = lending.deposit(dbsession, investor, D("75.00"), entry_date=date(2025, 2, 2), reference="")
    lending.deposit(dbsession, investor, D("75.00"), entry_date=date(2025, 2, 3), reference="")
    entry_id = entry.id
    dbsession.commit()
    key = api_key_for(("finance.bank.view", "finance.bank.reconcile", "finance.books.view"))
    from sqlalchemy import select

    from plugins.finance.models import BankAccount
    from plugins.finance.services import journal

    journal.ensure_defaults(dbsession)  # the seeded bank account (its id differs on PostgreSQL: sequences go on)
    bank_account = dbsession.scalars(select(BankAccount.id).order_by(BankAccount.id)).first()
    dbsession.commit()
    made = testapp.post(f"{API}/statements", {"bank_account_id": str(bank_account)},
                        upload_files=[("file", "feb.csv", b"Date,Amount,Reference,Description,Counterparty\n"
                                                          b"2025-02-02,75.00,,,\n2025-02-10,-3.00,,fee,\n")],
                        headers=key, status=201).json
    first, fee = made["lines"]
    assert first["status"] == "unmatched"  # two deposits of 75.00 within the window: a person decides
    matched = testapp.post_json(f"{API}/statement-lines/{first['id']}/match", {"kind": "deposit",
                                                                              "record_id": entry_id}, headers=key).json
    assert matched["status"] == "matched" and matched["matched_id"] == entry_id
    assert testapp.post_json(f"{API}/statement-lines/{first['id']}/bank-fee", {}, headers=key,
                             status=409).content_type == "application/problem+json"
    assert testapp.post_json(f"{API}/statement-lines/{fee['id']}/bank-fee", {}, headers=key).json["status"] == \
        "bank_fee"
    viewer = api_key_for(("finance.bank.view",))
    testapp.post_json(f"{API}/statement-lines/{fee['id']}/bank-fee", {}, headers=viewer, status=403)
    assert testapp.get(f"{API}/statement-lines?status=bank_fee", headers=key).json["items"][0]["id"] == fee["id"]
