"""Finance's JSON API under ``/api/v1/finance`` (the convention: docs/api.md).

The journal (entries with their lines), the trial balance and the books-equal-lending check,
statement lines with matching and bank fees, statement import (multipart), and the guarantee fund's
coverage. Handlers call the services the screens call; refusals become problems.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.api import DATE, ID, MONEY, Filter, Listing, Operation, array, nullable, obj, text
from core.errors import NotFound, UserError
from plugins.finance.i18n import _
from plugins.finance.models import LINE_STATUSES, MATCH_KINDS, Account, BankAccount, Entry, Line, StatementLine
from plugins.finance.services import bank, guarantee, journal

P = "finance."
LINE = obj({"account": text(12), "customer_id": nullable(ID), "loan_id": nullable(ID), "debit": MONEY,
            "credit": MONEY})
ENTRY = obj({"id": ID, "entry_date": DATE, "event_date": DATE, "event_type": text(40), "source_type": text(40),
             "source_id": {"type": "integer"}, "customer_id": nullable(ID), "loan_id": nullable(ID),
             "memo": text(200), "reversal_of_id": nullable(ID)})
ENTRY_RECORD = {**ENTRY, "properties": {**ENTRY["properties"], "lines": array(LINE)},
                "required": [*ENTRY["required"], "lines"]}
TRIAL = obj({"rows": array(obj({"code": text(12), "name": text(120), "kind": text(10), "debit": MONEY,
                                "credit": MONEY, "balance": MONEY})),
             "debits": MONEY, "credits": MONEY, "difference": MONEY})
CHECK = obj({"trial_balance_difference": MONEY, "customers_differing": array(obj({
    "customer_id": ID, "books": MONEY, "lending": MONEY}))})
STATEMENT_LINE = obj({"id": ID, "statement_id": ID, "booked_on": DATE, "amount": MONEY, "reference": text(140),
                      "description": text(300), "counterparty": text(140),
                      "status": {"type": "string", "enum": list(LINE_STATUSES)},
                      "match_kind": {"type": "string", "enum": ["", *MATCH_KINDS]}, "matched_id": nullable(ID),
                      "confidence": nullable({"type": "string"})})
COVERAGE = obj({"fund": MONEY, "at_risk": MONEY, "days": {"type": "integer"},
                "ratio": nullable({"type": "string"})})


def entry_json(e: Entry) -> dict:
    return {"id": e.id, "entry_date": e.entry_date, "event_date": e.event_date, "event_type": e.event_type,
            "source_type": e.source_type, "source_id": e.source_id, "customer_id": e.customer_id,
            "loan_id": e.loan_id, "memo": e.memo, "reversal_of_id": e.reversal_of_id}


def line_json(x: StatementLine) -> dict:
    return {"id": x.id, "statement_id": x.statement_id, "booked_on": x.booked_on, "amount": x.amount,
            "reference": x.reference, "description": x.description, "counterparty": x.counterparty,
            "status": x.status, "match_kind": x.match_kind, "matched_id": x.matched_id,
            "confidence": None if x.confidence is None else str(x.confidence)}


def list_entries(request, call):
    return select(Entry)


def read_entry(request, call):
    session = request.dbsession
    entry = session.get(Entry, call.path["id"])
    if entry is None:
        raise NotFound()
    rows = session.execute(select(Account.code, Line.customer_id, Line.loan_id, Line.debit, Line.credit)
                           .join(Account, Account.id == Line.account_id).where(Line.entry_id == entry.id)
                           .order_by(Line.id)).all()
    return {**entry_json(entry), "lines": [{"account": a, "customer_id": c, "loan_id": loan, "debit": d,
                                            "credit": cr} for a, c, loan, d, cr in rows]}


def trial_balance(request, call):
    journal.ensure_defaults(request.dbsession)
    end = call.params.get("end")  # validated as a date by the document; the query needs a date, not text
    result = journal.trial_balance(request.dbsession, date.fromisoformat(end) if isinstance(end, str) else end)
    return {"rows": [{"code": r["account"].code, "name": r["account"].name, "kind": r["account"].kind,
                      "debit": r["debit"], "credit": r["credit"], "balance": r["balance"]} for r in result["rows"]],
            "debits": result["debits"], "credits": result["credits"], "difference": result["difference"]}


def books_check(request, call):
    session = request.dbsession
    return {"trial_balance_difference": journal.trial_balance(session)["difference"],
            "customers_differing": [{"customer_id": c, "books": b, "lending": lend}
                                    for c, b, lend in journal.differences(session)]}


def list_lines(request, call):
    return select(StatementLine)


def _line(request, call) -> StatementLine:
    line = request.dbsession.get(StatementLine, call.path["id"])
    if line is None:
        raise NotFound()
    return line


def match_line(request, call):
    return line_json(bank.match(request.dbsession, _line(request, call), call.body["kind"], call.body["record_id"]))


def bank_fee(request, call):
    return line_json(bank.mark_bank_fee(request.dbsession, _line(request, call)))


def import_statement(request, call):
    session = request.dbsession
    journal.ensure_defaults(session)
    chosen = session.get(BankAccount, int(call.form.get("bank_account_id") or 0)) \
        if str(call.form.get("bank_account_id") or "").isdigit() else None
    upload = call.files.get("file")
    if chosen is None or upload is None:
        raise UserError(_("Choose the bank account and the file."), "file")
    statement = bank.import_statement(session, chosen, upload.filename, upload.file.read())
    lines = session.scalars(select(StatementLine).where(StatementLine.statement_id == statement.id)
                            .order_by(StatementLine.id)).all()
    return {"id": statement.id, "lines": [line_json(x) for x in lines]}


def coverage(request, call):
    found = guarantee.coverage(request.dbsession)
    return {**found, "ratio": None if found["ratio"] is None else str(found["ratio"])}


def operations() -> list[Operation]:
    tags = ("finance",)
    return [
        Operation("GET", "/entries", "entries.list", list_entries, P + "books.view", _("List journal entries"),
                  response=ENTRY, tags=tags,
                  listing=Listing(Entry, entry_json, default_sort="-id", sorts={"entry_date": Entry.entry_date},
                                  filters={"event_type": Filter(Entry.event_type), "loan_id": Filter(Entry.loan_id),
                                           "customer_id": Filter(Entry.customer_id),
                                           "since": Filter(Entry.entry_date, "gte"),
                                           "until": Filter(Entry.entry_date, "lte")})),
        Operation("GET", "/entries/{id}", "entries.read", read_entry, P + "books.view",
                  _("One journal entry with its lines"), response=ENTRY_RECORD, tags=tags),
        Operation("GET", "/trial-balance", "trial_balance.read", trial_balance, P + "books.view",
                  _("The trial balance"), params={"end": DATE}, response=TRIAL, tags=tags),
        Operation("GET", "/books-check", "books_check.read", books_check, P + "books.view",
                  _("Whether the books agree with lending"), response=CHECK, tags=tags),
        Operation("GET", "/statement-lines", "lines.list", list_lines, P + "bank.view", _("List bank statement lines"),
                  response=STATEMENT_LINE, tags=tags,
                  listing=Listing(StatementLine, line_json, default_sort="-id",
                                  sorts={"booked_on": StatementLine.booked_on},
                                  filters={"status": Filter(StatementLine.status, schema={
                                      "type": "string", "enum": list(LINE_STATUSES)}),
                                      "statement_id": Filter(StatementLine.statement_id)})),
        Operation("POST", "/statement-lines/{id}/match", "lines.match", match_line, P + "bank.reconcile",
                  _("Match a statement line to a deposit, withdrawal or repayment"),
                  body=obj({"kind": {"type": "string", "enum": ["deposit", "withdrawal", "repayment"]},
                            "record_id": ID}), response=STATEMENT_LINE, tags=tags),
        Operation("POST", "/statement-lines/{id}/bank-fee", "lines.bank_fee", bank_fee, P + "bank.reconcile",
                  _("Mark a statement line as a bank fee"), response=STATEMENT_LINE, tags=tags),
        Operation("POST", "/statements", "statements.create", import_statement, P + "bank.reconcile",
                  _("Import a bank statement (CSV or CAMT.053)"),
                  multipart=obj({"bank_account_id": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                                 "file": {"type": "string", "format": "binary"}}),
                  response=obj({"id": ID, "lines": array(STATEMENT_LINE)}), status=201, idempotent=True,
                  tags=tags),
        Operation("GET", "/guarantee", "guarantee.read", coverage, P + "books.view",
                  _("The guarantee fund's balance and coverage ratio"), response=COVERAGE, tags=tags),
    ]
