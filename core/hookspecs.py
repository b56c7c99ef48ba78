"""Core hook specifications.

Every hook is called with keyword arguments. Hooks that return lists are
merged by core in plugin dependency order; a duplicate id stops start-up.
Each hook is documented in docs/plugins.md (a test keeps the two in step).

The signatures are typed; the types are imported for type checkers only, so
loading the specs imports nothing else of core. An implementation may take
fewer arguments than its spec (pluggy passes only the ones it names).

To retire a hook, keep its spec for a release and mark it
``@hookspec(warn_on_impl=HookDeprecationWarning("mutuo_old is deprecated; implement mutuo_new"))``:
every plugin still implementing it gets the warning, pointing at its own
implementation, when it is registered.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request
    from sqlalchemy.orm import Session

    from core.api import Operation, WebhookEvent
    from core.entities import EntityType
    from core.jobs import JobSpec
    from core.messages import Gateway
    from core.plugins import MutuoPluginManager
    from core.search import Group
    from core.security import Permission, RecordRule, RoleSpec
    from core.web.lookups import Lookup
    from core.web.menu import MenuEntry, Widget

# The markers live with the specs (pluggy's habit), so this module needs nothing
# from core; core.plugins and the package ``core`` re-export them.
PROJECT = "mutuo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(historic=False)
def mutuo_addhooks(pluginmanager: MutuoPluginManager) -> None:
    """Add a plugin's own hookspecs.

    Called once while the plugin manager is built, after every enabled plugin
    is registered. ``pluginmanager`` is the :class:`core.plugins.MutuoPluginManager`;
    call ``pluginmanager.add_hookspecs(module)``. Returns nothing.
    """


@hookspec
def mutuo_models() -> list[ModuleType | str]:
    """Return the modules that define this plugin's SQLAlchemy models.

    Called at start-up (web, CLI, worker, migrations) before the metadata is
    used, so the tables are known to ``Base.metadata``. Returns a list of
    module objects or dotted names. Optional: without an implementation, core
    imports the plugin package's ``models`` module (or package) when it has one.
    """


@hookspec
def mutuo_migrations() -> str:
    """Return the path of this plugin's Alembic version directory.

    Called by ``mutuo db upgrade|status`` and the Alembic environment. The
    revisions in it carry ``branch_labels = ("<plugin>",)`` and ``depends_on``
    the revision of core (or another plugin) they need. Returns a string path.
    Optional: without an implementation, core uses the plugin package's
    ``migrations/versions/`` folder when it exists.
    """


@hookspec
def mutuo_configure(config: Configurator) -> None:
    """Add routes, views and static assets to the Pyramid ``config``.

    Called once while the WSGI app is built, inside ``config.route_prefix``
    ``/<plugin>``; route names must be ``<plugin>.<name>``. Every view must
    declare a permission. Returns nothing.
    """


@hookspec
def mutuo_permissions() -> list[Permission]:
    """Return the permissions this plugin declares.

    Called at start-up and by ``mutuo db upgrade``. Returns a list of
    :class:`core.security.Permission` (name ``<plugin>.<entity>.<action>``,
    title, description). Names must be unique across plugins.
    """


@hookspec
def mutuo_roles() -> list[RoleSpec]:
    """Return default roles with their permissions.

    Called by ``mutuo db upgrade`` (creates missing roles, adds newly declared
    permissions, never removes an admin's edit) and at start-up to check every
    permission name exists. Returns a list of :class:`core.security.RoleSpec`.
    """


@hookspec
def mutuo_entity_types() -> list[EntityType]:
    """Return the record types this plugin owns.

    Called at start-up. Documents and the audit log use them for access
    checks, labels and links. Returns a list of :class:`core.entities.EntityType`.
    """


@hookspec
def mutuo_record_rules() -> list[RecordRule]:
    """Return record rules narrowing what users see of a model.

    Called at start-up. Returns a list of :class:`core.security.RecordRule`
    (model, bypass permission, ``filter(request)`` giving a SQL expression).
    Core's ``restricted_query`` applies them to lists, pages and exports.
    """


@hookspec
def mutuo_menu(request: Request) -> list[MenuEntry]:
    """Return menu entries for the navigation bar.

    Called on each page render with the current ``request``. Returns a list of
    :class:`core.web.menu.MenuEntry`; entries whose permission the user lacks
    are hidden by core.
    """


@hookspec
def mutuo_dashboard(request: Request) -> list[Widget]:
    """Return dashboard widgets for the home page.

    Called when the dashboard renders. Returns a list of
    :class:`core.web.menu.Widget` (title, permission, ``rows`` of
    ``(label, value)``, optional SVG ``chart`` and ``link``, ``order``);
    widgets whose permission the user lacks are dropped.
    """


@hookspec
def mutuo_lookups() -> list[Lookup]:
    """Return the record pickers this plugin declares for forms.

    Called at start-up (core mounts each at ``GET /lookup/<name>?q=``, guarded by its
    permission). Returns a list of :class:`core.web.lookups.Lookup` (name
    ``<plugin>.<thing>``, model, permission, ``match(stmt, q)`` narrowing and ordering
    the statement, ``label(row)``, ``detail(row)``). Forms use one with
    ``LookupWidget(lookup="<name>")``. Rows are read through the record rules.
    """


@hookspec
def mutuo_search(request: Request, query: str) -> list[Group]:
    """Answer the shell's search box with this plugin's records matching ``query``.

    Called by ``/search`` (the results page and the dropdown as one types) with the
    current ``request`` and the typed text (stripped, at least 2 characters). Return a
    list of :class:`core.search.Group`, one per kind of record (title, the best few
    :class:`core.search.Hit`, ``more``: the list filtered by the query, ``jump``: the
    record's URL when the query names exactly one record in full, a loan or ID number);
    only kinds the user has the permission to see, rows read through
    ``core.security.restricted_query`` (record rules). Match with the list's own
    :class:`core.search.Search` (``core.search.top``). Return ``[]`` when nothing applies.
    """


@hookspec
def mutuo_jobs() -> list[JobSpec]:
    """Return the scheduled jobs this plugin declares.

    Called at start-up by the web app, the worker and beat. Returns a list of
    :class:`core.jobs.JobSpec` (name ``<plugin>.<job>``, task function,
    schedule, description, time limit). Duplicate names stop start-up.
    """


@hookspec
def mutuo_message_gateways(settings: dict) -> list[Gateway]:
    """Return the message gateways this plugin provides (SMS and e-mail providers).

    Called at start-up (to check them) and by core's message service whenever it
    composes or delivers, with the app's ``settings`` (read credentials and limits
    from them). Returns a list of :class:`core.messages.Gateway` objects (``name``,
    ``channels``, ``rate_per_minute``, ``send(message) -> provider reference``).
    For each channel the first gateway in plugin order is used; with none, messages
    stay in the outbox. See docs/messages.md.
    """


@hookspec
def mutuo_api() -> list[Operation]:
    """Return the JSON API operations this plugin adds under ``/api/v1/<plugin>``.

    Called once while the WSGI app is built (core mounts each operation as a route
    ``api.<plugin>.<name>`` and writes it into the OpenAPI 3.1 document). Returns a list
    of :class:`core.api.Operation` (method, path relative to ``/api/v1/<plugin>``, name,
    handler, permission, summary, JSON Schemas). A missing or unknown permission, or two
    operations on the same method and path, stop start-up. See docs/api.md.
    """


@hookspec
def mutuo_webhook_events() -> list[WebhookEvent]:
    """Return the webhook events this plugin publishes.

    Called at start-up (the names appear in the webhook screens and the OpenAPI document).
    Returns a list of :class:`core.api.WebhookEvent` (name ``<plugin>.<entity>.<what>``,
    description, optional JSON Schema of ``data``). Publish one with
    ``core.webhooks.publish(session, name, data)`` in the transaction that made it happen.
    """


@hookspec
def mutuo_demo_data(session: Session, scale: int) -> str | None:
    """Create demo records in ``session`` through the plugin's services.

    Called by ``mutuo demo load`` in dependency order, once per database
    (a marker prevents a second load). ``scale`` is a positive int, 1 = small.
    Returns a short summary string or None.
    """
