"""The audit log browser: filters, pagination, CSV export, links to records.

Rows read like the record pages' history (core.web.record.HistoryReader): the entity type's title,
the record by its label, the changes as a field / before / after diff. The plain CSV keeps what is
stored (the record's id, the changes' JSON).
"""
from datetime import UTC, date, datetime, time, timedelta

from pyramid.view import view_config
from sqlalchemy import distinct, select

from core.entities import entity_types, record_url
from core.i18n import _
from core.models.audit import AuditEntry
from core.security import restricted_query
from core.web.helpers import for_request
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import HistoryReader

#: The words of core's audit actions (shown by h.label; plugins declare theirs in their own catalogue).
ACTION_WORDS = (
    _("insert"), _("update"), _("delete"), _("login"), _("logout"), _("login failed"), _("login throttled"),
    _("password set"), _("user activated"), _("user deactivated"), _("user roles changed"),
    _("role permissions changed"), _("api key created"), _("api key revoked"), _("session revoked"),
    _("sessions revoked"), _("access denied"), _("csv export"), _("job run"), _("job requested"),
    _("plugins changed"), _("plugin uninstalled"), _("document upload"), _("document download"),
    _("document delete"), _("document gc"), _("demo loaded"),
)


#: Short cells that may take two lines, so the log fits 1440 px with its diff column.
WRAP = "text-wrap audit-short"


class _Stored(str):
    """A stored value (the CSV writes it) that still knows its entry (the page shows it the user's way)."""

    entry: AuditEntry

    def __new__(cls, text, entry):
        self = super().__new__(cls, text or "")
        self.entry = entry
        return self


def _day(value: str, end: bool = False):
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _date_filter(column, end):
    def apply(stmt, value):
        moment = _day(value, end)
        if moment is None:
            return stmt
        return stmt.where(column < moment) if end else stmt.where(column >= moment)
    return apply


#: How long the filters' choices (the actions and entity types found in the log) are kept per process.
CHOICES_TTL = 300.0


def _logged_choices(request) -> tuple[list[str], list[str]]:
    """(actions, entity types) the log holds: two ``SELECT DISTINCT`` over the whole log, so run at most
    once per ``CHOICES_TTL`` per process instead of on every view. Core's action words and the declared
    entity types are always offered; a value chosen in the URL is kept as a choice even if newer than the
    cached list (a link from a record's history must filter at once)."""
    import time

    cached = request.registry.get("mutuo.audit_choices")
    now = time.monotonic()
    if cached is None or cached[0] < now:
        session = request.dbsession
        actions = list(session.scalars(select(distinct(AuditEntry.action))))
        types = list(session.scalars(select(distinct(AuditEntry.entity_type))))
        cached = request.registry["mutuo.audit_choices"] = (now + CHOICES_TTL, actions, types)
    action_set = set(cached[1]) | {str(word).replace(" ", "_") for word in ACTION_WORDS}
    type_set = set(cached[2]) | set(entity_types(request))
    for name, found in (("action", action_set), ("entity_type", type_set)):
        asked = request.params.get(name)
        if asked:
            found.add(asked)
    return sorted(action_set), sorted(type_set)


@view_config(route_name="audit.log", renderer="core:web/templates/audit.pt", permission="core.audit.view")
def audit_log(request):
    h = for_request(request)
    logged_actions, logged_types = _logged_choices(request)
    actions = [(a, h.label(a)) for a in logged_actions]
    titles = {name: h.translate(et.title) for name, et in entity_types(request).items()}
    types = [(t, titles.get(t, t)) for t in logged_types]
    reader = HistoryReader(request)

    def record(h, value):
        shown = reader.record(value.entry.entity_type, value)
        return shown.text if shown else str(value)

    listing = Listing(
        request, restricted_query(request, AuditEntry),
        columns=[
            Column("id", "#", AuditEntry.id),
            Column("at", _("When"), AuditEntry.at, css=WRAP),
            Column("actor", _("Actor"), AuditEntry.actor),
            Column("action", _("Action"), AuditEntry.action, kind="label", css=WRAP),
            Column("entity_type", _("Entity"), AuditEntry.entity_type, show=lambda h, v: titles.get(v, v), css=WRAP),
            Column("entity_id", _("Record"), AuditEntry.entity_id, value=lambda e: _Stored(e.entity_id, e), show=record, css=WRAP,
                   link=lambda r, e: record_url(r, e.entity_type, e.entity_id) or r.route_url(
                       "audit.log", _query={"entity_type": e.entity_type, "entity_id": e.entity_id or ""})),
            Column("changes", _("Changes"), value=lambda e: _Stored(e.changes, e),
                   show=lambda h, v: reader.diff(v.entry), css="audit-changes", wrap=True),
            Column("client_addr", _("Address"), AuditEntry.client_addr, optional=True),
            Column("hash", _("Hash"), value=lambda e: e.hash[:12], optional=True),
        ],
        filters=[
            Filter("actor", _("Actor"), lambda s, v: s.where(AuditEntry.actor == v)),
            Filter("entity_type", _("Entity type"), lambda s, v: s.where(AuditEntry.entity_type == v), tuple(types)),
            Filter("entity_id", _("Entity id"), lambda s, v: s.where(AuditEntry.entity_id == v)),
            Filter("action", _("Action"), lambda s, v: s.where(AuditEntry.action == v), tuple(actions)),
            Filter("since", _("From"), _date_filter(AuditEntry.at, False), kind="date"),
            Filter("until", _("To"), _date_filter(AuditEntry.at, True), kind="date"),
        ],
        default_sort="-id", export_name="audit-log",
    )
    shown = render_listing(listing, title=_("Audit log"))
    if isinstance(shown, dict):  # the page (not the CSV): the rows' records and references, one query per type
        reader.prepare(listing.rows, records=True)
    return shown


def includeme(config):
    config.add_route("audit.log", "/admin/audit")
    config.scan("core.web.audit_views")
