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
    from core.security import Permission

    return [
        Permission("core.dashboard.view", "See the dashboard", "The start page with the widgets of one's roles."),
        Permission("core.account.manage", "Manage one's own account",
                   "Change one's password, end one's sessions, make and revoke one's API keys. Every login "
                   "session holds it; no API key ever does."),
        Permission("core.user.view", "See users", "List users and see their roles and effective permissions."),
        Permission("core.user.manage", "Manage users", "Create, edit, deactivate users and reset passwords."),
        Permission("core.role.view", "See roles", "List roles and the permissions they hold."),
        Permission("core.role.manage", "Manage roles", "Create, copy and edit roles and their permissions."),
        Permission("core.audit.view", "Read the audit log", "Browse and export every recorded change and event."),
        Permission("core.document.view", "See documents", "See and download documents not linked to a record."),
        Permission("core.document.manage", "Manage documents", "Upload and delete documents not linked to a record."),
        Permission("core.job.view", "See scheduled jobs", "See jobs, their schedules and run history."),
        Permission("core.job.run", "Run jobs now", "Start a scheduled job by hand."),
        Permission("core.job.manage", "Control jobs", "Pause, resume and reschedule jobs."),
        Permission("core.message.view", "See messages", "Every SMS and e-mail the departments composed, its "
                   "delivery status, and who opted out."),
        Permission("core.webhook.manage", "Manage webhooks", "Register webhook endpoints for the plugins' events, "
                   "see their delivery log and send deliveries again."),
        Permission("core.message.consent", "Record opt-outs", "Opt an address out of a channel, or back in."),
    ]


@hookimpl
def mutuo_roles():
    from core.security import RoleSpec

    return [
        RoleSpec("staff", "Staff", ("core.dashboard.view",), "Every employee: the dashboard and nothing else."),
        RoleSpec("auditor", "Auditor", ("core.dashboard.view", "core.audit.view", "core.user.view",
                                         "core.role.view", "core.document.view", "core.job.view",
                                         "core.message.view"),
                 "Internal audit and compliance: reads everything core records, changes nothing."),
    ]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from core.models.document import Document
    from core.models.user import Role, User

    return [
        EntityType(User, "User", "core.user.view", "core.user.manage", "admin.user", "{username}"),
        EntityType(Role, "Role", "core.role.view", "core.role.manage", "admin.role", "{name}"),
        EntityType(Document, "Document", "core.document.view", "core.document.manage", "documents.document", "{title}"),
    ]


@hookimpl
def mutuo_configure(config):
    # Core's screens, at the root (core alone gets no /<plugin> route prefix; see core.web.app).
    config.include("core.web.views")


@hookimpl
def mutuo_menu(request):
    from core.web.menu import MenuEntry

    return [
        MenuEntry("Dashboard", "home", "core.dashboard.view", order=0),
        MenuEntry("Users", "admin.users", "core.user.view", "Admin", 900),
        MenuEntry("Roles", "admin.roles", "core.role.view", "Admin", 901),
        MenuEntry("Permissions", "admin.permissions", "core.role.view", "Admin", 902),
        MenuEntry("Documents", "documents.list", "core.document.view", "Admin", 905),
        MenuEntry("Audit log", "audit.log", "core.audit.view", "Admin", 910),
        MenuEntry("Messages", "messages.list", "core.message.view", "Admin", 915),
        MenuEntry("Jobs", "jobs.list", "core.job.view", "Admin", 920),
        MenuEntry("Webhooks", "webhooks.list", "core.webhook.manage", "Admin", 925),
        MenuEntry("API reference", "api.docs", "core.webhook.manage", "Admin", 930),  # the page: any user
    ]


@hookimpl
def mutuo_jobs():
    return core_jobs()


def core_jobs() -> list:
    """Core's own jobs; each runs a function of the feature it maintains."""
    from core.api.idempotency import purge_job
    from core.audit_checkpoints import audit_checkpoint, audit_verify
    from core.documents.maintenance import documents_gc, documents_verify
    from core.jobs import JobSpec
    from core.messages.delivery import deliver_messages
    from core.sessions import identity_cleanup
    from core.webhooks import deliver_webhooks

    return [
        JobSpec("core.audit_verify", audit_verify, "15 2 * * *",
                "Recomputes the audit log's hash chain and compares it with the checkpoints; "
                "a broken chain or a missing tail fails the run.", time_limit=3600),
        JobSpec("core.audit_checkpoint", audit_checkpoint, "5 * * * *",
                "Writes the audit chain's head to an append-only file outside the database, "
                "so deleted or rewritten entries are detected.", time_limit=600),
        JobSpec("core.documents_gc", documents_gc, "45 2 * * *",
                "Removes stored files no document refers to any more.", time_limit=3600),
        JobSpec("core.documents_verify", documents_verify, "30 3 * * 0",
                "Re-reads every stored file and checks its SHA-256.", time_limit=4 * 3600),
        JobSpec("core.identity_cleanup", identity_cleanup, "50 3 * * *",
                "Deletes login sessions ended over a week ago and login counters idle for a day."),
        JobSpec("core.deliver_messages", deliver_messages, "every 1 minute",
                "Hands queued SMS and e-mail to the gateway plugins, within each gateway's rate limit, "
                "and retries failures with backoff.", time_limit=300),
        JobSpec("core.deliver_webhooks", deliver_webhooks, "every 1 minute",
                "Sends the plugins' events to the registered webhook endpoints, signed, and retries failures "
                "with exponential back-off.", time_limit=300),
        JobSpec("core.api_idempotency_purge", purge_job, "20 * * * *",
                "Deletes API idempotency keys older than mutuo.api.idempotency_hours.", time_limit=600),
    ]


@hookimpl
def mutuo_api():
    from core.web.api_core import core_operations

    return core_operations()


@hookimpl
def mutuo_webhook_events():
    from core.web.api_core import core_webhook_events

    return core_webhook_events()
