"""The ``crm`` plugin: market development — accounts, partners, the pipeline, visits, targets, commissions.

Accounts link to lending's customers when lending creates them; opportunities
are won when lending funds the application they became; partners' commissions
accrue on that funding and are clawed back on a missed first installment.
Targets are decomposed exactly company → teams → people → months. Others
plug into :mod:`plugins.crm.hookspecs`. See docs/plugins/crm.md.
"""
from core import PluginInfo, hookimpl
from plugins.crm.i18n import _

PLUGIN = PluginInfo(name="crm", title=_("Market development"), version="1.0.0", depends=("lending",),
                    description=_("Accounts, partners and channels, the sales pipeline, activities and visits, "
                                  "targets decomposed to the cent, partner commissions."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.crm import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.crm.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.crm.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.crm.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_record_rules():
    from plugins.crm.declarations import record_rules

    return record_rules()


@hookimpl
def mutuo_lookups():
    from plugins.crm.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.crm.views import includeme

    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.crm.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.crm.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.crm.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_api():
    from plugins.crm.api import operations

    return operations()


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.crm.demo import load

    return load(session, scale)


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.crm.demo import day as demo_day

    demo_day(session, day, story)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.crm.views.panels import customer_panels

    return customer_panels(request, customer)


# -- lending's events: run inside lending's transaction ---------------------------------------------

@hookimpl
def lending_customer_created(customer):
    from sqlalchemy.orm import object_session

    from plugins.crm.services import accounts

    accounts.on_customer_created(object_session(customer), customer)


@hookimpl
def lending_application_funded(application):
    from sqlalchemy.orm import object_session

    from plugins.crm.services import pipeline

    pipeline.on_application_funded(object_session(application), application)


@hookimpl
def lending_loan_delinquency_changed(loan, old_bucket, new_bucket, days_past_due):
    from sqlalchemy.orm import object_session

    from plugins.crm.services import commissions

    commissions.on_delinquency_changed(object_session(loan), loan, old_bucket, new_bucket)


# -- legal's events (only called when legal is enabled) -------------------------------------------------

@hookimpl(optionalhook=True)
def legal_contract_signed(contract):
    """Every party signed the contract: the partner agreement made of it (if any) is signed, active once in force."""
    from sqlalchemy.orm import object_session

    from core import context
    from core.audit import entity_type_of
    from plugins.crm.services import agreements

    session = object_session(contract)
    today = context.today(session)
    agreements.on_contract_signed(session, agreements.contract_ref(entity_type_of(type(contract)), contract.id),
                                  signed_on=max((s.signed_on for s in contract.signatures), default=today),
                                  in_force=contract.start_date is None or contract.start_date <= today,
                                  valid_until=contract.end_date)
