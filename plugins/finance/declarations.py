"""What finance declares to core: permissions, roles, record types, lookups, menu."""
from __future__ import annotations

from plugins.finance.i18n import _

P = "finance."


def permissions():
    from core.security import Permission

    return [
        Permission(P + "books.view", _("See the books"), _("Chart of accounts, journal, ledger, trial balance and "
                                                            "reports, with CSV.")),
        Permission(P + "books.manage", _("Keep the books"), _("Edit the chart of accounts and the posting rules, "
                                                              "reverse entries.")),
        Permission(P + "bank.view", _("See bank statements"), _("Bank accounts, imported statements and their "
                                                                "lines.")),
        Permission(P + "bank.reconcile", _("Import and reconcile statements"),
                   _("Import statements, match lines, create the missing deposits and repayments, mark bank "
                     "fees.")),
        Permission(P + "period.close", _("Close periods"), _("Close a month: nothing posts on or before it "
                                                             "afterwards.")),
        Permission(P + "statement.view", _("See investor statements"), _("Monthly statements of investors and "
                                                                         "their yearly income.")),
    ]


def roles():
    from core.security import RoleSpec

    everything = tuple(p.name for p in permissions())
    return [
        RoleSpec("accountant", _("Accountant"),
                 ("core.dashboard.view", P + "books.view", P + "bank.view", P + "bank.reconcile", P + "period.close",
                  P + "statement.view", "lending.customer.view", "lending.loan.view", "lending.repayment.view"),
                 _("Keeps the books day to day: imports bank statements, reconciles them and closes the month.")),
        RoleSpec("finance_manager", _("Finance manager"),
                 ("core.dashboard.view", *everything, "lending.customer.view", "lending.loan.view",
                  "lending.repayment.view"),
                 _("Owns the chart of accounts and posting rules, closes the months, reads every report.")),
    ]


def entity_types():
    from core.entities import EntityType
    from plugins.finance.models import Account, BankAccount, Period, PostingRule, Statement

    return [
        EntityType(Account, _("Account"), P + "books.view", P + "books.manage", "finance.account", "{code} {name}",
                   fields={"code": _("Code"), "name": _("Name"), "kind": _("Kind"), "custodial": _("Custodial"),
                           "active": _("Active"), "description": _("Description")}),
        EntityType(PostingRule, _("Posting rule"), P + "books.view", P + "books.manage", None,
                   "{event_type} {position}",
                   fields={"event_type": _("Event"), "position": _("Position"), "account_code": _("Account"),
                           "side": _("Side"), "amount": _("Amount"), "party": _("Party")}),
        EntityType(Period, _("Closed period"), P + "books.view", P + "period.close", None, "{month}",
                   fields={"month": _("Month"), "closed_through": _("Closed through"), "closed_by": _("Closed by"),
                           "checklist": _("Checklist")}),
        EntityType(BankAccount, _("Bank account"), P + "bank.view", P + "bank.reconcile", None, "{name}",
                   fields={"name": _("Name"), "iban": _("IBAN"), "account_code": _("Account"),
                           "csv_mapping": _("CSV columns")}),
        EntityType(Statement, _("Bank statement"), P + "bank.view", P + "bank.reconcile", "finance.statement",
                   "Statement {id}",
                   fields={"bank_account_id": _("Bank account"), "format": _("Format"), "filename": _("File"),
                           "identifier": _("Statement id"), "lines_count": _("Lines"),
                           "imported_at": _("Imported")}),
    ]


def lookups():
    from sqlalchemy import or_

    from core.web.lookups import Lookup
    from plugins.finance.models import Account

    def match(stmt, q):
        like = f"%{q.strip()}%"
        return stmt.where(or_(Account.code.like(like), Account.name.ilike(like))).order_by(Account.code)

    return [Lookup("finance.account", Account, P + "books.view", match, label=lambda a: f"{a.code} {a.name}",
                   detail=lambda a: a.kind)]


def menu():
    from core.web.menu import MenuEntry

    section = _("Finance")
    return [
        MenuEntry(_("Reconciliation"), "finance.reconcile", P + "bank.view", section, 400),
        MenuEntry(_("Bank statements"), "finance.statements", P + "bank.view", section, 401),
        MenuEntry(_("Journal"), "finance.journal", P + "books.view", section, 410),
        MenuEntry(_("Trial balance"), "finance.trial_balance", P + "books.view", section, 411),
        MenuEntry(_("Chart of accounts"), "finance.accounts", P + "books.view", section, 412),
        MenuEntry(_("Posting rules"), "finance.rules", P + "books.view", section, 413),
        MenuEntry(_("Period close"), "finance.periods", P + "books.view", section, 420),
        MenuEntry(_("Reports"), "finance.reports", P + "books.view", section, 421),
        MenuEntry(_("Guarantee fund"), "finance.guarantee", P + "books.view", section, 425),
        MenuEntry(_("Investor statements"), "finance.investor_statement", P + "statement.view", section, 430),
    ]


def jobs():
    from core.jobs import JobSpec
    from plugins.finance import jobs as tasks

    return [
        JobSpec("finance.auto_match", tasks.auto_match, "0 6 * * *",
                _("Matches unmatched bank statement lines to lending's deposits, withdrawals and repayments, and "
                  "posts the repayments that arrived only in the bank file.")),
        JobSpec("finance.investor_statements", tasks.investor_statements, "0 7 * * *",
                _("After a month is closed, stores every investor's statement of that month as a PDF document."),
                time_limit=3600),
    ]
