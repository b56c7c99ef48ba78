"""The ``service`` plugin: customer service (the hotline and online enquiries).

Tickets come from the hotline (an agent logs the call), the web form, the API
and e-mail (an authenticated inbound webhook); each is matched to a customer
by phone or e-mail and may name a loan. Service levels run on the company's
business calendar (:mod:`plugins.service.calendar`); an hourly job marks
tickets at risk and escalates breaches. Tickets are routed to other
departments through hooks this plugin declares (``plugins/service/hookspecs.py``);
service owns the customer 360 page that every plugin fills through lending's
``lending_customer_panels``. Announcements go to the public notice board and,
through core's messages, to customers; CSAT and NPS surveys measure
satisfaction. See docs/plugins/service.md.
"""
from core import PluginInfo, hookimpl
from plugins.service.i18n import _

PLUGIN = PluginInfo(name="service", title=_("Customer service"), version="1.0.0", depends=("lending",),
                    description=_("Tickets from the hotline, e-mail, web and API, service levels on business hours, "
                                  "routing to departments, the customer 360 page, announcements and satisfaction."))


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.service import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from plugins.service.declarations import permissions

    return permissions()


@hookimpl
def mutuo_roles():
    from plugins.service.declarations import roles

    return roles()


@hookimpl
def mutuo_entity_types():
    from plugins.service.declarations import entity_types

    return entity_types()


@hookimpl
def mutuo_record_rules():
    from plugins.service.declarations import record_rules

    return record_rules()


@hookimpl
def mutuo_lookups():
    from plugins.service.declarations import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.service.services.sla import check_settings
    from plugins.service.views import includeme

    check_settings(config.get_settings())  # a wrong calendar stops start-up, not the SLA job at night
    includeme(config)


@hookimpl
def mutuo_menu(request):
    from plugins.service.declarations import menu

    return menu()


@hookimpl
def mutuo_dashboard(request):
    from plugins.service.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.service.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_jobs():
    from plugins.service.declarations import jobs

    return jobs()


@hookimpl
def mutuo_api():
    from plugins.service.api import operations

    return operations()


@hookimpl
def mutuo_webhook_events():
    from plugins.service.api import events

    return events()


@hookimpl
def lending_demo_day(session, day, story):
    from plugins.service.demo import day as demo_day

    demo_day(session, day, story)


@hookimpl
def lending_customer_panels(request, customer):
    from plugins.service.views.customer import tickets_panel

    return [tickets_panel(request, customer)]
