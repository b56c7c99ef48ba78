"""Strategies as data: each stage's ordered actions, edited by supervisors on a screen.

An action says what to do on day ``day_offset`` past due (``D+n``, as
collectors count), through which channel, and — when ``repeat_every`` is set —
again every so many days while the case stays in the stage. The defaults are
seeded once (a platform-state marker remembers it, so deleting them all is
respected); the action-item job (:mod:`.actions`) reads the active ones.
"""
from __future__ import annotations

from sqlalchemy import exists, func, select

from core.errors import UserError
from core.i18n import translate
from core.platform_state import get_state, set_state
from plugins.collections.i18n import _, word
from plugins.collections.models import ACTION_KINDS, MESSAGE_CHANNELS, STAGES, ActionItem, StrategyAction

SEEDED = "collections.strategies_seeded"
REMINDER = _("Dear {customer}, the payment on your loan {loan} is {days} days late; {amount} is overdue. "
             "Please pay today or call us to agree a date.")
DEFAULTS = (
    # stage, day offset, channel, repeat every, title, message
    ("early", 1, "sms", None, _("Friendly reminder"), REMINDER),
    ("early", 3, "call", None, _("First call"), ""),
    ("early", 7, "call", None, _("Second call"), ""),
    ("mid", 31, "call", 3, _("Call every 3 days"), ""),
    ("mid", 45, "letter", None, _("Formal demand letter"), ""),
    ("late", 91, "visit", None, _("Field visit"), ""),
    ("late", 100, "legal_review", None, _("Legal review"), ""),
)
EDITABLE = ("stage", "day_offset", "channel", "repeat_every", "title", "message", "active", "position")


def ensure_defaults(session) -> int:
    """Seed the default strategies once per database; returns the number of actions added."""
    if get_state(session, SEEDED):
        return 0
    added = 0
    if not session.scalar(select(func.count(StrategyAction.id))):
        positions: dict[str, int] = {}
        company = company_language(session)
        for stage, offset, channel, repeat, title, message in DEFAULTS:
            positions[stage] = positions.get(stage, 0) + 1
            # The text the debtor receives is written in the company's language (mutuo.default_locale); the
            # title stays a code-like English word, shown translated (h.label) to each user.
            session.add(StrategyAction(stage=stage, position=positions[stage], day_offset=offset, channel=channel,
                                       repeat_every=repeat, title=str(title),
                                       message=translate(message, company) if message else "", active=True))
            added += 1
    set_state(session, SEEDED, "1")
    session.flush()
    return added


def company_language(session):
    """The localizer of the company's default language, the one debtors are written to in."""
    from core import context
    from core.i18n import default_locale, localizer_for, translation_dirs

    try:
        pm = context.plugin_manager(session)
    except RuntimeError:  # a session made outside the platform: the dirs use_locale() set
        pm = None
    return localizer_for(default_locale(context.settings(session)), translation_dirs(pm) if pm else None)


def actions(session, stage: str | None = None, active_only: bool = False) -> list[StrategyAction]:
    stmt = select(StrategyAction)
    if stage:
        stmt = stmt.where(StrategyAction.stage == stage)
    if active_only:
        stmt = stmt.where(StrategyAction.active.is_(True))
    order = {s: i for i, s in enumerate(STAGES)}
    return sorted(session.scalars(stmt), key=lambda a: (order.get(a.stage, 9), a.position, a.day_offset, a.id))


def _whole(value, field: str, what: str, minimum: int, allow_blank: bool = False) -> int | None:
    if value in (None, "") and allow_blank:
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        from core.formatting import current

        raise UserError(_("Enter ${what} as a whole number.", mapping={"what": current().translate(what)}),
                        field) from None
    if number < minimum:
        from core.formatting import current

        words = current().translate(what)
        raise UserError(_("${what} must be at least ${minimum}.",
                          mapping={"what": words[:1].upper() + words[1:], "minimum": minimum}), field)
    return number


def _clean(data: dict) -> dict:
    out = {k: v for k, v in data.items() if k in EDITABLE}
    if "stage" in out and out["stage"] not in STAGES:
        raise UserError(_("Choose a stage: ${stages}.", mapping={"stages": ", ".join(word(s) for s in STAGES)}),
                        "stage")
    if "channel" in out and out["channel"] not in ACTION_KINDS:
        raise UserError(_("Choose a channel: ${channels}.",
                          mapping={"channels": ", ".join(word(k) for k in ACTION_KINDS)}), "channel")
    if "day_offset" in out:
        out["day_offset"] = _whole(out["day_offset"], "day_offset", _("the day past due"), 1)
    if "repeat_every" in out:
        out["repeat_every"] = _whole(out["repeat_every"], "repeat_every", _("the repeat interval in days"), 1, True)
    if out.get("position") in (None, ""):
        out.pop("position", None)  # blank: last in its stage (new) or unchanged (edit)
    else:
        out["position"] = _whole(out["position"], "position", _("the position"), 0)
    for key in ("title", "message"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if out.get("title") is not None and len(out["title"]) > 120:
        raise UserError(_("A title has at most ${n} characters.", mapping={"n": 120}), "title")
    return out


def _check_message(action: StrategyAction) -> None:
    from plugins.collections.services.messages import check_template

    if action.channel in MESSAGE_CHANNELS:
        if not action.message:
            raise UserError(_("Write the ${channel} text the customer receives.",
                              mapping={"channel": word(action.channel)}), "message")
        check_template(action.message, "message")


def create_action(session, **data) -> StrategyAction:
    data = _clean({"title": "", "message": "", "active": True, **data})
    required = {"stage": _("Enter the stage."), "channel": _("Enter the channel."),
                "day_offset": _("Enter the day offset.")}
    for key, refusal in required.items():
        if data.get(key) in (None, ""):
            raise UserError(refusal, key)
    if data.get("position") is None:
        last = session.scalar(select(func.max(StrategyAction.position)).where(StrategyAction.stage == data["stage"]))
        data["position"] = (last or 0) + 1
    action = StrategyAction(**data)
    _check_message(action)
    session.add(action)
    session.flush()
    return action


def update_action(session, action: StrategyAction, **data) -> StrategyAction:
    for key, value in _clean(data).items():
        setattr(action, key, value)
    _check_message(action)
    session.flush()
    return action


def delete_action(session, action: StrategyAction) -> None:
    """Remove an action; once it produced action items it can only be deactivated (they point to it)."""
    if session.scalar(select(exists().where(ActionItem.action_id == action.id))):
        raise UserError(_("This action already created action items; deactivate it instead of deleting."), "active")
    session.delete(action)
    session.flush()
