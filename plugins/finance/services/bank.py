"""Bank statements: import (CSV with a column mapping saved per bank account, ISO 20022 CAMT.053
XML), automatic matching to lending's deposits, withdrawals and repayments, the manual
reconciliation of the rest, and the ageing of unmatched lines.

Matching (:func:`auto_match`) scores each candidate of the same sign and amount whose date is within
``finance.match_days`` (default 3) of the line's: a reference equal to the candidate's gives 1.00;
a reference found in the line's description 0.90; amount and date alone 0.60 when exactly one
candidate fits (else no match: a person chooses). Lines at or above ``finance.match_threshold``
(default 0.60) are matched; a candidate is matched to one line at most.

CAMT.053 is untrusted XML: parsed with ``defusedxml`` (no entity expansion, no external entities).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, insert, select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from core.money import ZERO, money
from plugins.finance.i18n import _
from plugins.finance.models import BankAccount, Statement, StatementLine
from plugins.finance.services import journal
from plugins.lending.models import CashEntry, Loan, Repayment

MAPPING_KEYS = ("delimiter", "date", "amount", "credit", "debit", "reference", "description", "counterparty",
                "date_format", "decimal")
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
MAX_LINES = 50_000


@dataclass
class ParsedLine:
    booked_on: date
    amount: Decimal
    reference: str = ""
    description: str = ""
    counterparty: str = ""


# -- parsing ------------------------------------------------------------------------------------

def parse_mapping(text: str) -> dict[str, str]:
    """``key=value`` lines -> dict; unknown keys and a missing date/amount column are refused."""
    out: dict[str, str] = {}
    for raw in (text or "").splitlines():
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or key not in MAPPING_KEYS:
            raise UserError(_("Write the CSV columns as key=value lines with keys among: ${keys}.",
                              mapping={"keys": ", ".join(MAPPING_KEYS)}), "csv_mapping")
        out[key] = value.strip() if key != "delimiter" else (value.strip() or ",")
    if "date" not in out or not ("amount" in out or "credit" in out):
        raise UserError(_("The CSV columns need at least date= and amount= (or credit= and debit=)."), "csv_mapping")
    return out


def _amount(text: str, decimal_sep: str, row: int) -> Decimal:
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return ZERO
    if decimal_sep == ",":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return money(Decimal(text))
    except (InvalidOperation, ValueError):
        raise UserError(_("Line ${row}: '${value}' is not an amount.", mapping={"row": row, "value": text[:30]}),
                        "file") from None


def parse_csv(data: bytes, mapping: dict[str, str]) -> list[ParsedLine]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.get("delimiter", ",")[:1])
    missing = [mapping[k] for k in ("date", "amount", "credit", "debit", "reference", "description",
                                    "counterparty") if k in mapping and mapping[k] not in (reader.fieldnames or [])]
    if missing:
        raise UserError(_("The file has no column ${names}; check the bank account's CSV columns.",
                          mapping={"names": ", ".join(missing)}), "file")
    fmt, sep = mapping.get("date_format", "%Y-%m-%d"), mapping.get("decimal", ".")
    out = []
    for n, row in enumerate(reader, start=2):
        if n > MAX_LINES:
            raise UserError(_("A statement has at most ${n} lines.", mapping={"n": MAX_LINES}), "file")
        try:
            booked = datetime.strptime((row[mapping["date"]] or "").strip(), fmt).date()
        except ValueError:
            raise UserError(_("Line ${row}: '${value}' is not a date like ${format}.",
                              mapping={"row": n, "value": (row[mapping["date"]] or "")[:20], "format": fmt}),
                            "file") from None
        if "amount" in mapping:
            value = _amount(row[mapping["amount"]], sep, n)
        else:
            value = _amount(row[mapping["credit"]], sep, n) - abs(_amount(row.get(mapping.get("debit", ""), ""), sep, n))
        out.append(ParsedLine(booked, value, *(((row.get(mapping[k]) or "").strip() if k in mapping else "")
                                                for k in ("reference", "description", "counterparty"))))
    return out


def parse_camt053(data: bytes) -> tuple[str, list[ParsedLine]]:
    """(statement id, lines) of a CAMT.053 document (any 001.xx version); every Ntry is one line."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError):
        raise UserError(_("The file is not well-formed CAMT.053 XML."), "file") from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not ns.startswith(CAMT_NS):
        raise UserError(_("The file is not a CAMT.053 statement (namespace ${ns}).", mapping={"ns": ns or "—"}),
                        "file")
    q = {"c": ns}

    def text(node, path):
        found = node.find(path, q)
        return (found.text or "").strip() if found is not None and found.text else ""

    stmt = root.find("c:BkToCstmrStmt/c:Stmt", q)
    if stmt is None:
        raise UserError(_("The CAMT.053 file has no statement."), "file")
    out = []
    for entry in stmt.findall("c:Ntry", q):
        raw = text(entry, "c:Amt")
        try:
            value = money(Decimal(raw))
        except (InvalidOperation, ValueError):
            raise UserError(_("An entry's amount '${value}' is not a number.", mapping={"value": raw[:30]}),
                            "file") from None
        if text(entry, "c:CdtDbtInd") == "DBIT":
            value = -value
        day = text(entry, "c:BookgDt/c:Dt") or text(entry, "c:BookgDt/c:DtTm")[:10] or text(entry, "c:ValDt/c:Dt")
        try:
            booked = date.fromisoformat(day)
        except ValueError:
            raise UserError(_("An entry's booking date '${value}' is not a date.", mapping={"value": day[:20]}),
                            "file") from None
        tx = "c:NtryDtls/c:TxDtls/"
        reference = (text(entry, tx + "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref") or text(entry, tx + "c:Refs/c:EndToEndId")
                     or text(entry, "c:AcctSvcrRef"))
        if reference == "NOTPROVIDED":
            reference = ""
        description = text(entry, tx + "c:RmtInf/c:Ustrd") or text(entry, "c:AddtlNtryInf")
        party = "c:Dbtr/c:Nm" if value > 0 else "c:Cdtr/c:Nm"
        counterparty = text(entry, tx + "c:RltdPties/" + party)
        out.append(ParsedLine(booked, value, reference, description, counterparty))
        if len(out) > MAX_LINES:
            raise UserError(_("A statement has at most ${n} lines.", mapping={"n": MAX_LINES}), "file")
    return text(stmt, "c:Id"), out


# -- import --------------------------------------------------------------------------------------

def save_mapping(session, bank: BankAccount, text: str) -> BankAccount:
    parse_mapping(text)
    bank.csv_mapping = text.strip()
    session.flush()
    return bank


def import_statement(session, bank: BankAccount, filename: str, data: bytes, fmt: str | None = None) -> Statement:
    """Read the file, store its lines, match what can be matched; one audited event for the import."""
    fmt = fmt or ("camt053" if (filename or "").lower().endswith(".xml") else "csv")
    if fmt == "camt053":
        identifier, lines = parse_camt053(data)
    elif fmt == "csv":
        identifier, lines = "", parse_csv(data, parse_mapping(bank.csv_mapping))
    else:
        raise UserError(_("Choose CSV or CAMT.053."), "format")
    if not lines:
        raise UserError(_("The file has no lines."), "file")
    if identifier and session.scalar(select(Statement.id).where(Statement.identifier == identifier,
                                                                Statement.bank_account_id == bank.id)):
        raise ConflictError(_("Statement ${id} was imported before.", mapping={"id": identifier}), "file")
    statement = Statement(bank_account_id=bank.id, format=fmt, filename=(filename or "")[:200],
                          identifier=identifier[:100], lines_count=len(lines))
    session.add(statement)
    session.flush()
    session.execute(insert(StatementLine), [
        {"statement_id": statement.id, "booked_on": x.booked_on, "amount": x.amount, "reference": x.reference[:140],
         "description": x.description[:300], "counterparty": x.counterparty[:140], "status": "unmatched",
         "match_kind": "", "matched_by": ""} for x in lines])
    matched = auto_match(session, statement.id)
    record_event(session, "statement_imported", "finance.statement", statement.id,
                 {"lines": len(lines), "matched": matched, "format": fmt})
    return statement


# -- matching ------------------------------------------------------------------------------------

@dataclass
class Candidate:
    kind: str  # deposit | withdrawal | repayment
    id: int
    amount: Decimal  # signed as the bank sees it
    day: date
    reference: str
    label: str = ""


def _window(session) -> int:
    return int(context.settings(session).get("finance.match_days", 3))


def _threshold(session) -> Decimal:
    return Decimal(str(context.settings(session).get("finance.match_threshold", "0.60")))


def candidates(session, start: date, end: date) -> list[Candidate]:
    """Lending's deposits, withdrawals and repayments dated start..end not matched to a line yet."""
    taken = {(k, i) for k, i in session.execute(select(StatementLine.match_kind, StatementLine.matched_id).where(
        StatementLine.status == "matched"))}
    out = []
    for e in session.scalars(select(CashEntry).where(CashEntry.kind.in_(("deposit", "withdrawal")),
                                                     CashEntry.entry_date.between(start, end))):
        if (e.kind, e.id) not in taken:
            out.append(Candidate(e.kind, e.id, e.amount, e.entry_date, e.reference))
    for r in session.scalars(select(Repayment).where(Repayment.paid_on.between(start, end))):
        if ("repayment", r.id) not in taken:
            out.append(Candidate("repayment", r.id, r.amount, r.paid_on, r.reference))
    return out


def score(line, candidate: Candidate, window: int) -> Decimal:
    """How sure a match is (0 when the amount or the date window rules it out)."""
    if candidate.amount != line.amount or abs((candidate.day - line.booked_on).days) > window:
        return ZERO
    ref = (candidate.reference or "").strip().lower()
    if ref and ref == (line.reference or "").strip().lower():
        return Decimal("1.00")
    if ref and ref in f"{line.reference} {line.description}".lower():
        return Decimal("0.90")
    return Decimal("0.60")


def best(line, pool: list[Candidate], window: int) -> tuple[Candidate | None, Decimal]:
    scored = sorted(((score(line, c, window), c) for c in pool), key=lambda x: (-x[0], abs((x[1].day - line.booked_on).days)))
    scored = [x for x in scored if x[0] > 0]
    if not scored:
        return None, ZERO
    top, candidate = scored[0]
    if top == Decimal("0.60") and len(scored) > 1:
        return None, ZERO  # amount and date only, and more than one fits: a person decides
    return candidate, top


def auto_match(session, statement_id: int | None = None) -> int:
    """Match the unmatched lines (of one statement, or all); returns how many were matched."""
    stmt = select(StatementLine).where(StatementLine.status == "unmatched")
    if statement_id is not None:
        stmt = stmt.where(StatementLine.statement_id == statement_id)
    lines = session.scalars(stmt.order_by(StatementLine.booked_on, StatementLine.id)).all()
    if not lines:
        return 0
    window, threshold = _window(session), _threshold(session)
    pool = candidates(session, min(x.booked_on for x in lines) - timedelta(days=window),
                      max(x.booked_on for x in lines) + timedelta(days=window))
    matched = 0
    for line in lines:
        candidate, confidence = best(line, pool, window)
        if candidate is not None and confidence >= threshold:
            _set_match(session, line, candidate.kind, candidate.id, confidence, "auto")
            pool.remove(candidate)
            matched += 1
    session.flush()
    return matched


def _set_match(session, line: StatementLine, kind: str, record_id: int | None, confidence: Decimal, by: str) -> None:
    line.status = "bank_fee" if kind == "bank_fee" else "matched"
    line.match_kind, line.matched_id, line.confidence = kind, record_id, confidence
    line.matched_by, line.matched_at = by[:100], utcnow()
    session.flush()
    context.hooks(session).finance_statement_line_matched(line=line)


def _unmatched(line: StatementLine) -> None:
    if line.status != "unmatched":
        raise ConflictError(_("Line ${id} is already reconciled.", mapping={"id": line.id}), "line")


def match(session, line: StatementLine, kind: str, record_id: int) -> StatementLine:
    """A person matches a line to a deposit, withdrawal (cash entry ids) or repayment."""
    _unmatched(line)
    if kind in ("deposit", "withdrawal"):
        record = session.get(CashEntry, record_id)
        ok = record is not None and record.kind == kind
    elif kind == "repayment":
        record = session.get(Repayment, record_id)
        ok = record is not None
    else:
        raise UserError(_("Match a line to a deposit, a withdrawal or a repayment."), "kind")
    if not ok:
        raise UserError(_("There is no ${kind} ${id}.", mapping={"kind": kind, "id": record_id}), "record_id")
    if record.amount != line.amount:
        raise UserError(_("The line is ${line} and the record ${record}; only equal amounts match.",
                          mapping={"line": str(line.amount), "record": str(record.amount)}), "record_id")
    if session.scalar(select(StatementLine.id).where(StatementLine.match_kind == kind,
                                                     StatementLine.matched_id == record_id)):
        raise ConflictError(_("That ${kind} is already matched to another line.", mapping={"kind": kind}),
                            "record_id")
    _set_match(session, line, kind, record_id, Decimal("1.00"), current_actor(session).name or "")
    record_event(session, "statement_line_matched", "finance.statement", line.statement_id,
                 {"line": line.id, "kind": kind, "record": record_id})
    return line


def mark_bank_fee(session, line: StatementLine) -> StatementLine:
    """A bank charge (money out): posts Bank charges against the client money account and reconciles the line."""
    _unmatched(line)
    if line.amount >= ZERO:
        raise UserError(_("Only money out can be a bank fee."), "line")
    entry_id = journal.post(session, "finance_bank_fee", "finance.statement_line", line.id,
                            max(line.booked_on, journal.posting_date(session, line.booked_on)),
                            {"amount": -line.amount}, memo=line.description or line.reference)
    _set_match(session, line, "bank_fee", entry_id, Decimal("1.00"), current_actor(session).name or "")
    record_event(session, "statement_line_bank_fee", "finance.statement", line.statement_id, {"line": line.id})
    return line


def create_repayment(session, line: StatementLine, loan: Loan) -> Repayment:
    """The money is a repayment lending does not know yet: post it through lending's service, then match."""
    from plugins.lending import services as lending

    _unmatched(line)
    if line.amount <= ZERO:
        raise UserError(_("Only money in can be a repayment."), "line")
    reference = line.reference or f"BANK-{line.id}"
    repayment = lending.post_repayment(session, loan, line.amount, line.booked_on, reference)
    match(session, line, "repayment", repayment.id)
    return repayment


def create_deposit(session, line: StatementLine, customer) -> CashEntry:
    """The money is an investor's deposit lending does not know yet: record it through lending's service."""
    from plugins.lending import services as lending

    _unmatched(line)
    if line.amount <= ZERO:
        raise UserError(_("Only money in can be a deposit."), "line")
    entry = lending.deposit(session, customer, line.amount, entry_date=line.booked_on,
                            reference=line.reference or f"BANK-{line.id}")
    match(session, line, "deposit", entry.id)
    return entry


def suggestions(session, line: StatementLine, limit: int = 10) -> list[tuple[Candidate, Decimal]]:
    window = max(_window(session), 10)
    pool = candidates(session, line.booked_on - timedelta(days=window), line.booked_on + timedelta(days=window))
    scored = [(c, score(line, c, window)) for c in pool]
    return sorted([x for x in scored if x[1] > 0], key=lambda x: -x[1])[:limit]


AGE_BUCKETS = ((0, 7), (8, 30), (31, 90), (91, None))


def ageing(session, today: date | None = None) -> list[tuple[str, int, Decimal]]:
    """Unmatched lines by age (days since booked): (bucket, count, total)."""
    today = today or context.today(session)
    rows = session.execute(select(StatementLine.booked_on, StatementLine.amount)
                           .where(StatementLine.status == "unmatched")).all()
    out = []
    for low, high in AGE_BUCKETS:
        name = f"{low}-{high}" if high is not None else f"{low}+"
        inside = [a for d, a in rows if (today - d).days >= low and (high is None or (today - d).days <= high)]
        out.append((name, len(inside), sum(inside, ZERO)))
    return out


def unmatched_count(session) -> int:
    return session.scalar(select(func.count(StatementLine.id)).where(StatementLine.status == "unmatched")) or 0


# -- repayments that arrive only in the bank file ---------------------------------------------------

LOAN_REFERENCE = r"(?i)\bloan[\s\-_#]*(\d+)\b"


def loan_named(line: StatementLine) -> int | None:
    """The loan number a borrower wrote on the transfer ("loan 123", "LOAN-123"), if any."""
    import re

    found = re.search(LOAN_REFERENCE, f"{line.reference} {line.description}")
    return int(found.group(1)) if found else None


def post_bank_repayments(session, statement_id: int | None = None) -> tuple[int, list[int]]:
    """Post every unmatched money-in line naming an active loan as that loan's repayment (lending's
    service, so allocation, distribution and every event happen), and match it. A line lending refuses
    (too much, a closed loan) stays unmatched for a person. Returns (posted, refused line ids)."""
    stmt = select(StatementLine).where(StatementLine.status == "unmatched", StatementLine.amount > 0)
    if statement_id is not None:
        stmt = stmt.where(StatementLine.statement_id == statement_id)
    posted, refused = 0, []
    for line in session.scalars(stmt.order_by(StatementLine.booked_on, StatementLine.id)).all():
        loan_id = loan_named(line)
        loan = session.get(Loan, loan_id) if loan_id else None
        if loan is None or loan.status != "active":
            continue
        try:
            with session.begin_nested():
                create_repayment(session, line, loan)
            posted += 1
        except UserError:
            refused.append(line.id)
    return posted, refused
