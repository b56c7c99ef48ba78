"""A sample plugin proving the plugin contract end to end (used by core's tests).

It has one model (notes), its own migration branch, routes, views, a menu
entry, permissions, a role, a record rule, an entity type, a job, a
dashboard widget, demo data and a hookspec of its own.
"""
from core import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="sample", title="Sample", version="1.0.0", depends=(),
                    description="Notes, to test the plugin contract.")


@hookimpl
def mutuo_addhooks(pluginmanager):
    from mutuo_sample import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from core.security import Permission

    return [
        Permission("sample.note.view", "See notes", "See one's own notes."),
        Permission("sample.note.view_all", "See every note", "See the notes of every user."),
        Permission("sample.note.manage", "Write notes", "Create notes."),
    ]


@hookimpl
def mutuo_roles():
    from core.security import RoleSpec

    return [RoleSpec("note_taker", "Note taker", ("sample.note.view", "sample.note.manage"))]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from mutuo_sample.models import Note

    return [EntityType(Note, "Note", "sample.note.view", "sample.note.manage", "sample.note", "{title}")]


@hookimpl
def mutuo_record_rules():
    from core.security import RecordRule
    from mutuo_sample.models import Note

    return [RecordRule(Note, "sample.note.view_all", lambda request: Note.owner_id == request.user.id,
                       "Users see their own notes.")]


@hookimpl
def mutuo_lookups():
    from core.web.lookups import Lookup, text_match
    from mutuo_sample.models import Note

    return [Lookup("sample.note", Note, "sample.note.view", text_match(Note.title, number=Note.id),
                   lambda n: n.title, lambda n: f"#{n.id}")]


@hookimpl
def mutuo_configure(config):
    config.add_route("sample.notes", "/notes")
    config.add_route("sample.note_reply", "/notes/reply")
    config.add_route("sample.note", "/notes/{id}")
    config.scan("mutuo_sample.views")


@hookimpl
def mutuo_menu(request):
    from core.web.menu import MenuEntry

    return [MenuEntry("Notes", "sample.notes", "sample.note.view", "Sample")]


@hookimpl
def mutuo_dashboard(request):
    from sqlalchemy import func, select

    from core.security import restricted_query
    from core.web.menu import Widget
    from mutuo_sample.models import Note

    count = request.dbsession.scalar(select(func.count()).select_from(restricted_query(request, Note).subquery()))
    return [Widget("Notes", "sample.note.view", rows=[("My notes", count)])]


@hookimpl
def mutuo_jobs():
    from core.jobs import JobSpec
    from mutuo_sample.jobs import count_notes

    return [JobSpec("sample.count_notes", count_notes, "every 60 seconds", "Counts the notes.", time_limit=60)]


@hookimpl
def mutuo_demo_data(session, scale):
    from mutuo_sample.models import Note

    for i in range(3 * scale):
        session.add(Note(title=f"Demo note {i + 1}", body="Written by the demo loader."))
    return f"{3 * scale} notes"


@hookimpl
def mutuo_api():
    from mutuo_sample.api import operations

    return operations()


@hookimpl
def mutuo_webhook_events():
    from mutuo_sample.api import events

    return events()
