"""Splitting a yearly target company → teams → people → months, exactly (pure arithmetic, no session).

The rule, at every level: the parent's amount is split in proportion to the
children's weights with core's largest-remainder split
(:func:`core.money.split_pro_rata`): every part is first rounded *down* to the
quantum (a cent for money, a unit for counts such as new borrowers); the
quanta left over go one each to the parts with the largest remainders, ties to
the earlier part (teams and people in the order given, months January
first). So the children always sum exactly to their parent, and the same input
gives the same split.

Weights are percentages or amounts alike: amounts that add up to the parent
come back unchanged; others are read as proportions.

Someone who joins mid-year (``joined_month`` 1–12 of the target's year) gets
``weight × months_active / 12`` of their team's split, and nothing in the
months before they joined: their team's other members carry the rest, so the
team still sums to its part. Every person has all twelve months (zeros
included): a missing month never reads as 0 % achieved, it is a 0 target.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.money import CENT, split_pro_rata

UNIT = Decimal(1)
MONTHS = tuple(range(1, 13))
EVEN_MONTHS = tuple(Decimal(1) for _ in MONTHS)


@dataclass(frozen=True)
class Member:
    user_id: int
    weight: Decimal = Decimal(1)
    joined_month: int = 1  # first month of the year they work in (1 = the whole year)


@dataclass(frozen=True)
class TeamShare:
    team_id: int
    weight: Decimal
    members: Sequence[Member] = ()


@dataclass
class PersonSplit:
    user_id: int
    amount: Decimal
    months: list[Decimal] = field(default_factory=list)  # twelve, January first


@dataclass
class TeamSplit:
    team_id: int
    amount: Decimal
    people: list[PersonSplit] = field(default_factory=list)

    def month(self, number: int) -> Decimal:
        return sum((p.months[number - 1] for p in self.people), Decimal(0))


def split(amount: Decimal, weights: Sequence[Decimal], quantum: Decimal = CENT) -> list[Decimal]:
    """``amount`` split by ``weights`` in multiples of ``quantum`` (a cent or a unit), summing exactly."""
    if all(w == 0 for w in weights):
        return [Decimal(0) * quantum for _ in weights]
    if quantum == CENT:
        return split_pro_rata(amount, weights)
    # core's split works in cents: split amount/100 and scale back, so whole units stay whole
    scale = CENT / quantum
    return [(part / scale).quantize(quantum) for part in split_pro_rata(amount * scale, weights)]


def active_months(joined_month: int) -> int:
    if not 1 <= joined_month <= 12:
        raise ValueError("joined_month is a month of the target's year, 1 to 12")
    return 13 - joined_month


def decompose(amount: Decimal, teams: Sequence[TeamShare], month_weights: Sequence[Decimal] = EVEN_MONTHS,
              quantum: Decimal = CENT) -> list[TeamSplit]:
    """The whole decomposition of ``amount``; raises ValueError on weights that cannot split it."""
    if len(month_weights) != 12:
        raise ValueError("twelve month weights, January first")
    if any(w < 0 for w in month_weights) or sum(month_weights) <= 0:
        raise ValueError("month weights are zero or more and not all zero")
    if not teams:
        raise ValueError("no team to split the target between")
    if any(t.weight < 0 for t in teams) or sum(t.weight for t in teams) <= 0:
        raise ValueError("team weights are zero or more and not all zero")
    result = []
    for team, team_amount in zip(teams, split(amount, [t.weight for t in teams], quantum)):
        members = list(team.members)
        if team_amount and not members:
            raise ValueError(f"team {team.team_id} has a share of the target but nobody in it")
        weights = [m.weight * active_months(m.joined_month) / 12 for m in members]
        if team_amount and (any(w < 0 for w in weights) or sum(weights) <= 0):
            raise ValueError(f"the people of team {team.team_id} all have a zero weight")
        people = []
        amounts = split(team_amount, weights, quantum) if members else []
        for member, person_amount in zip(members, amounts):
            active = [w if number >= member.joined_month else Decimal(0)
                      for number, w in zip(MONTHS, month_weights)]
            if sum(active) <= 0:  # only zero-weight months left in their year: spread evenly over them
                active = [Decimal(1) if number >= member.joined_month else Decimal(0) for number in MONTHS]
            people.append(PersonSplit(member.user_id, person_amount, split(person_amount, active, quantum)))
        result.append(TeamSplit(team.team_id, team_amount, people))
    return result
