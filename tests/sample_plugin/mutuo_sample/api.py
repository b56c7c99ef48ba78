"""The sample plugin's JSON API: the smallest complete example of the convention (docs/api.md).

``/api/v1/sample/notes`` (list with a filter, sorting and cursor), ``/notes/{id}``
(one record) and ``POST /notes`` (create, idempotent, publishes ``sample.note.created``).
"""
from decimal import Decimal

from core.api import ID, MONEY, Filter, Listing, Operation, Reply, WebhookEvent, nullable, obj, text
from core.errors import UserError
from core.security import get_visible_or_404, restricted_query
from mutuo_sample.models import Note

NOTE = obj({"id": ID, "title": text(200), "body": {"type": "string"}, "amount": MONEY,
            "owner_id": nullable(ID)})
NEW_NOTE = obj({"title": text(200, 1), "body": text(5000), "amount": MONEY}, required=["title"])


def note_json(note: Note) -> dict:
    return {"id": note.id, "title": note.title, "body": note.body or "", "amount": f"{note.amount or 0:.2f}",
            "owner_id": note.owner_id}


def list_notes(request, call):
    return restricted_query(request, Note)


def read_note(request, call):
    return note_json(get_visible_or_404(request, Note, call.path["id"]))


def create_note(request, call):
    """The same rule as the web form would apply, in one place (a plugin's service)."""
    from core.webhooks import publish

    title = call.body["title"].strip()
    if not title:
        raise UserError("Give the note a title.", "title")
    note = Note(title=title, body=call.body.get("body", ""), amount=Decimal(call.body.get("amount", "0.00")),
                owner_id=request.user.id)
    request.dbsession.add(note)
    request.dbsession.flush()
    publish(request.dbsession, "sample.note.created", {"note_id": note.id, "title": note.title})
    return Reply(note_json(note), status=201, location=request.route_url("api.sample.notes.read", id=note.id))


def operations():
    return [
        Operation("GET", "/notes", "notes.list", list_notes, "sample.note.view", "List notes", response=NOTE,
                  listing=Listing(Note, note_json, filters={"title": Filter(Note.title, "contains")},
                                  sorts={"title": Note.title})),
        Operation("GET", "/notes/{id}", "notes.read", read_note, "sample.note.view", "One note", response=NOTE),
        Operation("POST", "/notes", "notes.create", create_note, "sample.note.manage", "Write a note",
                  body=NEW_NOTE, response=NOTE, status=201, idempotent=True),
    ]


def events():
    return [WebhookEvent("sample.note.created", "A note was written.", obj({"note_id": ID, "title": text(200)}))]
