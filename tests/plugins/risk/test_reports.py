"""Risk reports on a small portfolio built through lending's services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from plugins.lending import services as lending
from plugins.risk.services import reports, scorecards


def test_vintage_default_by_grade_concentration_and_monitoring(session, world):
    late = world.loan(disbursed_on=date(2025, 1, 15), region="South")
    world.loan(disbursed_on=date(2025, 1, 20), region="North")
    with world.clock.at(date(2025, 4, 1)):
        lending.close_of_business(session, date(2025, 3, 31), start=date(2025, 2, 14))
        for loan in (late,):
            assert loan.days_past_due > 30
        curves = reports.vintage(session, 30, months=4)
        assert [(c["month"], c["loans"]) for c in curves] == [(date(2025, 1, 1), 2)]
        # both loans unpaid since 15/20 Feb: past 30 days in March (month on book 2 → 3)
        assert curves[0]["curve"][0] == 0 and curves[0]["curve"][2] == 1.0 and curves[0]["curve"][3] is None
        grades = reports.default_by_grade(session)
        assert sum(g["loans"] for g in grades) == 2 and sum(g["defaults"] for g in grades) == 0
        regions = dict(reports.concentration(session, "region"))
        assert set(regions) == {"South", "North"} and regions["South"] == D("10000.00")
        rates = {r["code"]: r for r in reports.rule_rates(session)}
        assert rates["KO_SCORE"]["fired"] == 0 and rates["KO_SCORE"]["fire_rate"] == 0
        card = scorecards.active(session)
        stability = reports.stability(session, card)
        assert stability["grades"] == ["A", "B", "C", "D", "E"] and stability["verdict"] == "stable"
        assert reports.scorecard_gini(session, card.id) == (None, 0)  # none past 60 days or closed yet
