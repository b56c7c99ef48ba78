"""The ``collections`` plugin: the department that chases overdue loans ("instar a pagar").

Cases open, change stage and close on lending's delinquency events; each
stage (early, mid, late) has a strategy of dated actions that a daily job
turns into action items; an assignment job spreads cases over the collectors
holding each stage's queue; collectors log contacts and promises to pay from
their queue; supervisors set monthly targets, reassign, escalate and read
the reports. Other departments plug into its hooks
(``plugins/collections/hookspecs.py``). See docs/plugins/collections.md.
"""
from core import PluginInfo, hookimpl
from plugins.collections.i18n import _

PLUGIN = PluginInfo(name="collections", title=_("Collections"), version="1.0.0", depends=("lending",),
                    description=_("Collection cases by stage, strategies, collector queues, contacts, promises to "
                                  "pay, targets, escalation and reports."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.collections import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.collections.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.collections.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.collections.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_record_rules():
    from plugins.collections.declarations import record_rules

    return record_rules()


@hookimpl
def mutuo_lookups():
    from plugins.collections.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.collections.services.config import check
    from plugins.collections.views import includeme

    check(config.get_settings())  # a wrong stage map stops start-up, not a job at night
    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.collections.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.collections.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.collections.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_jobs():
    from plugins.collections.declarations import jobs

    return jobs()


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.collections.demo import load

    return load(session, scale)


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.collections.demo import day as demo_day

    demo_day(session, day, story)


# -- lending's events -------------------------------------------------------------------
# They run inside lending's transaction: a case opens, moves or closes with the loan change.

@hookimpl
def lending_loan_delinquency_changed(loan, old_bucket, new_bucket, days_past_due):
    from sqlalchemy.orm import object_session

    from plugins.collections.services import cases

    cases.on_delinquency_changed(object_session(loan), loan, old_bucket, new_bucket, days_past_due)


@hookimpl
def lending_loan_closed(loan):
    from sqlalchemy.orm import object_session

    from plugins.collections.services import cases

    cases.on_loan_closed(object_session(loan), loan)


@hookimpl
def lending_repayment_posted(repayment):
    from sqlalchemy.orm import object_session

    from plugins.collections.services import recoveries

    recoveries.on_repayment_posted(object_session(repayment), repayment)


# -- the JSON API and its webhook events (docs/api.md) ------------------------------------

@hookimpl
def mutuo_api():
    from plugins.collections.api import operations

    return operations()


@hookimpl
def mutuo_webhook_events():
    from plugins.collections.services.events import declarations

    return declarations()
