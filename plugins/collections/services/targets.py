"""Monthly recovery targets: the team's figure, its split between collectors, achievement and ranking.

Achievement is what was repaid in the month on each collector's cases: the
sum of the recoveries credited to them (:mod:`.recoveries`) with a payment
date in the month. Rate = recovered / the collector's share (None without a
share). Ranking: rate, then amount recovered, highest first; collectors
without a share are ranked after those with one.

Concurrency: changing a target or its split locks the target row first
(:func:`core.db.lock`), so the check "the shares add up to at most the team
target" stays true when a manager lowers the target while another splits it;
two managers creating the same month's target at once meet the unique month
and the second is refused with a :class:`core.errors.ConflictError`. Every
amount is at most ``lending.max_amount``.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import lock
from core.errors import ConflictError, UserError
from core.formatting import current
from core.models.user import User
from core.money import ZERO, money, parse_money, split_pro_rata
from plugins.collections.i18n import _
from plugins.collections.models import Recovery, Target, TargetShare
from plugins.collections.services.assignment import team
from plugins.lending.services import limits


def parse_month(text, field: str = "month") -> date:
    """``"2026-03"`` (or a date) -> 2026-03-01."""
    if isinstance(text, date):
        return text.replace(day=1)
    raw = str(text or "").strip()
    try:
        year, month = raw.split("-")[:2]
        return date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise UserError(_("'${value}' is not a month; write it like 2026-03.", mapping={"value": raw}), field) from None


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _amount(session, value, field: str, locale: str | None = None) -> Decimal:
    """An amount given as a Decimal, or typed in ``locale`` (default: the language being served)."""
    if isinstance(value, Decimal):
        amount = money(value)
    else:
        from core.web.parsing import current_locale

        try:
            amount = parse_money(value, locale=locale or current_locale())
        except ValueError as exc:
            raise UserError(exc.args[0] if exc.args else str(exc), field) from None
    if amount < ZERO:
        raise UserError(_("A target is zero or more."), field)
    return limits.check_amount(session, amount, field, "A target")


def get_target(session, month: date) -> Target | None:
    return session.scalars(select(Target).where(Target.month == month)).first()


def set_target(session, month, amount, note: str = "", locale: str | None = None) -> Target:
    """Create or change the team target of ``month``; it may not fall below what is already split.

    A typed ``amount`` is read in ``locale`` (default: the language being served: 1.234,56 in Spanish).
    """
    month = parse_month(month)
    amount = _amount(session, amount, "amount", locale)
    target = get_target(session, month)
    if target is None:
        target = Target(month=month, amount=amount, note=(note or "").strip())
        session.add(target)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # the same month created concurrently
            raise ConflictError(_("The target of ${month} was just set by someone else; open it again and "
                                  "change it there.", mapping={"month": f"{month:%Y-%m}"}), "month") from None
        return target
    target = lock(session, Target, target.id)
    split = sum((s.amount for s in target.shares), ZERO)
    if amount < split:
        fmt = current()
        raise ConflictError(_("The collectors' shares already add up to ${split}; lower them before setting the "
                              "team target to ${amount}.",
                              mapping={"split": fmt.money(split), "amount": fmt.money(amount)}), "amount")
    target.amount, target.note = amount, (note or "").strip()
    session.flush()
    return target


def set_shares(session, target: Target, shares: dict, locale: str | None = None) -> Target:
    """Set each collector's share ({user id: amount}); together at most the team target.

    Typed amounts are read in ``locale`` (default: the language being served)."""
    target = lock(session, Target, target.id)
    members = {u.id for u in team(session)}
    clean: dict[int, Decimal] = {}
    for collector_id, value in shares.items():
        if value in (None, ""):
            continue
        collector_id = int(collector_id)
        if collector_id not in members:
            raise UserError(_("Targets are split between collectors holding a queue."), f"share_{collector_id}")
        clean[collector_id] = _amount(session, value, f"share_{collector_id}", locale)
    total = sum(clean.values(), ZERO)
    if total > target.amount:
        fmt = current()
        raise ConflictError(_("The shares add up to ${total}, more than the team target of ${amount}; lower them "
                              "or raise the target.",
                              mapping={"total": fmt.money(total), "amount": fmt.money(target.amount)}), "shares")
    existing = {s.collector_id: s for s in target.shares}
    for collector_id, amount in clean.items():
        if collector_id in existing:
            existing[collector_id].amount = amount
        else:
            target.shares.append(TargetShare(collector_id=collector_id, amount=amount))
    for collector_id, share in existing.items():
        if collector_id not in clean:
            target.shares.remove(share)
    session.flush()
    return target


def split_evenly(session, target: Target) -> Target:
    """Split the team target equally between the team, to the cent (largest remainder)."""
    members = team(session)
    if not members:
        raise UserError(_("Nobody holds a collector queue yet; give collectors their queues first."), "shares")
    parts = split_pro_rata(target.amount, [Decimal(1)] * len(members))
    return set_shares(session, target, {u.id: part for u, part in zip(members, parts)})


@dataclass
class Standing:
    rank: int
    collector_id: int
    username: str
    target: Decimal | None
    recovered: Decimal

    @property
    def rate(self) -> Decimal | None:
        if not self.target:
            return None
        return (self.recovered / self.target).quantize(Decimal("0.0001"))


def recovered_by_collector(session, month: date) -> dict[int, Decimal]:
    rows = session.execute(select(Recovery.collector_id, func.sum(Recovery.amount))
                           .where(Recovery.paid_on >= month, Recovery.paid_on <= month_end(month),
                                  Recovery.collector_id.is_not(None))
                           .group_by(Recovery.collector_id)).all()
    return {uid: money(total or 0) for uid, total in rows}


def ranking(session, month) -> list[Standing]:
    """Every collector with a share or a recovery in ``month``, ranked (see the module docstring)."""
    month = parse_month(month)
    target = get_target(session, month)
    shares = {s.collector_id: s.amount for s in (target.shares if target else [])}
    recovered = recovered_by_collector(session, month)
    ids = set(shares) | set(recovered)
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    rows = [Standing(0, uid, names.get(uid, f"user {uid}"), shares.get(uid), recovered.get(uid, ZERO)) for uid in ids]
    rows.sort(key=lambda s: (s.rate is None, -(s.rate or 0), -s.recovered, s.username))
    for n, row in enumerate(rows, 1):
        row.rank = n
    return rows
