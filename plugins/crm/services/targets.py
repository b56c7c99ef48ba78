"""Yearly targets, their stored decomposition, and attainment against what lending funded.

A target is set for a year and a metric; :func:`decompose_target` writes its
whole decomposition (teams, people, people's months) from the weights given,
using the pure rules of :mod:`plugins.crm.services.decompose`, and records
one audit event. Attainment reads :class:`plugins.crm.models.Credit` rows:
funded volume is credited when lending funds an opportunity's application,
split by the opportunity's contribution shares; new borrowers and new
investors when a customer lending creates is matched to an account (credited
to its owner). ``cost`` has no actuals here (marketing owns spending).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, extract, func, select

from core.audit import record_event
from core.errors import ConflictError, UserError
from core.models.user import User
from core.money import CENT, ZERO, money
from plugins.crm.i18n import _
from plugins.crm.models import METRICS, Credit, Target, TargetPart, Team, TeamMember
from plugins.crm.services import decompose as rules

COUNT_METRICS = ("new_borrowers", "new_investors")


def quantum(metric: str) -> Decimal:
    return rules.UNIT if metric in COUNT_METRICS else CENT


def set_target(session, year: int, metric: str, amount, note: str = "") -> Target:
    """Create or change a yearly company target; changing the amount drops its decomposition (split again)."""
    if metric not in METRICS:
        raise UserError(_("Choose a metric."), "metric")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise UserError(_("Write the year as four digits, like 2026."), "year") from None
    if not 2000 <= year <= 2100:
        raise UserError(_("Write the year as four digits, like 2026."), "year")
    amount = money(amount)
    if amount < ZERO:
        raise UserError(_("A target is zero or more."), "amount")
    if metric in COUNT_METRICS and amount != amount.to_integral_value():
        raise UserError(_("New borrowers and investors are counted in whole numbers."), "amount")
    target = session.scalars(select(Target).where(Target.year == year, Target.metric == metric)).first()
    if target is None:
        target = Target(year=year, metric=metric, amount=amount, note=note or "")
        session.add(target)
    else:
        if target.amount != amount:
            target.parts.clear()
        target.amount, target.note = amount, note or ""
    session.flush()
    return target


def members_for(session, team: Team, year: int) -> list[rules.Member]:
    """The team's people who work in ``year``, with the month they started (pro rata)."""
    out = []
    for member in team.members:
        if member.joined_on.year > year:
            continue
        joined = member.joined_on.month if member.joined_on.year == year else 1
        out.append(rules.Member(member.user_id, Decimal(1), joined))
    return out


def decompose_target(session, target: Target, team_weights: dict[int, Decimal],
                     person_weights: dict[int, Decimal] | None = None,
                     month_weights: list[Decimal] | None = None) -> list[rules.TeamSplit]:
    """Write ``target``'s whole decomposition (replacing the old one); weights are percentages or amounts."""
    person_weights = person_weights or {}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_(list(team_weights))))}
    shares = []
    for team_id, weight in sorted(team_weights.items()):
        if team_id not in teams:
            raise UserError(_("Choose teams that exist."), "teams")
        members = [rules.Member(m.user_id, Decimal(person_weights.get(m.user_id, m.weight)), m.joined_month)
                   for m in members_for(session, teams[team_id], target.year)]
        shares.append(rules.TeamShare(team_id, Decimal(weight), members))
    try:
        splits = rules.decompose(target.amount, shares, month_weights or rules.EVEN_MONTHS, quantum(target.metric))
    except ValueError as exc:
        raise UserError(_("The target cannot be split that way: ${why}. Give a team with people in it a "
                          "weight above zero.", mapping={"why": str(exc)}), "teams") from None
    session.execute(delete(TargetPart).where(TargetPart.target_id == target.id))
    session.expire(target, ["parts"])
    rows = []
    for share, team in zip(shares, splits):
        rows.append(dict(target_id=target.id, level="team", team_id=team.team_id, user_id=None, month=None,
                         weight=share.weight, amount=team.amount))
        for member, person in zip(share.members, team.people):
            rows.append(dict(target_id=target.id, level="person", team_id=team.team_id, user_id=person.user_id,
                             month=None, weight=member.weight, amount=person.amount))
            rows.extend(dict(target_id=target.id, level="month", team_id=team.team_id, user_id=person.user_id,
                             month=number, weight=ZERO, amount=value)
                        for number, value in zip(rules.MONTHS, person.months))
    if rows:
        session.execute(TargetPart.__table__.insert(), rows)
    record_event(session, "target_decomposed", "crm.target", target.id,
                 {"teams": {str(t.team_id): str(t.amount) for t in splits}})
    session.flush()
    return splits


def check_sums(session, target: Target) -> None:
    """Raise ConflictError unless every stored level sums exactly to its parent (a guard for reports)."""
    parts = session.scalars(select(TargetPart).where(TargetPart.target_id == target.id)).all()
    if not parts:
        return
    teams = [p for p in parts if p.level == "team"]
    if sum((p.amount for p in teams), ZERO) != target.amount:
        raise ConflictError(_("The teams' parts do not add up to the target; split it again."), "teams")
    for team in teams:
        people = [p for p in parts if p.level == "person" and p.team_id == team.team_id]
        if people and sum((p.amount for p in people), ZERO) != team.amount:
            raise ConflictError(_("A team's people do not add up to its part; split it again."), "teams")
        for person in people:
            months = [p for p in parts if p.level == "month" and p.user_id == person.user_id
                      and p.team_id == team.team_id]
            if len(months) != 12 or sum((p.amount for p in months), ZERO) != person.amount:
                raise ConflictError(_("A person's months do not add up to their part; split it again."), "teams")


@dataclass
class Attainment:
    key: str               # a team name, a username or a month
    user_id: int | None
    team_id: int | None
    target: Decimal
    actual: Decimal
    rank: int = 0

    @property
    def variance(self) -> Decimal:
        return self.actual - self.target

    @property
    def rate(self) -> Decimal | None:
        return (self.actual / self.target).quantize(Decimal("0.0001")) if self.target else None


def actuals(session, year: int, metric: str) -> dict[tuple[int, int], Decimal]:
    """{(user id, month): credited amount} in ``year`` for ``metric``."""
    month = extract("month", Credit.credited_on)
    rows = session.execute(select(Credit.user_id, month, func.sum(Credit.amount))
                           .where(Credit.metric == metric, Credit.credited_on >= date(year, 1, 1),
                                  Credit.credited_on <= date(year, 12, 31))
                           .group_by(Credit.user_id, month)).all()
    return {(user_id, int(m)): Decimal(total) for user_id, m, total in rows}


def attainment(session, target: Target, parts: list[TargetPart] | None = None) -> dict[str, list[Attainment]]:
    """Target against actual by person (ranked), team and month; achievement is each person's credit.

    ``parts``: the target's stored decomposition when the caller has read it already."""
    done = actuals(session, target.year, target.metric)
    if parts is None:
        parts = list(session.scalars(select(TargetPart).where(TargetPart.target_id == target.id)))
    people_ids = {p.user_id for p in parts if p.user_id is not None}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(people_ids))).all()) \
        if people_ids else {}
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    people = []
    for p in (p for p in parts if p.level == "person"):
        actual = sum((v for (u, _m), v in done.items() if u == p.user_id), ZERO)
        people.append(Attainment(names.get(p.user_id, str(p.user_id)), p.user_id, p.team_id, p.amount, actual))
    ranked = sorted(people, key=lambda a: (-(a.rate if a.rate is not None else Decimal(-1)), -a.actual, a.key))
    for number, row in enumerate(ranked, 1):
        row.rank = number
    by_team = []
    for p in (p for p in parts if p.level == "team"):
        actual = sum((a.actual for a in people if a.team_id == p.team_id), ZERO)
        by_team.append(Attainment(teams.get(p.team_id, str(p.team_id)), None, p.team_id, p.amount, actual))
    members = {a.user_id for a in people}
    by_month = []
    for number in rules.MONTHS:
        planned = sum((p.amount for p in parts if p.level == "month" and p.month == number), ZERO)
        actual = sum((v for (u, m), v in done.items() if m == number and u in members), ZERO)
        by_month.append(Attainment(f"{target.year}-{number:02d}", None, None, planned, actual))
    return {"people": ranked, "teams": by_team, "months": by_month}


def add_member(session, team: Team, user_id: int, joined_on: date) -> TeamMember:
    if session.get(User, user_id) is None:
        raise UserError(_("Choose a person."), "user_id")
    if any(m.user_id == user_id for m in team.members):
        raise UserError(_("They are already in this team."), "user_id")
    member = TeamMember(team=team, user_id=user_id, joined_on=joined_on)
    session.add(member)
    session.flush()
    return member


def create_team(session, name: str, manager_id: int | None = None, region: str = "") -> Team:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the team a name."), "name")
    if session.scalars(select(Team).where(Team.name == name)).first():
        raise UserError(_("There is already a team with that name."), "name")
    team = Team(name=name, manager_id=manager_id, region=region or "")
    session.add(team)
    session.flush()
    return team
