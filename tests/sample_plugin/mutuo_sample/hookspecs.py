"""The sample plugin's own hook, for other plugins to implement."""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from mutuo_sample.models import Note


@hookspec
def sample_note_created(note: Note) -> None:
    """Called after a note is created, inside the same transaction. Returns nothing."""
