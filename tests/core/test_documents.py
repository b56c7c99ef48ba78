"""The document store: blobs, services, access, web screens and the CLI."""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import documents as docs
from core.models.audit import AuditEntry
from core.models.document import Document, DocumentLink, DocumentVersion
from core.models.user import User
from core.testing import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def blob_count(store) -> int:
    return sum(1 for _ in store.iter_blobs())


def row_counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Document, DocumentVersion, DocumentLink))


class Exploding(io.RawIOBase):
    """A stream that dies after ``after`` bytes, like a client that disconnects mid-upload."""

    def __init__(self, data: bytes, after: int):
        self.data, self.after, self.pos = data, after, 0

    def read(self, size=-1):
        if self.pos >= self.after:
            raise ConnectionResetError("client went away")
        size = len(self.data) if size is None or size < 0 else size
        chunk = self.data[self.pos:min(self.pos + size, self.after)]
        self.pos += len(chunk)
        return chunk


class Recording(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.sizes = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


@pytest.fixture
def store(tmp_path):
    return docs.FilesystemBlobStore(tmp_path / "blobs")


# -- blob store ---------------------------------------------------------------------

def test_round_trip(store):
    data = os.urandom(3 * docs.CHUNK + 17)
    sha, size = store.put(io.BytesIO(data))
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    assert store.exists(sha)
    assert store.path(sha) == store.root / sha[:2] / sha[2:4] / sha  # sharded
    with store.open(sha) as fh:
        assert fh.read() == data
    assert store.hash_of(sha) == sha
    assert [b.sha for b in store.iter_blobs()] == [sha]
    assert store.delete(sha) and not store.exists(sha) and not store.delete(sha)
    with pytest.raises(docs.BlobMissing):
        store.open(sha)


def test_writes_are_streamed_in_chunks(store):
    stream = Recording(os.urandom(5 * docs.CHUNK))
    store.put(stream)
    assert stream.sizes and all(0 < s <= docs.CHUNK for s in stream.sizes)  # never read(-1): no whole upload in memory


def test_same_bytes_twice_stored_once(store):
    first = store.put(io.BytesIO(b"same bytes"))
    os.utime(store.path(first[0]), (time.time() - 7200, time.time() - 7200))
    second = store.put(io.BytesIO(b"same bytes"))
    assert first == second
    assert blob_count(store) == 1
    assert not any((store.root / "tmp").iterdir())
    # Reuse restarts the gc grace period of the blob (it is about to be referenced again).
    assert time.time() - store.mtime(first[0]) < 60


def test_interrupted_write_leaves_no_blob(store):
    data = os.urandom(3 * docs.CHUNK)
    with pytest.raises(ConnectionResetError):
        store.put(Exploding(data, after=docs.CHUNK + 5))
    assert blob_count(store) == 0
    assert not any((store.root / "tmp").iterdir())  # the partial temp file is gone too


def test_refused_check_leaves_no_blob(store):
    def refuse():
        raise docs.UnsupportedType("no")

    with pytest.raises(docs.UnsupportedType):
        store.put(io.BytesIO(b"abc"), check=refuse)
    assert blob_count(store) == 0


def test_max_size_is_enforced_while_streaming(store):
    stream = Recording(os.urandom(4 * docs.CHUNK))
    with pytest.raises(docs.TooLarge):
        store.put(stream, max_size=docs.CHUNK + 1)
    assert len(stream.sizes) == 2  # stopped at the chunk that crossed the limit
    assert blob_count(store) == 0


def test_paths_cannot_escape_the_root(store):
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ValueError):
            store.path(bad)


def test_blob_store_helper_and_settings(tmp_path):
    from core.config import ConfigError

    settings = {"mutuo.documents.path": str(tmp_path / "d"), "mutuo.documents.max_size": "1000",
                "mutuo.documents.allowed_types": "pdf, image/png txt"}
    store = docs.blob_store(settings)
    assert store.root == tmp_path / "d" and store.limits.max_size == 1000
    assert store.limits.allowed_types == {"application/pdf", "image/png", "text/plain"}
    assert docs.blob_store({}).root == docs.FilesystemBlobStore("var/documents").root
    assert "application/pdf" in docs.blob_store({}).limits.allowed_types
    with pytest.raises(ConfigError, match="exe"):
        docs.blob_store({"mutuo.documents.allowed_types": "pdf exe"})


def test_app_has_one_store(mutuo_db):
    registry = mutuo_db.app.registry
    from core.services import IBlobStore, find_in_registry

    assert docs.blob_store(registry) is find_in_registry(registry, IBlobStore) is docs.blob_store(registry)
    assert str(docs.blob_store(registry).root) == os.path.abspath(mutuo_db.documents)


# -- types and names --------------------------------------------------------------------

@pytest.mark.parametrize("data,name,expected", [
    (PDF, "x.pdf", "application/pdf"),
    (PNG, "x.exe", "image/png"),  # the bytes decide, not the name
    (b"name;amount\nA;1.00\n", "x.csv", "text/csv"),
    ("Grüße\n".encode(), "notes", "text/plain"),
    (b"MZ is how this line starts\n", "x.txt", "text/plain"),  # short magic in valid text stays text
    (EXE, "x.pdf", "application/x-msdownload"),
    (b"\xff\xfe\x00\x01", "x.txt", "application/octet-stream"),
])
def test_content_type_is_detected_from_bytes(data, name, expected):
    assert docs.detect_content_type(data, name) == expected


@pytest.mark.parametrize("raw,clean", [
    ("report.pdf", "report.pdf"),
    ("C:\\Users\\ann\\report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a bidi override could disguise the extension
    ('a<b>:"c"|?*.txt', "a_b___c____.txt"),
    ("...", "file"),
    ("", "file"),
    ("con.txt", "_con.txt"),
    ("  two   spaces\t.pdf ", "two spaces.pdf"),  # control characters go, spaces collapse
])
def test_filenames_are_sanitized(raw, clean):
    assert docs.sanitize_filename(raw) == clean


def test_long_filenames_keep_their_extension():
    name = docs.sanitize_filename("x" * 500 + ".pdf")
    assert len(name) <= docs.MAX_FILENAME and name.endswith(".pdf")


def test_content_disposition_is_attachment_with_ascii_fallback():
    value = docs.content_disposition('Vertrag "Müller".pdf')
    assert value.startswith('attachment; filename="Vertrag _Muller_.pdf"')
    assert "filename*=UTF-8''Vertrag%20%22M%C3%BCller%22.pdf" in value


# -- services ---------------------------------------------------------------------------

def test_upload_new_document_and_second_version(dbsession, store):
    v1 = docs.upload(dbsession, store, stream=io.BytesIO(PDF), filename="contract.pdf", title="Contract",
                     entity_type="sample.note", entity_id=7)
    dbsession.commit()
    doc = v1.document
    assert (doc.title, doc.current_version, v1.number, v1.content_type) == ("Contract", 1, 1, "application/pdf")
    assert [(link.entity_type, link.entity_id) for link in doc.links] == [("sample.note", "7")]

    v2 = docs.upload(dbsession, store, stream=io.BytesIO(PDF + b"% signed\n"), filename="contract-signed.pdf",
                     title=None, document_id=doc.id, entity_type="sample.note", entity_id="7")
    dbsession.commit()
    assert (v2.number, doc.current_version, doc.latest.filename) == (2, 2, "contract-signed.pdf")
    assert [d.id for d in docs.documents_for(dbsession, "sample.note", 7)] == [doc.id]
    assert docs.documents_for(dbsession, "sample.note", 8) == []
    assert row_counts(dbsession) == (1, 2, 1)
    assert blob_count(store) == 2

    version, fh = docs.open_version(dbsession, store, doc, 1)
    with fh:
        assert fh.read() == PDF


def test_same_content_in_two_documents_is_one_blob(dbsession, store):
    for title in ("A", "B"):
        docs.upload(dbsession, store, stream=io.BytesIO(PDF), filename="a.pdf", title=title)
    dbsession.commit()
    assert row_counts(dbsession)[:2] == (2, 2) and blob_count(store) == 1


def test_title_defaults_to_filename(dbsession, store):
    v = docs.upload(dbsession, store, stream=io.BytesIO(b"hello"), filename="../notes.txt", title="  ")
    assert v.document.title == "notes.txt" and v.filename == "notes.txt" and v.content_type == "text/plain"


@pytest.mark.parametrize("data,error", [
    (b"x" * 2048, docs.TooLarge),
    (EXE, docs.UnsupportedType),
    (b"\xff\xfe" + b"\x00" * 100, docs.UnsupportedType),
    (b"", docs.DocumentError),
])
def test_refused_uploads_store_nothing(dbsession, store, data, error):
    limits = docs.Limits(max_size=1024, allowed_types=docs.Limits().allowed_types)
    with pytest.raises(error) as exc:
        docs.upload(dbsession, store, stream=io.BytesIO(data), filename="x.pdf", title="X",
                    entity_type="sample.note", entity_id=1, limits=limits)
    assert exc.value.status in (400, 413, 415)
    dbsession.flush()
    assert row_counts(dbsession) == (0, 0, 0)
    assert blob_count(store) == 0 and not any((store.root / "tmp").iterdir())


def test_wrong_type_is_refused_before_reading_everything(dbsession, store):
    stream = Recording(EXE + os.urandom(6 * docs.CHUNK))
    with pytest.raises(docs.UnsupportedType, match="x-msdownload"):
        docs.upload(dbsession, store, stream=stream, filename="x.pdf", title="X")
    assert len(stream.sizes) == 1


def test_new_version_of_a_deleted_or_foreign_document_is_refused(dbsession, store):
    doc = docs.upload(dbsession, store, stream=io.BytesIO(PDF), filename="a.pdf", title="A",
                      entity_type="sample.note", entity_id=1).document
    with pytest.raises(docs.DocumentError, match="not attached"):
        docs.upload(dbsession, store, stream=io.BytesIO(PDF), filename="a.pdf", document_id=doc.id,
                     entity_type="sample.note", entity_id=2)
    docs.delete_document(dbsession, doc)
    assert doc.deleted and docs.documents_for(dbsession, "sample.note", 1) == []
    with pytest.raises(docs.DocumentError, match="deleted"):
        docs.upload(dbsession, store, stream=io.BytesIO(PDF), filename="a.pdf", document_id=doc.id)
    with pytest.raises(docs.DocumentError):
        docs.delete_document(dbsession, doc)


def test_service_events_are_audited(mutuo_db, store):
    start = mutuo_db.transaction(lambda s: s.scalar(select(func.max(AuditEntry.id)))) or 0

    def work(session):
        v = docs.upload(session, store, stream=io.BytesIO(PDF), filename="a.pdf", title="A")
        docs.open_version(session, store, v.document, 1)[1].close()
        docs.delete_document(session, v.document)
        return v.document_id

    doc_id = mutuo_db.transaction(work)
    events = mutuo_db.transaction(lambda s: [(e.action, e.entity_type, e.entity_id) for e in s.scalars(
        select(AuditEntry).where(AuditEntry.id > start, AuditEntry.action.like("document_%")).order_by(AuditEntry.id))])
    assert events == [(a, "core.document", str(doc_id)) for a in ("document_upload", "document_download", "document_delete")]


# -- verify and gc -------------------------------------------------------------------------

def test_verify_reports_corrupt_and_missing_blobs(dbsession, store):
    good = docs.upload(dbsession, store, stream=io.BytesIO(b"good"), filename="g.txt", title="G")
    bad = docs.upload(dbsession, store, stream=io.BytesIO(b"will be altered"), filename="b.txt", title="B")
    gone = docs.upload(dbsession, store, stream=io.BytesIO(b"will vanish"), filename="m.txt", title="M")
    dbsession.flush()
    assert docs.verify(dbsession, store).ok

    store.path(bad.sha256).write_bytes(b"tampered")
    os.unlink(store.path(gone.sha256))
    report = docs.verify(dbsession, store)
    assert not report.ok and report.checked == 2
    assert [p.sha for p in report.corrupt] == [bad.sha256]
    assert [p.sha for p in report.missing] == [gone.sha256]
    assert report.missing[0].versions == [(gone.document_id, 1)]
    assert good.sha256 not in {p.sha for p in report.corrupt + report.missing}
    assert "corrupt" in report.corrupt[0].describe() and f"document {bad.document_id} v1" in report.corrupt[0].describe()


def test_gc_respects_grace_period_and_keeps_referenced_blobs(dbsession, store):
    referenced = docs.upload(dbsession, store, stream=io.BytesIO(b"kept: referenced"), filename="k.txt", title="K")
    dbsession.flush()
    old_orphan, _ = store.put(io.BytesIO(b"old orphan"))
    young_orphan, _ = store.put(io.BytesIO(b"young orphan (an upload in flight)"))
    two_days_ago = time.time() - 48 * 3600
    for sha in (referenced.sha256, old_orphan):
        os.utime(store.path(sha), (two_days_ago, two_days_ago))
    stale_tmp = store.root / "tmp" / "put-crashed"
    stale_tmp.write_bytes(b"partial")
    os.utime(stale_tmp, (two_days_ago, two_days_ago))

    dry = docs.gc(dbsession, store, timedelta(hours=24), dry_run=True)
    assert dry.removed == [old_orphan] and store.exists(old_orphan)

    report = docs.gc(dbsession, store, timedelta(hours=24))
    assert report.removed == [old_orphan] and report.freed == len(b"old orphan")
    assert report.kept_recent == 1 and report.referenced == 1 and report.temp_removed == 1
    assert not store.exists(old_orphan)
    assert store.exists(referenced.sha256) and store.exists(young_orphan)

    everything = docs.gc(dbsession, store, timedelta(0))
    assert everything.removed == [young_orphan] and store.exists(referenced.sha256)


def test_gc_keeps_blobs_of_deleted_documents(dbsession, store):
    v = docs.upload(dbsession, store, stream=io.BytesIO(b"evidence"), filename="e.txt", title="E")
    docs.delete_document(dbsession, v.document)
    dbsession.flush()
    assert docs.gc(dbsession, store, timedelta(0)).removed == []
    assert store.exists(v.sha256)


# -- web ----------------------------------------------------------------------------------

NOTE_USER = ("core.dashboard.view", "sample.note.view", "sample.note.manage")


def make_note(mutuo_db, username: str, title: str = "Loan file") -> int:
    from mutuo_sample.models import Note

    def build(session):
        uid = session.scalar(select(User.id).where(User.username == username))
        note = Note(title=title, owner_id=uid)
        session.add(note)
        session.flush()
        return note.id

    return mutuo_db.transaction(build)


def switch_user(app, username):
    app.reset()  # drop the session cookie: /login sends a logged-in user away
    login(app, username)


def post_upload(app, data, *, filename="contract.pdf", status=302, **fields):
    params = {"csrf_token": csrf_token(app), "title": "Contract", "document_id": "", **fields}
    return app.post("/documents/upload", params=params, upload_files=[("file", filename, data)], status=status)


def note_upload(app, note_id, data, **kw):
    return post_upload(app, data, entity_type="sample.note", entity_id=str(note_id),
                       next=f"/sample/notes/{note_id}", **kw)


@pytest.fixture
def app_store(mutuo_db):
    return docs.blob_store(mutuo_db.app.registry)


def test_upload_through_the_note_panel_and_download(logged_in, mutuo_db):
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    page = app.get(f"/sample/notes/{note_id}")
    form = page.forms[[i for i, f in page.forms.items() if f.action.endswith("/documents/upload")][0]]
    form["title"] = "Contract"
    form["file"] = ("contract.pdf", PDF, "application/pdf")
    res = form.submit(status=302)
    assert res.location.endswith(f"/sample/notes/{note_id}")
    page = res.follow()
    assert "Contract" in page.text and "contract.pdf" in page.text
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))

    # A second version through the same panel.
    form = page.forms[[i for i, f in page.forms.items() if f.action.endswith("/documents/upload")][0]]
    form["document_id"] = str(doc_id)
    form["file"] = ("contract-v2.pdf", PDF + b"%v2\n", "application/pdf")
    page = form.submit(status=302).follow()
    assert page.html.select_one(".document-row .doc-version").text.strip() == "2"

    res = app.get(f"/documents/{doc_id}/versions/2/download")
    assert res.body == PDF + b"%v2\n"
    assert res.content_type == "application/pdf"
    assert res.headers["Content-Disposition"].startswith('attachment; filename="contract-v2.pdf"')
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert app.get(f"/documents/{doc_id}/versions/1/download").body == PDF
    app.get(f"/documents/{doc_id}/versions/3/download", status=404)

    detail = app.get(f"/documents/{doc_id}")
    assert len(detail.html.select("#document-versions .version-row")) == 2
    assert "document upload" in detail.html.select_one("#history").text


def test_download_is_audited(logged_in, mutuo_db):
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    note_upload(app, note_id, PDF)
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))
    start = mutuo_db.transaction(lambda s: s.scalar(select(func.max(AuditEntry.id))))
    app.get(f"/documents/{doc_id}/versions/1/download")
    entry = mutuo_db.transaction(lambda s: s.scalars(select(AuditEntry).where(
        AuditEntry.id > start, AuditEntry.action == "document_download")).one())
    assert (entry.entity_type, entry.entity_id, entry.actor) == ("core.document", str(doc_id), app.username)
    assert json.loads(entry.changes)["version"] == 1


def test_too_large_is_413_and_stores_nothing(logged_in, mutuo_db, app_store, monkeypatch):
    monkeypatch.setattr(app_store, "limits", docs.Limits(max_size=1024, allowed_types=app_store.limits.allowed_types))
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    before = blob_count(app_store)
    res = note_upload(app, note_id, PDF + b"%" * 2000, status=413)
    assert "larger than the limit of 1 KB" in res.text
    assert blob_count(app_store) == before
    assert mutuo_db.transaction(row_counts) == (0, 0, 0)


def test_wrong_type_is_415_and_stores_nothing(logged_in, mutuo_db, app_store):
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    before = blob_count(app_store)
    res = note_upload(app, note_id, EXE, filename="invoice.pdf", status=415)
    assert "application/x-msdownload" in res.text and "not accepted" in res.text
    assert blob_count(app_store) == before
    assert mutuo_db.transaction(row_counts) == (0, 0, 0)


def test_access_follows_the_linked_record(testapp, make_user, mutuo_db):
    owner, password = make_user("owner", permissions=NOTE_USER)
    login(testapp, owner, password)
    note_id = make_note(mutuo_db, owner)
    note_upload(testapp, note_id, PDF)
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))
    download = f"/documents/{doc_id}/versions/1/download"

    # No view permission on notes: 403, even with the unlinked-document permissions.
    outsider, _ = make_user("outsider", permissions=("core.dashboard.view", "core.document.view",
                                                     "core.document.manage"))
    switch_user(testapp, outsider)
    res = testapp.get(download, status=403)
    assert "sample.note.view" in res.text
    testapp.get(f"/documents/{doc_id}", status=403)
    note_upload(testapp, note_id, PDF, status=403, document_id=str(doc_id))

    # Note permissions but someone else's note (outside the record rule): 404.
    other, _ = make_user("other", permissions=NOTE_USER)
    switch_user(testapp, other)
    testapp.get(download, status=404)
    testapp.get(f"/documents/{doc_id}", status=404)
    note_upload(testapp, note_id, PDF, status=404)

    # May see every note but not write: downloads yes, uploads no.
    reader, _ = make_user("reader", permissions=("core.dashboard.view", "sample.note.view", "sample.note.view_all"))
    switch_user(testapp, reader)
    assert testapp.get(download).body == PDF
    note_upload(testapp, note_id, PDF, status=403)
    note_upload(testapp, note_id, PDF, status=403, document_id=str(doc_id))
    testapp.post(f"/documents/{doc_id}/delete", {"csrf_token": csrf_token(testapp)}, status=403)
    assert "doc-upload" not in testapp.get(f"/sample/notes/{note_id}").text

    # Anonymous: sent to the login page.
    testapp.post("/logout", {"csrf_token": csrf_token(testapp)})
    assert "/login" in testapp.get(download, status=302).location
    assert mutuo_db.transaction(row_counts) == (1, 1, 1)


def test_denied_download_is_audited(testapp, make_user, mutuo_db):
    owner, password = make_user("owner", permissions=NOTE_USER)
    login(testapp, owner, password)
    note_upload(testapp, make_note(mutuo_db, owner), PDF)
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))
    switch_user(testapp, make_user("nobody", permissions=("core.dashboard.view",))[0])
    start = mutuo_db.transaction(lambda s: s.scalar(select(func.max(AuditEntry.id))))
    testapp.get(f"/documents/{doc_id}/versions/1/download", status=403)
    actions = mutuo_db.transaction(lambda s: list(s.scalars(select(AuditEntry.action).where(AuditEntry.id > start))))
    assert actions == ["access_denied"]


def test_unknown_record_type_and_missing_file(logged_in, mutuo_db):
    app = logged_in(NOTE_USER)
    post_upload(app, PDF, entity_type="nope.thing", entity_id="1", status=400)
    note_id = make_note(mutuo_db, app.username)
    res = app.post("/documents/upload", {"csrf_token": csrf_token(app), "entity_type": "sample.note",
                                         "entity_id": str(note_id)}, status=400)
    assert "Choose a file" in res.text


def test_upload_needs_csrf(logged_in, mutuo_db):
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    app.post("/documents/upload", {"entity_type": "sample.note", "entity_id": str(note_id)},
             upload_files=[("file", "a.pdf", PDF)], status=400)
    assert mutuo_db.transaction(row_counts) == (0, 0, 0)


def test_unlinked_documents_use_core_permissions(logged_in, testapp, make_user, mutuo_db):
    post_upload(logged_in(("core.dashboard.view", "core.document.view")), PDF, status=403)
    switch_user(testapp, make_user(permissions=("core.dashboard.view", "core.document.manage"))[0])
    res = post_upload(testapp, PDF)
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))
    assert res.location.endswith(f"/documents/{doc_id}")
    testapp.get(f"/documents/{doc_id}/versions/1/download", status=403)  # manage alone does not grant view
    switch_user(testapp, make_user(permissions=("core.dashboard.view", "core.document.view"))[0])
    assert testapp.get(f"/documents/{doc_id}/versions/1/download").body == PDF
    assert "Upload a new version" not in testapp.get(f"/documents/{doc_id}").text


def test_delete_is_soft_and_hides_the_document(logged_in, mutuo_db, app_store):
    app = logged_in(NOTE_USER)
    note_id = make_note(mutuo_db, app.username)
    note_upload(app, note_id, PDF)
    doc_id = mutuo_db.transaction(lambda s: s.scalar(select(Document.id)))
    sha = mutuo_db.transaction(lambda s: s.scalar(select(DocumentVersion.sha256)))
    res = app.post(f"/documents/{doc_id}/delete", {"csrf_token": csrf_token(app), "next": f"/sample/notes/{note_id}"})
    assert res.location.endswith(f"/sample/notes/{note_id}")
    assert "No documents." in res.follow().text
    app.get(f"/documents/{doc_id}/versions/1/download", status=404)
    assert mutuo_db.transaction(lambda s: s.get(Document, doc_id).deleted) is True
    assert app_store.exists(sha)


def test_document_list_shows_only_what_the_user_may_see(testapp, make_user, mutuo_db):
    ann, password = make_user("ann", permissions=NOTE_USER + ("core.document.view",))
    login(testapp, ann, password)
    note_upload(testapp, make_note(mutuo_db, ann, "Ann's"), PDF, title="Ann contract")
    bob, _ = make_user("bob", permissions=NOTE_USER + ("core.document.view", "core.document.manage"))
    switch_user(testapp, bob)
    note_upload(testapp, make_note(mutuo_db, bob, "Bob's"), PDF, title="Bob contract")
    post_upload(testapp, b"policy text", filename="policy.txt", title="Loose policy")

    page = testapp.get("/documents")
    titles = {a.text for a in page.html.select("table.listing td a") if not a.text.isdigit()}
    assert titles == {"Bob contract", "Loose policy"}  # Ann's note is outside Bob's record rule
    assert "Documents" in page.html.select_one("nav").text

    only_notes = testapp.get("/documents", {"entity_type": "sample.note"})
    assert "Bob contract" in only_notes.text and "Loose policy" not in only_notes.text
    csv = testapp.get("/documents", {"format": "csv"})
    assert csv.content_type == "text/csv" and "Bob contract" in csv.text and "Ann contract" not in csv.text

    loose = mutuo_db.transaction(lambda s: s.scalar(select(Document.id).where(Document.title == "Loose policy")))
    testapp.post(f"/documents/{loose}/delete", {"csrf_token": csrf_token(testapp)})
    assert "Loose policy" not in testapp.get("/documents").html.select_one("table.listing").text
    deleted = testapp.get("/documents", {"deleted": "yes"}).html.select_one("table.listing").text
    assert "Loose policy" in deleted and "Bob contract" not in deleted  # Bob holds core.document.manage

    switch_user(testapp, make_user(permissions=("core.dashboard.view", "core.document.view", "sample.note.view",
                                          "sample.note.view_all"))[0])
    page = testapp.get("/documents", {"q": "contract"})
    assert "Ann contract" in page.text and "Bob contract" in page.text and "Loose policy" not in page.text

    switch_user(testapp, make_user(permissions=("core.dashboard.view",))[0])
    testapp.get("/documents", status=403)


# -- CLI ----------------------------------------------------------------------------------

def run(args, mutuo_db, tmp_path):
    from click.testing import CliRunner

    from core.cli import main

    ini = tmp_path / "cli.ini"
    settings = {**mutuo_db.settings, "mutuo.documents.path": str(tmp_path / "cli-blobs")}
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {v.replace('%', '%%')}\n" for k, v in settings.items()))
    return CliRunner().invoke(main, ["-c", str(ini), *args], catch_exceptions=False)


def test_cli_verify_and_gc(mutuo_db, tmp_path):
    store = docs.FilesystemBlobStore(tmp_path / "cli-blobs")
    version = mutuo_db.transaction(lambda s: docs.upload(s, store, stream=io.BytesIO(b"kept"), filename="k.txt",
                                                          title="K"))
    orphan, _ = store.put(io.BytesIO(b"orphan"))
    old = time.time() - 72 * 3600
    os.utime(store.path(orphan), (old, old))

    ok = run(["documents", "verify"], mutuo_db, tmp_path)
    assert ok.exit_code == 0, ok.output
    assert "2 blobs re-hashed" in ok.output and "all blobs intact" in ok.output

    dry = run(["documents", "gc", "--dry-run"], mutuo_db, tmp_path)
    assert dry.exit_code == 0 and f"would remove {orphan}" in dry.output and store.exists(orphan)
    res = run(["documents", "gc", "--grace-hours", "48"], mutuo_db, tmp_path)
    assert res.exit_code == 0, res.output
    assert "Removed 1 unreferenced blob " in res.output and not store.exists(orphan)
    entry = mutuo_db.transaction(lambda s: s.scalars(select(AuditEntry).where(AuditEntry.action == "document_gc")
                                                     .order_by(AuditEntry.id.desc())).first())
    assert entry.actor == "cli:documents gc" and json.loads(entry.changes)["removed"] == 1

    store.path(version.sha256).write_bytes(b"changed")
    bad = run(["documents", "verify"], mutuo_db, tmp_path)
    assert bad.exit_code == 1
    assert f"corrupt: {version.sha256}" in bad.output and "1 corrupt" in bad.output
    os.unlink(store.path(version.sha256))
    missing = run(["documents", "verify"], mutuo_db, tmp_path)
    assert missing.exit_code == 1 and f"missing: {version.sha256}" in missing.output
