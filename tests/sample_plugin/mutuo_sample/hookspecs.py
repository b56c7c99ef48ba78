"""The sample plugin's own hook, for other plugins to implement."""
from core import hookspec


@hookspec
def sample_note_created(note):
    """Called after a note is created, inside the same transaction. Returns nothing."""
