"""The demo (products + lending + marketing at scale 1): campaigns, spend, clicks, touchpoints, conversions, credits."""
from __future__ import annotations

from sqlalchemy import func, select

from plugins.marketing.models import MODELS, Campaign, Click, Conversion, Credit, Spend, Touchpoint


def test_the_demo_tells_a_marketing_story(mutuo_db, login_as):
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo

    for loader in (products_demo, lending_demo):
        mutuo_db.transaction(lambda s, f=loader: f(s, 1), actor="cli:demo load")

    def read(session):
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {m.__name__: count(m) for m in (Campaign, Spend, Click, Touchpoint, Conversion, Credit)}, session

    counts = mutuo_db.transaction(lambda s: read(s)[0])
    assert counts["Campaign"] >= 6 * 4 and counts["Spend"] > counts["Campaign"]
    assert counts["Click"] > counts["Touchpoint"] > 0
    assert counts["Conversion"] > 0 and counts["Credit"] > 0

    def check(session):
        from plugins.marketing.services import reports

        funded = session.scalars(select(Conversion).where(Conversion.kind == "funded", Conversion.touches > 0)).all()
        assert funded, "some funded borrowers came through a campaign"
        for conversion in funded[:20]:
            for model in MODELS:
                credits = session.scalars(select(Credit).where(Credit.conversion_id == conversion.id,
                                                               Credit.model == model)).all()
                assert sum(c.share for c in credits) == 1 and sum(c.amount for c in credits) == conversion.value
        first = session.scalar(select(func.min(Spend.spent_on)))
        last = session.scalar(select(func.max(Spend.spent_on)))
        rows = reports.performance(session, "linear", first, last, "channel")
        assert sum(r["funded"] for r in rows) > 0 and any(r["cac"] is not None for r in rows)
        # touchpoints only ever come before the conversions they are credited to
        late = session.scalar(select(func.count()).select_from(Credit).join(Touchpoint, Touchpoint.id == Credit.touchpoint_id)
                              .join(Conversion, Conversion.id == Credit.conversion_id)
                              .where(Touchpoint.touched_at > Conversion.occurred_at))
        assert late == 0

    mutuo_db.transaction(check)

    # the pages over the demo's data: dashboard, the report under each model, a campaign's page
    app = login_as("marketing_manager")
    assert "Funded customers by channel" in app.get("/").text
    for model in MODELS:
        report = app.get(f"/marketing/report?model={model}&from=2020-01-01&to=2030-12-31")
        assert report.html.find(id="report-table").find_all("tr")[1:], model
    campaign_id = mutuo_db.transaction(lambda s: s.scalar(select(func.min(Campaign.id)).where(
        Campaign.parent_id.is_not(None))))
    page = app.get(f"/marketing/campaigns/{campaign_id}")
    assert len(page.html.find(id="models").find_all("tr")) == 1 + len(MODELS)
