"""The demo story: the targets decompose exactly, the pipeline and attainment show the demo team."""
from __future__ import annotations

from sqlalchemy import func, select


def test_the_demo_team_works_the_replayed_book(mutuo_db):
    from plugins.crm.demo import load as crm_demo
    from plugins.crm.models import Activity, Commission, Credit, Opportunity, Target
    from plugins.crm.services import reports, targets
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo

    for loader in (products_demo, lending_demo):
        mutuo_db.transaction(lambda s, f=loader: f(s, 1), actor="cli:demo load")
    summary = mutuo_db.transaction(lambda s: crm_demo(s, 1), actor="cli:demo load")
    assert "won" in summary

    def check(session):
        years = session.scalars(select(Target)).all()
        assert years  # one per calendar year of the story
        joined = [p for t in years for p in t.parts if p.level == "month" and p.user_id is not None]
        assert any(p.amount == 0 for p in joined)  # the mid-year joiner: nothing before they joined
        for target in years:
            targets.check_sums(session, target)  # every level and month adds up exactly
            report = targets.attainment(session, target)
            assert {a.key for a in report["people"]} >= {"ana.rep", "bruno.rep", "olga.rep", "pablo.rep"}
            assert len(report["months"]) == 12
        assert sum(a.actual for t in years for a in targets.attainment(session, t)["people"]) > 0
        counts = dict(session.execute(select(Opportunity.status, func.count()).group_by(Opportunity.status)).all())
        assert counts.get("won", 0) > 0 and counts.get("lost", 0) > 0 and counts.get("open", 0) > 0
        # every won opportunity was won by lending's funding, and credited in full to its contributors
        for opp in session.scalars(select(Opportunity).where(Opportunity.status == "won")):
            assert opp.application.status in ("funded", "disbursed", "closed") or opp.application.loan is not None
            credited = session.scalar(select(func.sum(Credit.amount)).where(Credit.opportunity_id == opp.id))
            assert credited == opp.won_amount
        by_stage = reports.pipeline_by_stage(session, select(Opportunity))
        assert by_stage and all(line[3] <= line[2] for line in by_stage)
        assert session.scalar(select(func.count(Commission.id))) > 0
        assert session.scalar(select(func.count(Activity.id)).where(Activity.status == "done")) > 0

    mutuo_db.transaction(check)
