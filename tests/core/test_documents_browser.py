"""The documents panel in a real browser: upload, a second version, download."""
import pytest
from sqlalchemy import select

from core.models.user import User
from core.testing import browser_login

pytestmark = pytest.mark.browser


def test_note_documents_panel_upload_version_download(page, make_user, mutuo_db, tmp_path):
    from mutuo_sample.models import Note

    username, password = make_user(permissions=("core.dashboard.view", "sample.note.view", "sample.note.manage"))

    def build(session):
        note = Note(title="Loan file 42", owner_id=session.scalar(select(User.id).where(User.username == username)))
        session.add(note)
        session.flush()
        return note.id

    note_id = mutuo_db.transaction(build)
    first = tmp_path / "contract.txt"
    first.write_text("Loan contract, unsigned.\n")
    second = tmp_path / "contract-signed.txt"
    second.write_text("Loan contract, signed by both parties.\n")

    browser_login(page, username, password)
    page.goto(f"/sample/notes/{note_id}")
    panel = page.locator("#documents")
    assert "No documents." in panel.inner_text()

    panel.locator("input[name=title]").fill("Loan contract")
    panel.locator("input[name=file]").set_input_files(str(first))
    panel.locator("button[type=submit]").click()
    page.wait_for_url(f"**/sample/notes/{note_id}")
    row = page.locator("#documents .document-row")
    assert row.count() == 1 and "Loan contract" in row.inner_text()
    assert row.locator(".doc-version").inner_text().strip() == "1"

    page.locator("#documents select[name=document_id]").select_option(label="New version of: Loan contract")
    page.locator("#documents input[name=file]").set_input_files(str(second))
    page.locator("#documents button[type=submit]").click()
    page.wait_for_url(f"**/sample/notes/{note_id}")
    assert page.locator(".alert").first.inner_text().count("version 2") == 1
    row = page.locator("#documents .document-row")
    assert row.count() == 1 and row.locator(".doc-version").inner_text().strip() == "2"
    assert "contract-signed.txt" in row.inner_text()

    with page.expect_download() as info:
        row.locator("a.doc-download").click()
    download = info.value
    assert download.suggested_filename == "contract-signed.txt"
    saved = tmp_path / "downloaded.txt"
    download.save_as(str(saved))
    assert saved.read_text() == "Loan contract, signed by both parties.\n"
