"""Demo data: users for every default role, then each plugin's records, once.

Resumable: each plugin's records are written in one transaction together with
the marker ``demo_loaded:<plugin>`` (core_state). An interrupted load (a
crash, Ctrl-C, a plugin's error) leaves the plugins before it loaded and
marked, and nothing of the one that failed; running ``mutuo demo load`` again
skips the marked plugins and goes on with the rest. Users are created only
when missing. ``demo_loaded`` is set once every plugin is done.

The story: lending's demo replays the last 18 months day by day
(:func:`replay_day` moves the business date and the timestamps of records
and audit entries together); other plugins act on each replayed day through
lending's ``lending_demo_day`` hook (docs/plugins/lending.md), so their
records carry the same dates. :data:`DEFAULT_SCALE` is what `mutuo demo
load` (and `make run`) builds; scale 1 is a small book of the same shape,
for tests.

Every demo user has the e-mail ``<username>@example.test`` and the password
``<username>-demo-pass`` (development only); they are listed, with their
passwords, at the end of the load.
"""
from __future__ import annotations

from contextlib import contextmanager

from core.platform_state import get_state, set_state

DEMO_PASSWORD_SUFFIX = "-demo-pass"  # development only: "<username>-demo-pass"
DEMO_EMAIL_DOMAIN = "@example.test"
#: a few hundred customers, a couple of hundred loans over 18 months (`mutuo demo load` without --scale)
DEFAULT_SCALE = 10
#: how far back the demo's history starts (small test books: less, see :func:`story_months`)
STORY_MONTHS = 18


def story_months(scale: int) -> int:
    """Months of history: 18 from scale 5 up; 10 at scale 1 and 12 at 2 (tests), still long enough for a
    loan to be missed, roll through every bucket and be written off."""
    return min(STORY_MONTHS, 8 + 2 * max(scale, 1))


def story_start(today, scale: int = DEFAULT_SCALE):
    """The first day of the demo's history: :func:`story_months` months before ``today``."""
    year, month0 = divmod(today.year * 12 + today.month - 1 - story_months(scale), 12)
    return today.replace(year=year, month=month0 + 1, day=min(today.day, 28))


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
                    email=f"{username}{DEMO_EMAIL_DOMAIN}", roles=[role.name, *extra])
        made.append((username, demo_password(username)))
    return made


def demo_logins(session) -> list[tuple[str, str]]:
    """[(username, password)] of every active demo user (core's and the plugins'), oldest first."""
    from sqlalchemy import select

    from core.models.user import User

    names = session.scalars(select(User.username).where(User.email.endswith(DEMO_EMAIL_DOMAIN),
                                                        User.active.is_(True)).order_by(User.id))
    return [(name, demo_password(name)) for name in names]


def echo_logins(env, echo=print) -> None:
    """The demo users and their passwords, one a line (nothing when there is none)."""
    from core.i18n import _, translate

    logins = env.transaction("demo load", demo_logins)
    if not logins:
        return
    width = max(len(name) for name, _password in logins)
    echo(translate(_("Demo users (development only):")))
    for username, password in logins:
        echo(f"  {username:<{width}}  {password}")


@contextmanager
def replay_day(session, day):
    """Inside, the business date is ``day`` (:func:`core.context.as_of`) and new records and audit entries
    are stamped on it (:func:`core.clock.replay`, in the company's time zone); flushed before leaving."""
    from core import context
    from core.clock import replay

    zone = context.settings(session).get("mutuo.timezone") or "UTC"
    with context.as_of(session, day), replay(day, zone):
        yield
        session.flush()


def load_demo(env, scale: int = 1, echo=print) -> bool:
    """Load demo data unless already loaded (the CLI passes :data:`DEFAULT_SCALE`). True when something was loaded."""
    from core.i18n import translate

    if env.transaction("demo load", lambda s: get_state(s, "demo_loaded")):
        return False
    if env.settings.get("mutuo.demo_users", "false").lower() == "true":
        env.transaction("demo load", lambda s: demo_users(s, env.registry))
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
