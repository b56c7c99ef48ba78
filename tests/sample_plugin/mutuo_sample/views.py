import colander
from pyramid.httpexceptions import HTTPBadRequest, HTTPFound
from pyramid.view import view_config

from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from mutuo_sample.models import Note


@view_config(route_name="sample.notes", renderer="mutuo_sample:templates/notes.pt", permission="sample.note.view",
             request_method="GET")
def notes(request):
    listing = Listing(request, restricted_query(request, Note), columns=[
        Column("id", "#", Note.id, link=lambda r, n: r.route_url("sample.note", id=n.id)),
        Column("title", "Title", Note.title),
        Column("amount", "Amount", Note.amount),
    ], default_sort="id", export_name="notes")
    return render_listing(listing, title="Notes")


@view_config(route_name="sample.notes", permission="sample.note.manage", request_method="POST")
def create_note(request):
    try:  # through core's parsing layer: no control characters, no longer than the column
        title = parsing.parse_text(request.POST.get("title", ""), "title", max_length=parsing.column_length(Note.title))
    except parsing.InputError as exc:
        raise HTTPBadRequest(detail=str(exc)) from None
    note = Note(title=title or "Untitled", owner_id=request.user.id)
    request.dbsession.add(note)
    request.dbsession.flush()
    request.registry["mutuo.pm"].hook.sample_note_created(note=note)
    return HTTPFound(request.route_url("sample.note", id=note.id))


@view_config(route_name="sample.note", renderer="mutuo_sample:templates/note.pt", permission="sample.note.view")
def note(request):
    note = get_visible_or_404(request, Note, request.matchdict["id"])
    return {"title": note.title, "note": note,
            "panels": record_panels(request, note, can_edit=request.has_permission("sample.note.manage"))}


class ReplySchema(CSRFSchema):
    """A form that picks a record with a lookup (the id is posted as a typed id field would be)."""

    note_id = colander.SchemaNode(parsing.Id(), title="Note", widget=LookupWidget(lookup="sample.note"))
    text = colander.SchemaNode(colander.String(), title="Reply")
    signature = colander.SchemaNode(colander.String(), title="Signature", missing="")


@view_config(route_name="sample.note_reply", renderer="core:web/templates/form_page.pt",
             permission="sample.note.view")
def note_reply(request):
    form = make_form(request, ReplySchema(), buttons=("save",))

    def reply(data):
        note = get_visible_or_404(request, Note, data["note_id"])
        return request.route_url("sample.note", id=note.id)

    return page("Reply to a note", process(request, form, reply))
