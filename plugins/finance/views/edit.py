"""Forms of the chart of accounts and the posting rules (finance.books.manage)."""
from __future__ import annotations

import colander
import deform
from pyramid.view import view_config

from core.security import get_visible_or_404
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.shell import flash
from plugins.finance.i18n import _, label
from plugins.finance.models import ACCOUNT_KINDS, PARTIES, SIDES, Account, PostingRule
from plugins.finance.services import chart

FORM_PAGE = "core:web/templates/form_page.pt"


class AccountSchema(CSRFSchema):
    code = colander.SchemaNode(colander.String(), title=_("Code"), validator=colander.Length(1, 12))
    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=colander.Length(1, 120))
    kind = colander.SchemaNode(colander.String(), title=_("Kind"),
                               widget=deform.widget.SelectWidget(values=[(k, label(k)) for k in ACCOUNT_KINDS]))
    custodial = colander.SchemaNode(colander.Boolean(), title=_("Custodial"), missing=False)
    active = colander.SchemaNode(colander.Boolean(), title=_("Active"), missing=False)
    description = colander.SchemaNode(colander.String(), title=_("Description"), missing="",
                                      widget=deform.widget.TextAreaWidget())


class RuleSchema(CSRFSchema):
    account_code = colander.SchemaNode(colander.String(), title=_("Account"), validator=colander.Length(1, 12))
    side = colander.SchemaNode(colander.String(), title=_("Side"),
                               widget=deform.widget.SelectWidget(values=[(s, label(s)) for s in SIDES]))
    amount = colander.SchemaNode(colander.String(), title=_("Amount"), validator=colander.Length(1, 40))
    party = colander.SchemaNode(colander.String(), title=_("Party"), missing="",
                                widget=deform.widget.SelectWidget(values=[(p, label(p) if p else "—")
                                                                          for p in PARTIES]))


def _save_account(request, account):
    form = make_form(request, AccountSchema(), buttons=("save",))

    def save(data):
        data.pop("csrf_token", None)
        saved = chart.save_account(request.dbsession, account, **data)
        flash(request, _("Account ${code} saved.", mapping={"code": saved.code}))
        return request.route_url("finance.accounts")

    appstruct = None if account is None else {
        "code": account.code, "name": account.name, "kind": account.kind, "custodial": account.custodial,
        "active": account.active, "description": account.description}
    return process(request, form, save, appstruct)


@view_config(route_name="finance.account_new", renderer=FORM_PAGE, permission="finance.books.manage")
def account_new(request):
    return page(_("New account"), _save_account(request, None))


@view_config(route_name="finance.account", renderer=FORM_PAGE, permission="finance.books.manage")
def account_edit(request):
    account = get_visible_or_404(request, Account, request.matchdict["id"])
    return page(_("Account ${code}", mapping={"code": account.code}), _save_account(request, account))


@view_config(route_name="finance.rule", renderer=FORM_PAGE, permission="finance.books.manage")
def rule_edit(request):
    rule = get_visible_or_404(request, PostingRule, request.matchdict["id"])
    form = make_form(request, RuleSchema(), buttons=("save",))

    def save(data):
        data.pop("csrf_token", None)
        chart.save_rule(request.dbsession, rule, **data)
        flash(request, _("Posting rule saved."))
        return request.route_url("finance.rules")

    appstruct = {"account_code": rule.account_code, "side": rule.side, "amount": rule.amount, "party": rule.party}
    return page(_("Posting rule ${event} ${n}", mapping={"event": rule.event_type, "n": rule.position}),
                process(request, form, save, appstruct))


class BankSchema(CSRFSchema):
    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=colander.Length(1, 120))
    iban = colander.SchemaNode(colander.String(), title=_("IBAN"), missing="", validator=colander.Length(0, 40))
    csv_mapping = colander.SchemaNode(colander.String(), title=_("CSV columns"),
                                      description=_("One key=value a line: delimiter, date, amount (or credit and "
                                                    "debit), reference, description, counterparty, date_format, "
                                                    "decimal."),
                                      widget=deform.widget.TextAreaWidget(rows=9))


@view_config(route_name="finance.bank_account", renderer=FORM_PAGE, permission="finance.bank.reconcile")
def bank_account_edit(request):
    from plugins.finance.models import BankAccount
    from plugins.finance.services import bank

    account = get_visible_or_404(request, BankAccount, request.matchdict["id"])
    form = make_form(request, BankSchema(), buttons=("save",))

    def save(data):
        account.name, account.iban = data["name"].strip(), data["iban"].strip()
        bank.save_mapping(request.dbsession, account, data["csv_mapping"])
        flash(request, _("Bank account ${name} saved.", mapping={"name": account.name}))
        return request.route_url("finance.statement_import")

    appstruct = {"name": account.name, "iban": account.iban, "csv_mapping": account.csv_mapping}
    return page(_("Bank account ${name}", mapping={"name": account.name}), process(request, form, save, appstruct))
