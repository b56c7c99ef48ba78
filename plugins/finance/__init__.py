"""The ``finance`` plugin: double-entry books from lending's events, bank statements and
reconciliation, the principal guarantee fund's contributions, period close and investor statements.

Every lending money event posts a balanced journal entry through the posting rules (data, editable);
see docs/plugins/finance.md.
"""
from core import PluginInfo, hookimpl
from plugins.finance.i18n import _

PLUGIN = PluginInfo(name="finance", title=_("Finance"), version="1.0.0", depends=("lending",),
                    description=_("Double-entry books from lending's events, bank statement import and "
                                  "reconciliation, guarantee fund, period close, investor statements."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.finance import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.finance.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.finance.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.finance.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_lookups():
    from plugins.finance.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.finance.views import includeme

    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.finance.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.finance.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.finance.views.search import global_search

    return global_search(request, query)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.finance.views.search import customer_panels

    return customer_panels(request, customer)


@hookimpl
def mutuo_api():
    from plugins.finance.api import operations

    return operations()


@hookimpl
def mutuo_jobs():
    from plugins.finance.declarations import jobs

    return jobs()


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.finance.demo import day as demo_day

    demo_day(session, day, story)


# -- lending's money events: each posts one journal entry inside lending's transaction -----------

@hookimpl
def lending_cash_deposited(entry):
    from plugins.finance.services import events

    events.deposited(entry)


@hookimpl
def lending_cash_withdrawn(entry):
    from plugins.finance.services import events

    events.withdrawn(entry)


@hookimpl
def lending_investment_reserved(investment):
    from plugins.finance.services import events

    events.reserved(investment)


@hookimpl
def lending_investments_released(application, investments):
    from plugins.finance.services import events

    events.released(application, investments)


@hookimpl
def lending_loan_disbursed(loan):
    from plugins.finance.services import events

    events.disbursed(loan)


@hookimpl
def lending_repayment_posted(repayment):
    from plugins.finance.services import events

    events.repaid(repayment)


@hookimpl
def lending_loan_written_off(loan, outstanding_principal):
    from plugins.finance.services import events

    events.written_off(loan, outstanding_principal)
