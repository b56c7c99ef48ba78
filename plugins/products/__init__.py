"""Products: the loan product catalog (versioned terms) and the repayment schedule engine.

Public modules for other plugins: ``plugins.products.schedule`` (pure engine),
``plugins.products.models`` and ``plugins.products.services``.
"""
from core import PluginInfo, hookimpl
from core.entities import Field
from plugins.products.i18n import _

PLUGIN = PluginInfo(
    name="products", title=_("Products"), version="1.0.0", depends=(),
    description=_("Loan products with versioned terms, repayment methods and the schedule calculator."),
)


@hookimpl
def mutuo_permissions():
    from core.security import Permission

    return [
        Permission("products.view", _("See loan products"),
                   _("List products, read their terms and versions, use the schedule calculator.")),
        Permission("products.manage", _("Manage loan products"),
                   _("Create products, change their terms (new versions), activate and retire them.")),
    ]


@hookimpl
def mutuo_roles():
    from core.security import RoleSpec

    return [RoleSpec("product_manager", _("Product manager"),
                     ("core.dashboard.view", "products.view", "products.manage"),
                     _("Product R&D: designs loan products and their repayment methods."))]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from plugins.products.models import LoanProduct, ProductVersion

    return [
        EntityType(LoanProduct, _("Loan product"), "products.view", "products.manage", "products.product",
                   "{code} {name}", fields=PRODUCT_FIELDS),
        EntityType(ProductVersion, _("Product version"), "products.view", "products.manage", "products.version",
                   _("version {number} of product {product_id}"), fields=VERSION_FIELDS),
    ]


#: What the history of products and their versions calls their fields (kinds come from the columns).
PRODUCT_FIELDS = {"code": _("Code"), "name": _("Name"), "description": _("Description"), "status": _("Status"),
                  "created_at": _("Created")}
VERSION_FIELDS = {
    "product_id": _("Product"), "number": _("Version"), "created_at": _("Created"),
    "min_amount": _("Minimum amount"), "max_amount": _("Maximum amount"),
    "min_term_months": _("Minimum term (months)"), "max_term_months": _("Maximum term (months)"),
    "default_rate": _("Default annual rate"), "min_rate": _("Minimum annual rate"), "max_rate": _("Maximum annual rate"),
    "repayment_method": Field(_("Repayment method"), "label"), "day_count": Field(_("Day count"), "label"),
    "origination_fee_rate": _("Origination fee"), "penalty_daily_rate": _("Daily penalty rate"),
    "grace_days": _("Grace days"), "service_fee_rate": _("Service fee"), "min_investment": _("Minimum investment"),
    "investment_increment": _("Investment increment"), "funding_window_days": _("Funding window (days)"),
    "allocation_order": _("Allocation order"),
}


@hookimpl
def mutuo_search(request, query):
    from plugins.products.services import global_search

    return global_search(request, query)


@hookimpl
def mutuo_configure(config):
    config.add_route("products.list", "", inherit_slash=True)
    config.add_route("products.new", "/new")
    config.add_route("products.calculator", "/calculator")
    config.add_route("products.version", r"/versions/{id:\d+}")
    config.add_route("products.product", r"/{id:\d+}")
    config.add_route("products.edit", r"/{id:\d+}/edit")
    config.add_route("products.activate", r"/{id:\d+}/activate")
    config.add_route("products.retire", r"/{id:\d+}/retire")
    config.scan("plugins.products.views")
    config.scan("plugins.products.calculator")


@hookimpl
def mutuo_menu(request):
    from core.web.menu import MenuEntry

    return [
        MenuEntry(_("Products"), "products.list", "products.view", _("Products"), 200),
        MenuEntry(_("Calculator"), "products.calculator", "products.view", _("Products"), 201),
    ]


@hookimpl
def mutuo_dashboard(request):
    if not request.has_permission("products.view"):
        return []
    from core.formatting import for_request
    from core.web.charts import bar_chart
    from core.web.menu import Widget
    from plugins.products.schedule import METHOD_SHORT
    from plugins.products.services import product_counts

    fmt = for_request(request)
    counts = product_counts(request.dbsession)
    status = counts["status"]
    # The chart is SVG text made here: its words are translated before they go in.
    chart = bar_chart([(fmt.translate(METHOD_SHORT[m]), n) for m, n in counts["method"].items()],
                      title=fmt.translate(_("Active products by repayment method")))
    return [Widget(_("Loan products"), "products.view", chart=chart, link=request.route_url("products.list"),
                   rows=[(_("Active"), status.get("active", 0)), (_("Drafts"), status.get("draft", 0)),
                         (_("Retired"), status.get("retired", 0))], order=50)]


@hookimpl
def mutuo_api():
    from plugins.products.api import operations

    return operations()


@hookimpl
def mutuo_webhook_events():
    from plugins.products.api import events

    return events()


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.products.demo import load

    return load(session, scale)
