"""Products: the loan product catalog (versioned terms) and the repayment schedule engine.

Public modules for other plugins: ``plugins.products.schedule`` (pure engine),
``plugins.products.models`` and ``plugins.products.services``.
"""
from core import PluginInfo, hookimpl

PLUGIN = PluginInfo(
    name="products", title="Products", version="1.0.0", depends=(),
    description="Loan products with versioned terms, repayment methods and the schedule calculator.",
)


@hookimpl
def mutuo_permissions():
    from core.security import Permission

    return [
        Permission("products.view", "See loan products",
                   "List products, read their terms and versions, use the schedule calculator."),
        Permission("products.manage", "Manage loan products",
                   "Create products, change their terms (new versions), activate and retire them."),
    ]


@hookimpl
def mutuo_roles():
    from core.security import RoleSpec

    return [RoleSpec("product_manager", "Product manager",
                     ("core.dashboard.view", "products.view", "products.manage"),
                     "Product R&D: designs loan products and their repayment methods.")]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from plugins.products.models import LoanProduct, ProductVersion

    return [
        EntityType(LoanProduct, "Loan product", "products.view", "products.manage", "products.product",
                   "{code} {name}"),
        EntityType(ProductVersion, "Product version", "products.view", "products.manage", "products.version",
                   "version {number} of product {product_id}"),
    ]


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
        MenuEntry("Products", "products.list", "products.view", "Products", 200),
        MenuEntry("Calculator", "products.calculator", "products.view", "Products", 201),
    ]


@hookimpl
def mutuo_dashboard(request):
    if not request.has_permission("products.view"):
        return []
    from core.web.charts import bar_chart
    from core.web.menu import Widget
    from plugins.products.schedule import METHOD_SHORT
    from plugins.products.services import product_counts

    counts = product_counts(request.dbsession)
    status = counts["status"]
    chart = bar_chart([(METHOD_SHORT[m], n) for m, n in counts["method"].items()],
                      title="Active products by repayment method")
    return [Widget("Loan products", "products.view", chart=chart, link=request.route_url("products.list"),
                   rows=[("Active", status.get("active", 0)), ("Drafts", status.get("draft", 0)),
                         ("Retired", status.get("retired", 0))], order=50)]


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.products.demo import load

    return load(session, scale)
