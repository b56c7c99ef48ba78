"""Demo data (filled in below)."""


def load(session, scale):
    return None
