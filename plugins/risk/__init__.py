"""The ``risk`` plugin: the risk control department.

Every submitted application gets a pre-loan review (scorecard, rules,
blacklist screening, exposure) that holds it until an analyst — or, for a
referred one, the loan review committee — decides through lending's
``review_decision``; whoever approved a loan may not disburse it (lending's
``lending_disbursement_veto``). After disbursement, lending's delinquency
events and collections' high-risk reports raise early-warning signals.
See docs/plugins/risk.md.
"""
from core import PluginInfo, hookimpl
from plugins.risk.i18n import _

PLUGIN = PluginInfo(name="risk", title=_("Risk control"), version="1.0.0", depends=("lending",),
                    description=_("Pre-loan reviews with scorecards and rules, blacklist screening, the loan "
                                  "review committee, post-loan monitoring and risk reports."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.risk import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.risk.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.risk.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.risk.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_lookups():
    from plugins.risk.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.risk.views import includeme

    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.risk.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.risk.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.risk.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_jobs():
    from plugins.risk.declarations import jobs

    return jobs()


@hookimpl
def mutuo_api():
    from plugins.risk.api import operations

    return operations()


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.risk.demo import load

    return load(session, scale)


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.risk.demo import day as demo_day

    demo_day(session, day, story)


@hookimpl
def lending_demo_review(session, application, approved, reason):
    from plugins.risk.demo import review

    review(session, application, approved, reason)


# -- lending's events: they run inside lending's transaction -------------------------------

@hookimpl
def lending_application_submitted(application):
    from sqlalchemy.orm import object_session

    from plugins.risk.services import reviews

    reviews.open_review(object_session(application), application)


@hookimpl
def lending_review_required(application):
    return "risk"


@hookimpl
def lending_disbursement_veto(application):
    from sqlalchemy.orm import object_session

    from plugins.risk.services import reviews

    return reviews.disbursement_veto(object_session(application), application)


@hookimpl
def lending_customer_created(customer):
    from sqlalchemy.orm import object_session

    from plugins.risk.services import blacklist

    blacklist.screen_customer(object_session(customer), customer)


@hookimpl
def lending_loan_delinquency_changed(loan, old_bucket, new_bucket, days_past_due):
    from sqlalchemy.orm import object_session

    from plugins.risk.services import monitoring

    monitoring.on_delinquency_changed(object_session(loan), loan, old_bucket, new_bucket, days_past_due)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.risk.views.panels import customer_panels

    return customer_panels(request, customer)


# -- collections' events (only when collections is enabled) ----------------------------------

@hookimpl(optionalhook=True)
def collections_high_risk_reported(case, reason):
    from sqlalchemy.orm import object_session

    from plugins.risk.services import monitoring

    monitoring.on_high_risk_reported(object_session(case), case.customer_id, case.loan_id, reason)
