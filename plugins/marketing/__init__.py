"""The ``marketing`` plugin: channels and campaigns, spend against budget, tracked links, touchpoints,
conversions from lending's events, attribution under six models, CAC, ROI and ROAS.

See docs/plugins/marketing.md and the decisions in ``models.py`` and ``services/tracking.py``.
"""
from core import PluginInfo, hookimpl
from plugins.marketing.i18n import _

PLUGIN = PluginInfo(name="marketing", title=_("Marketing"), version="1.0.0", depends=("lending",),
                    description=_("Campaigns per channel, spend against budget, tracked links, touchpoints, "
                                  "conversions and attribution, CAC and ROI."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.marketing import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.marketing.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.marketing.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.marketing.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_lookups():
    from plugins.marketing.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.marketing.views import includeme

    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.marketing.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.marketing.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.marketing.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_api():
    from plugins.marketing.api import operations

    return operations()


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.marketing.demo import day as demo_day

    demo_day(session, day, story)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.marketing.views.panels import customer_panels

    return customer_panels(request, customer)


# -- lending's events: they run inside lending's transaction ------------------------------------

@hookimpl
def lending_customer_created(customer):
    from sqlalchemy.orm import object_session

    from plugins.marketing.services import tracking

    tracking.on_customer_created(object_session(customer), customer)


@hookimpl
def lending_customer_verified(customer):
    from sqlalchemy.orm import object_session

    from plugins.marketing.services import conversions

    conversions.on_customer_verified(object_session(customer), customer)


@hookimpl
def lending_loan_disbursed(loan):
    from sqlalchemy.orm import object_session

    from plugins.marketing.services import conversions

    conversions.on_loan_disbursed(object_session(loan), loan)


@hookimpl
def lending_investment_reserved(investment):
    from sqlalchemy.orm import object_session

    from plugins.marketing.services import conversions

    conversions.on_investment_reserved(object_session(investment), investment)


@hookimpl
def lending_origination_fee_discount(application, fee, disbursed_on):
    from sqlalchemy.orm import object_session

    from plugins.marketing.services import promotions

    return promotions.on_disbursement(object_session(application), application, fee, disbursed_on)
