"""Core's own implementations of the core hooks (core is plugin number zero).

Core declares its permissions, roles, entity types, menu and jobs here, through
the same hooks a plugin implements (as devpi-server registers its own core
through its hookspecs). This module sits at the top of core: it imports the
features it declares inside the hook functions, and nothing below imports it
except the plugin manager, which registers it first. So no core module needs
to import "upwards" to be found; ``tests/core/test_layers.py`` keeps it so.
"""
from pathlib import Path

from core.plugins import hookimpl

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


@hookimpl
def mutuo_models():
    return ["core.models.user", "core.models.audit", "core.models.document", "core.models.job",
            "core.models.state", "core.models.message", "core.models.api"]


@hookimpl
def mutuo_migrations():
    return str(MIGRATIONS)


@hookimpl
def mutuo_permissions():
    from core.i18n import _
    from core.security import Permission

    # Titles and descriptions are stored as written here (English msgids) and translated where shown.
    return [
        Permission("core.dashboard.view", _("See the dashboard"), _("The start page with the widgets of one's roles.")),
        Permission("core.account.manage", _("Manage one's own account"),
                   _("Change one's password, end one's sessions, make and revoke one's API keys. Every login "
                     "session holds it; no API key ever does.")),
        Permission("core.user.view", _("See users"), _("List users and see their roles and effective permissions.")),
        Permission("core.user.manage", _("Manage users"), _("Create, edit, deactivate users and reset passwords.")),
        Permission("core.role.view", _("See roles"), _("List roles and the permissions they hold.")),
        Permission("core.role.manage", _("Manage roles"), _("Create, copy and edit roles and their permissions.")),
        Permission("core.audit.view", _("Read the audit log"),
                   _("Browse and export every recorded change and event.")),
        Permission("core.document.view", _("See documents"),
                   _("See and download documents not linked to a record.")),
        Permission("core.document.manage", _("Manage documents"),
                   _("Upload and delete documents not linked to a record.")),
        Permission("core.job.view", _("See scheduled jobs"), _("See jobs, their schedules and run history.")),
        Permission("core.job.run", _("Run jobs now"), _("Start a scheduled job by hand.")),
        Permission("core.job.manage", _("Control jobs"), _("Pause, resume and reschedule jobs.")),
        Permission("core.message.view", _("See messages"), _("Every SMS and e-mail the departments composed, its "
                                                             "delivery status, and who opted out.")),
        Permission("core.message.consent", _("Record opt-outs"), _("Opt an address out of a channel, or back in.")),
        Permission("core.webhook.manage", _("Manage webhooks"), _("Register webhook endpoints for the plugins' "
                                                                  "events, see their delivery log and send "
                                                                  "deliveries again.")),
    ]


@hookimpl
def mutuo_roles():
    from core.i18n import _
    from core.security import RoleSpec

    return [
        RoleSpec("staff", _("Staff"), ("core.dashboard.view",), _("Every employee: the dashboard and nothing else.")),
        RoleSpec("auditor", _("Auditor"), ("core.dashboard.view", "core.audit.view", "core.user.view",
                                            "core.role.view", "core.document.view", "core.job.view",
                                            "core.message.view"),
                 _("Internal audit and compliance: reads everything core records, changes nothing.")),
    ]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from core.i18n import _
    from core.models.document import Document
    from core.models.state import PlatformState
    from core.models.user import Role, User

    return [
        EntityType(User, _("User"), "core.user.view", "core.user.manage", "admin.user", "{username}", fields={
            "username": _("Username"), "full_name": _("Full name"), "email": _("E-mail"),
            "password_hash": _("Password"), "active": _("Active"), "last_login": _("Last login"),
            "region": _("Region"), "locale": _("Language"), "created_at": _("Created")}),
        EntityType(Role, _("Role"), "core.role.view", "core.role.manage", "admin.role", "{name}", fields={
            "name": _("Name"), "title": _("Title"), "description": _("Description"), "builtin": _("Built-in"),
            "plugin": _("Declared by")}),
        EntityType(Document, _("Document"), "core.document.view", "core.document.manage", "documents.document",
                   "{title}", fields={
                       "title": _("Title"), "description": _("Description"), "current_version": _("Version"),
                       "created_by": _("Created by"), "created_at": _("Created"), "deleted": _("Deleted")}),
        # Facts the platform remembers (demo loaded, defaults seeded): admins read them in the audit log.
        EntityType(PlatformState, _("Platform setting"), "core.audit.view", "core.audit.view", None, "{key}",
                   fields={"key": _("Key"), "value": _("Value")}),
    ]


@hookimpl
def mutuo_configure(config):
    # Core's screens, at the root (core alone gets no /<plugin> route prefix; see core.web.app).
    config.include("core.web.views")


@hookimpl
def mutuo_lookups():
    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup

    return [Lookup("core.user", User, "core.user.view", USERS.match,
                   lambda u: u.full_name or u.username, lambda u: u.username if u.full_name else "")]


@hookimpl
def mutuo_menu(request):
    from core.i18n import _
    from core.web.menu import MenuEntry

    admin = _("Admin")
    return [
        MenuEntry(_("Dashboard"), "home", "core.dashboard.view", order=0),
        MenuEntry(_("Users"), "admin.users", "core.user.view", admin, 900),
        MenuEntry(_("Roles"), "admin.roles", "core.role.view", admin, 901),
        MenuEntry(_("Permissions"), "admin.permissions", "core.role.view", admin, 902),
        MenuEntry(_("Documents"), "documents.list", "core.document.view", admin, 905),
        MenuEntry(_("Audit log"), "audit.log", "core.audit.view", admin, 910),
        MenuEntry(_("Messages"), "messages.list", "core.message.view", admin, 915),
        MenuEntry(_("Jobs"), "jobs.list", "core.job.view", admin, 920),
        MenuEntry(_("Webhooks"), "webhooks.list", "core.webhook.manage", admin, 925),
        MenuEntry(_("API reference"), "api.docs", "core.webhook.manage", admin, 930),  # the page: any user
    ]


@hookimpl
def mutuo_search(request, query):
    """Users (for those who may see them)."""
    from core.i18n import _
    from core.models.user import User
    from core.search import Group, Hit, top
    from core.security import restricted_query
    from core.web.admin_users import USERS

    if not request.has_permission("core.user.view"):
        return []
    found = top(request.dbsession, restricted_query(request, User), USERS, query)
    return [Group(_("Users"), [Hit(u.full_name or u.username, request.route_url("admin.user", id=u.id), u.username)
                               for u in found], more=request.route_url("admin.users", _query={"q": query}), order=90)]


@hookimpl
def mutuo_jobs():
    return core_jobs()


def core_jobs() -> list:
    """Core's own jobs; each runs a function of the feature it maintains."""
    from core.api.idempotency import purge_job
    from core.audit_checkpoints import audit_checkpoint, audit_verify
    from core.documents.maintenance import documents_gc, documents_verify
    from core.i18n import _
    from core.jobs import JobSpec
    from core.messages.delivery import deliver_messages
    from core.sessions import identity_cleanup
    from core.webhooks import deliver_webhooks

    return [
        JobSpec("core.audit_verify", audit_verify, "15 2 * * *",
                _("Recomputes the audit log's hash chain and compares it with the checkpoints; "
                  "a broken chain or a missing tail fails the run."), time_limit=3600),
        JobSpec("core.audit_checkpoint", audit_checkpoint, "5 * * * *",
                _("Writes the audit chain's head to an append-only file outside the database, "
                  "so deleted or rewritten entries are detected."), time_limit=600),
        JobSpec("core.documents_gc", documents_gc, "45 2 * * *",
                _("Removes stored files no document refers to any more."), time_limit=3600),
        JobSpec("core.documents_verify", documents_verify, "30 3 * * 0",
                _("Re-reads every stored file and checks its SHA-256."), time_limit=4 * 3600),
        JobSpec("core.identity_cleanup", identity_cleanup, "50 3 * * *",
                _("Deletes login sessions ended over a week ago and login counters idle for a day.")),
        JobSpec("core.deliver_messages", deliver_messages, "every 1 minute",
                _("Hands queued SMS and e-mail to the gateway plugins, within each gateway's rate limit, "
                  "and retries failures with backoff."), time_limit=300),
        JobSpec("core.deliver_webhooks", deliver_webhooks, "every 1 minute",
                _("Sends the plugins' events to the registered webhook endpoints, signed, and retries failures "
                  "with exponential back-off."), time_limit=300),
        JobSpec("core.api_idempotency_purge", purge_job, "20 * * * *",
                _("Deletes API idempotency keys older than mutuo.api.idempotency_hours."), time_limit=600),
    ]


@hookimpl
def mutuo_api():
    from core.web.api_core import core_operations

    return core_operations()


@hookimpl
def mutuo_webhook_events():
    from core.web.api_core import core_webhook_events

    return core_webhook_events()
