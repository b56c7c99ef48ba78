"""The ``legal`` plugin: contracts and their review, seals, litigation and arbitration, legal opinions.

Contract templates (HTML or .docx through docxtpl) with a clause library and
required fields generate contracts that go through review tiers, are frozen
by the SHA-256 of the approved text, signed (each signed copy a version of
the contract's document, checked against that hash), renewed tacitly or by
hand with the notice deadline computed from the current end date. Seal use
is requested, approved by someone else and recorded by the custodian.
Matters are opened from collections' escalated cases (when collections is
enabled) or by hand; recoveries post to the loan through lending's
repayment service. See docs/plugins/legal.md.
"""
from core import PluginInfo, hookimpl
from plugins.legal.i18n import _

PLUGIN = PluginInfo(name="legal", title=_("Legal"), version="1.0.0", depends=("lending",),
                    description=_("Contract templates and review, renewals and notices, seal usage, litigation "
                                  "and arbitration, legal opinions and limitation periods."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.legal import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.legal.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.legal.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.legal.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_record_rules():
    from plugins.legal.declarations import record_rules

    return record_rules()


@hookimpl
def mutuo_lookups():
    from plugins.legal.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.legal.views import includeme

    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.legal.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.legal.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.legal.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_jobs():
    from plugins.legal.declarations import jobs

    return jobs()


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.legal.demo import load

    return load(session, scale)


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.legal.demo import day as demo_day

    demo_day(session, day, story)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.legal.views.panels import customer_panels

    return customer_panels(request, customer)


# -- lending's and collections' events (inside their transaction) --------------------------------------

@hookimpl
def lending_loan_disbursed(loan):
    """The loan agreement is generated from legal's template and sent to review (when a template exists)."""
    from sqlalchemy.orm import object_session

    from core.documents import blob_store
    from plugins.legal.services.contracts import generate_for_loan

    session = object_session(loan)
    generate_for_loan(session, loan, blob_store(session))


@hookimpl(optionalhook=True)
def collections_case_escalated(case):
    """Collections escalated a late case (only called when collections is enabled): open a matter."""
    from sqlalchemy.orm import object_session

    from plugins.legal.services.matters import on_case_escalated

    on_case_escalated(object_session(case), case)


@hookimpl(optionalhook=True)
def crm_partner_agreement_created(agreement):
    """crm created a partner agreement (only called when crm is enabled): its draft contract of type partner."""
    from sqlalchemy.orm import object_session

    from core.audit import entity_type_of
    from core.documents import blob_store
    from plugins.legal.models import Contract
    from plugins.legal.services.contracts import create_for_partner_agreement

    session = object_session(agreement)
    contract = create_for_partner_agreement(session, agreement, blob_store(session))
    return f"{entity_type_of(Contract)}:{contract.id}"


@hookimpl
def mutuo_api():
    from plugins.legal.api import operations

    return operations()
