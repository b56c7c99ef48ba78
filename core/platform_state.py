"""Facts remembered between starts, and the audit event when enabled plugins change."""
from __future__ import annotations

from core.audit import record_event
from core.models.state import PlatformState


def get_state(session, key: str, default: str | None = None) -> str | None:
    row = session.get(PlatformState, key)
    return row.value if row else default


def set_state(session, key: str, value: str) -> None:
    row = session.get(PlatformState, key)
    if row is None:
        session.add(PlatformState(key=key, value=value))
    else:
        row.value = value


def note_enabled_plugins(session, names: list[str]) -> bool:
    """Record the enabled plugin set; audit it when it differs from the last start."""
    current = " ".join(sorted(names))
    previous = get_state(session, "enabled_plugins")
    if previous == current:
        return False
    set_state(session, "enabled_plugins", current)
    record_event(session, "plugins_changed", "core.platform", None,
                 {"before": (previous or "").split(), "after": current.split()})
    return True
