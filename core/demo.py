"""Demo data: users for every default role, then each plugin's records, once.

Resumable: each plugin's records are written in one transaction together with
the marker ``demo_loaded:<plugin>`` (core_state). An interrupted load (a
crash, Ctrl-C, a plugin's error) leaves the plugins before it loaded and
marked, and nothing of the one that failed; running ``mutuo demo load`` again
skips the marked plugins and goes on with the rest. Users are created only
when missing. ``demo_loaded`` is set once every plugin is done.
"""
from __future__ import annotations

from core.platform_state import get_state, set_state

DEMO_PASSWORD_SUFFIX = "-demo-pass"  # development only: "<username>-demo-pass"


def demo_password(username: str) -> str:
    return username + DEMO_PASSWORD_SUFFIX


def demo_users(session, registry) -> list[tuple[str, str]]:
    """One user per role (admin first); returns [(username, password)]."""
    from sqlalchemy import select

    from core.accounts import create_user
    from core.models.user import Role, User

    made = []
    roles = session.scalars(select(Role).order_by(Role.name)).all()
    for role in sorted(roles, key=lambda r: (r.name != "admin", r.name)):
        username = role.name
        if session.scalars(select(User).where(User.username == username)).first():
            continue
        extra = ["staff"] if role.name != "staff" and any(r.name == "staff" for r in roles) else []
        create_user(session, username, demo_password(username), full_name=f"Demo {role.title}",
                    email=f"{username}@example.test", roles=[role.name, *extra])
        made.append((username, demo_password(username)))
    return made


def load_demo(env, scale: int = 1, echo=print) -> bool:
    """Load demo data unless already loaded. Returns True when something was loaded."""
    from core.i18n import translate

    if env.transaction("demo load", lambda s: get_state(s, "demo_loaded")):
        return False
    if env.settings.get("mutuo.demo_users", "false").lower() == "true":
        users = env.transaction("demo load", lambda s: demo_users(s, env.registry))
        for username, password in users:
            echo(f"  user {username:<20} password {password}")
    for owner in env.pm.implementers("mutuo_demo_data"):
        summary = env.transaction("demo load", lambda s, o=owner: _load_plugin(s, env.pm, o, scale))
        echo(f"  {owner}: {translate(summary)}")
    env.transaction("demo load", lambda s: set_state(s, "demo_loaded", str(scale)))
    return True


def _load_plugin(session, pm, owner: str, scale: int) -> str:
    """One plugin's demo records and its marker, in the caller's one transaction."""
    marker = f"demo_loaded:{owner}"
    if get_state(session, marker):
        from core.i18n import _

        return _("already loaded by an earlier, interrupted run")
    summary = pm.call_plugin(owner, "mutuo_demo_data", session=session, scale=scale)
    set_state(session, marker, str(scale))
    return summary or "loaded"
