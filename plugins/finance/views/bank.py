"""Bank statements: the import form, the list of statements, the reconciliation screen and its actions."""
from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import select

from core.security import get_visible_or_404
from core.web.forms import run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.shell import flash
from plugins.finance.i18n import _, label
from plugins.finance.models import LINE_STATUSES, BankAccount, Statement, StatementLine
from plugins.finance.services import bank, journal
from plugins.lending.models import Customer, Loan


@view_config(route_name="finance.statements", renderer=LIST_PAGE, permission="finance.bank.view")
def statements(request):
    journal.ensure_defaults(request.dbsession)
    stmt = select(Statement).join(BankAccount, BankAccount.id == Statement.bank_account_id).add_columns(BankAccount.name)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Statement.id, value=lambda r: r[0].id,
               link=lambda request, r: request.route_url("finance.statement", id=r[0].id)),
        Column("bank", _("Bank account"), BankAccount.name, value=lambda r: r.name),
        Column("format", _("Format"), Statement.format, value=lambda r: r[0].format),
        Column("filename", _("File"), Statement.filename, value=lambda r: r[0].filename),
        Column("identifier", _("Statement id"), Statement.identifier, value=lambda r: r[0].identifier),
        Column("lines", _("Lines"), Statement.lines_count, value=lambda r: r[0].lines_count),
        Column("imported_at", _("Imported"), Statement.imported_at, value=lambda r: r[0].imported_at),
    ], default_sort="-id", export_name="bank-statements")
    actions = [(_("Import a statement"), request.route_url("finance.statement_import"))] \
        if request.has_permission("finance.bank.reconcile") else []
    return render_listing(listing, title=_("Bank statements"), actions=actions)


@view_config(route_name="finance.statement", renderer=LIST_PAGE, permission="finance.bank.view")
def statement(request):
    found = get_visible_or_404(request, Statement, request.matchdict["id"])
    return _lines(request, select(StatementLine).where(StatementLine.statement_id == found.id),
                  _("Statement ${id}", mapping={"id": found.id}), f"statement-{found.id}")


def _lines(request, stmt, title, export):
    listing = Listing(request, stmt, columns=[
        Column("id", "#", StatementLine.id, value=lambda x: x.id,
               link=lambda request, x: request.route_url("finance.line", id=x.id)),
        Column("booked_on", _("Booked"), StatementLine.booked_on, value=lambda x: x.booked_on),
        Column("amount", _("Amount"), StatementLine.amount, value=lambda x: x.amount, css="money"),
        Column("reference", _("Reference"), StatementLine.reference, value=lambda x: x.reference),
        Column("description", _("Description"), None, value=lambda x: x.description, wide=True),
        Column("counterparty", _("Counterparty"), StatementLine.counterparty, value=lambda x: x.counterparty),
        Column("status", _("Status"), StatementLine.status, value=lambda x: label(x.status.replace("_", " "))),
        Column("match", _("Matched to"), StatementLine.match_kind,
               value=lambda x: f"{label(x.match_kind.replace('_', ' '))} {x.matched_id or ''}" if x.match_kind else ""),
        Column("confidence", _("Confidence"), StatementLine.confidence, value=lambda x: x.confidence or ""),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(StatementLine.status == v),
               tuple((x, label(x.replace("_", " "))) for x in LINE_STATUSES)),
    ], default_sort="booked_on", export_name=export)
    return render_listing(listing, title=title)


@view_config(route_name="finance.reconcile", renderer="plugins.finance:templates/reconcile.pt",
             permission="finance.bank.view")
def reconcile(request):
    session = request.dbsession
    lines = session.scalars(select(StatementLine).where(StatementLine.status == "unmatched")
                            .order_by(StatementLine.booked_on, StatementLine.id).limit(200)).all()
    return {"title": _("Reconciliation"), "lines": lines, "ageing": bank.ageing(session),
            "can_reconcile": request.has_permission("finance.bank.reconcile")}


@view_config(route_name="finance.reconcile", request_method="POST", permission="finance.bank.reconcile")
def reconcile_auto(request):
    return run_action(request, lambda: bank.auto_match(request.dbsession),
                      lambda n: _("${n} lines matched.", mapping={"n": n}), request.route_url("finance.reconcile"))


@view_config(route_name="finance.line", renderer="plugins.finance:templates/line.pt", permission="finance.bank.view")
def line_page(request):
    line = get_visible_or_404(request, StatementLine, request.matchdict["id"])
    return {"title": _("Statement line ${id}", mapping={"id": line.id}), "line": line,
            "suggestions": bank.suggestions(request.dbsession, line) if line.status == "unmatched" else [],
            "can_reconcile": request.has_permission("finance.bank.reconcile") and line.status == "unmatched",
            "csrf": request.session.get_csrf_token()}


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@view_config(route_name="finance.line", request_method="POST", permission="finance.bank.reconcile")
def line_action(request):
    from core.errors import UserError

    session = request.dbsession
    line = get_visible_or_404(request, StatementLine, request.matchdict["id"])
    back = request.route_url("finance.line", id=line.id)
    action = request.POST.get("action", "")

    def run():
        if action == "match":
            return bank.match(session, line, request.POST.get("kind", ""), _int(request.POST.get("record_id")) or 0)
        if action == "bank_fee":
            return bank.mark_bank_fee(session, line)
        if action == "repayment":
            loan = session.get(Loan, _int(request.POST.get("loan_id")) or 0)
            if loan is None:
                raise UserError(_("Enter the number of the loan the money repays."), "loan_id")
            return bank.create_repayment(session, line, loan)
        if action == "deposit":
            customer = session.get(Customer, _int(request.POST.get("customer_id")) or 0)
            if customer is None:
                raise UserError(_("Enter the number of the investor who sent the money."), "customer_id")
            return bank.create_deposit(session, line, customer)
        raise UserError(_("Choose what the line is."), "action")

    return run_action(request, run, _("Line reconciled."), back)


@view_config(route_name="finance.statement_import", renderer="plugins.finance:templates/import.pt",
             permission="finance.bank.reconcile")
def statement_import(request):
    session = request.dbsession
    journal.ensure_defaults(session)
    banks = session.scalars(select(BankAccount).order_by(BankAccount.id)).all()
    if request.method == "POST":
        upload = request.POST.get("file")
        chosen = session.get(BankAccount, _int(request.POST.get("bank_account_id")) or 0)

        def run():
            from core.errors import UserError

            if chosen is None or getattr(upload, "file", None) is None:
                raise UserError(_("Choose the bank account and the file."), "file")
            done = bank.import_statement(session, chosen, upload.filename, upload.file.read())
            flash(request, _("Statement imported: ${n} lines.", mapping={"n": done.lines_count}))
            return request.route_url("finance.reconcile")

        return run_action(request, run, None, request.route_url("finance.statement_import"))
    return {"title": _("Import a statement"), "banks": banks, "csrf": request.session.get_csrf_token()}
