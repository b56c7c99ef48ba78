"""Marketing's screens through the permissions, the public short link and sign-up page, reports and CSV."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
import webtest
from sqlalchemy import func, select

from core.testing import assert_query_budgets, csrf_token, query_counts
from plugins.lending import services as lending
from plugins.marketing.models import Campaign, Click, Conversion, Link, Touchpoint
from plugins.marketing.services import campaigns, tracking

TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def spring(mutuo_db):
    """A committed campaign with a tracked link; returns (campaign id, link code)."""
    def build(session):
        channel = campaigns.create_channel(session, "Social ads", "social")
        campaign = campaigns.create_campaign(session, name="Spring savers", channel_id=channel.id,
                                             starts_on=date(2025, 1, 1), budget=D("1000.00"))
        link = tracking.create_link(session, campaign, "https://www.example.test/join?lang=es", "post", "spring")
        return campaign.id, link.code

    return mutuo_db.transaction(build)


def anonymous(mutuo_db):
    return webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})


def test_the_short_link_redirects_to_its_target_only_and_records_the_click(mutuo_db, spring):
    _campaign, code = spring
    visitor = anonymous(mutuo_db)
    answer = visitor.get(f"/r/{code}?next=https://evil.test/&utm_source=evil", headers={"Referer": "https://t.co/x"},
                         status=302)
    assert answer.location == ("https://www.example.test/join?lang=es&utm_source=social-ads&utm_medium=post"
                               "&utm_campaign=spring-savers&utm_content=spring")
    cookie = visitor.cookies["mutuo_vid"]
    assert len(cookie) == 32 and "HttpOnly" in answer.headers["Set-Cookie"]
    visitor.get(f"/r/{code}", status=302)  # the same visitor again: same id, no new cookie
    clicks = mutuo_db.transaction(lambda s: [(c.visitor_id, c.referrer) for c in s.scalars(select(Click))])
    assert clicks == [(cookie, "https://t.co/x"), (cookie, "")]
    visitor.get("/r/unknown", status=404)
    visitor.get("/r/" + "x" * 40, status=404)


def test_a_visitor_clicks_leaves_an_email_and_becomes_a_customer_with_touchpoints(mutuo_db, spring, world, session):
    campaign_id, code = spring
    visitor = anonymous(mutuo_db)
    visitor.get(f"/r/{code}", status=302)
    page = visitor.get("/marketing/join")
    form = page.forms[0]
    form["email"] = "Lucia@Example.test"
    assert "join-done" in form.submit().text
    customer = world.customer(verified=True, email="lucia@example.test")  # the clerk registers her in lending
    session.commit()
    touches = mutuo_db.transaction(lambda s: [(t.campaign_id, t.source) for t in s.scalars(
        select(Touchpoint).where(Touchpoint.customer_id == customer.id))])
    assert touches == [(campaign_id, "click")]
    kinds = mutuo_db.transaction(lambda s: s.scalars(select(Conversion.kind)
                                                     .where(Conversion.customer_id == customer.id)).all())
    assert kinds == ["verified"]


def test_the_sign_up_page_refuses_an_empty_form(mutuo_db):
    visitor = anonymous(mutuo_db)
    form = visitor.get("/marketing/join").forms[0]
    assert "join-error" in form.submit(status=400).text


def test_a_specialist_creates_a_channel_a_campaign_and_a_link(login_as, mutuo_db):
    app = login_as("marketing_specialist")
    form = app.get("/marketing/channels/new").forms["deform"]
    form["name"], form["kind"] = "Search ads", "search"
    form.submit("create").follow()
    channel_id = mutuo_db.transaction(lambda s: s.scalar(select(func.max(Campaign.id)))) or 0
    form = app.get("/marketing/campaigns/new").forms["deform"]
    form["name"], form["budget"], form["starts_on"] = "Brand search", "2500.00", "2025-03-01"
    form["channel_id"] = form["channel_id"].options[1][0]
    page = form.submit("create").follow()
    assert "Brand search" in page.text and channel_id == 0
    link_form = app.get(page.request.path + "/links/new").forms["deform"]
    link_form["target_url"] = "javascript:alert(1)"
    refused = link_form.submit("create", status=400)
    assert "https://" in refused.text
    link_form = refused.forms["deform"]
    link_form["target_url"] = "https://www.example.test/"
    assert "/r/" in link_form.submit("create").follow().text
    # a specialist does not book costs
    app.get(page.request.path + "/spend", status=403)


def test_a_manager_books_costs_and_sees_the_budget_alert(login_as, spring):
    campaign_id, _code = spring
    app = login_as("marketing_manager")
    form = app.get(f"/marketing/campaigns/{campaign_id}/spend").forms["deform"]
    form["amount"], form["spent_on"] = "1200.00", "2025-03-01"
    page = form.submit("add").follow()
    assert "over-budget" in page.text and "has passed the budget" in page.text
    assert "Spring savers" in app.get("/marketing/spend").text
    csv = app.get("/marketing/spend?format=csv")
    assert csv.content_type == "text/csv" and "1200.00" in csv.text


def test_lists_and_csv(login_as, spring):
    app = login_as("marketing_manager")
    for path in ("/marketing/campaigns", "/marketing/channels", "/marketing/links", "/marketing/touchpoints",
                 "/marketing/conversions", "/marketing/spend"):
        assert app.get(path).status_int == 200
        assert app.get(path + "?format=csv").content_type == "text/csv"
    assert "Spring savers" in app.get("/marketing/campaigns?q=spring").text
    assert "Spring savers" not in app.get("/marketing/campaigns?q=autumn").text


def test_the_report_compares_models_and_exports_csv(login_as, spring):
    campaign_id, _code = spring
    app = login_as("marketing_manager")
    page = app.get(f"/marketing/campaigns/{campaign_id}")
    models = page.html.find(id="models").get_text()
    assert all(name in models for name in ("first touch", "last non direct", "position based", "time decay"))
    report = app.get("/marketing/report?model=time_decay&by=channel&from=2025-01-01&to=2025-03-31")
    assert report.status_int == 200
    csv = app.get("/marketing/report?model=first_touch&format=csv")
    assert csv.text.splitlines()[0].startswith("model,name,detail,cost")


def test_offline_touchpoints_by_form_and_import(login_as, spring, world, session, mutuo_db):
    campaign_id, _code = spring
    customer = world.customer(verified=False)
    session.commit()
    app = login_as("marketing_specialist")
    form = app.get("/marketing/touchpoints/new").forms["deform"]
    form["customer_id"], form["campaign_id"], form["touched_on"] = str(customer.id), str(campaign_id), "2025-03-01"
    form.submit("save").follow()
    good = f"customer_id_number,campaign,date,note\n{customer.id_number},Spring savers,2025-03-02,fair\n"
    form = app.get("/marketing/touchpoints/import").forms["import-form"]
    form["file"] = webtest.Upload("touches.csv", (good + "NOPE,Spring savers,2025-03-02,\n").encode(), "text/csv")
    refused = form.submit("import", status=400)
    assert "Line 3" in refused.html.find(id="import-error").text
    count = mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(Touchpoint)))
    assert count == 1  # the good first line of the refused file was not kept
    form = app.get("/marketing/touchpoints/import").forms["import-form"]
    form["text"] = good  # pasted lines work too
    assert "1 touchpoints imported" in form.submit("import").follow().text


def test_pages_need_their_permissions(logged_in, mutuo_db, spring):
    campaign_id, _code = spring
    anon = anonymous(mutuo_db)
    assert anon.get("/marketing/campaigns", status=302).location.split("?")[0].endswith("/login")
    app = logged_in(permissions=("core.dashboard.view",))
    for path in ("/marketing/campaigns", f"/marketing/campaigns/{campaign_id}", "/marketing/touchpoints",
                 "/marketing/report", "/marketing/channels/new", "/marketing/touchpoints/import"):
        app.get(path, status=403)
    app.post(f"/marketing/campaigns/{campaign_id}/spend", {"csrf_token": csrf_token(app), "add": ""}, status=403)


def test_viewers_do_not_see_edit_buttons(logged_in, spring):
    campaign_id, _code = spring
    app = logged_in(permissions=("core.dashboard.view", "marketing.campaign.view"))
    page = app.get(f"/marketing/campaigns/{campaign_id}")
    assert "btn-new-link" not in page.text and "btn-add-spend" not in page.text
    assert 'id="models"' not in page.text  # the return needs marketing.report.view


def test_the_customer_page_shows_the_marketing_panel(login_as, mutuo_db, spring, world, session):
    campaign_id, _code = spring
    customer = world.customer(verified=False)
    tracking.add_offline_touch(session, customer, session.get(Campaign, campaign_id), date(2025, 3, 1), "fair")
    session.commit()
    app = login_as("marketing_manager")
    page = app.get(f"/lending/customers/{customer.id}")
    assert "Marketing touchpoints" in page.text and "Spring savers" in page.text


def test_the_dashboard_shows_marketing_widgets(login_as, spring):
    app = login_as("marketing_manager")
    page = app.get("/")
    assert "Campaign spend" in page.text and "Funded customers by channel" in page.text


#: Statements one GET of each page runs: the same with few records as with many.
BUDGETS = {"/marketing/campaigns": 8, "/marketing/campaigns/{campaign}": 40, "/marketing/touchpoints": 8,
           "/marketing/links": 8}


def test_pages_keep_their_query_budgets(logged_in, mutuo_db, spring, world, session):
    campaign_id, _code = spring

    def grow(count):
        def build(s):
            campaign = s.get(Campaign, campaign_id)
            for n in range(count):
                customer = world.customer(verified=False)
                link = tracking.create_link(s, campaign, "https://x.test/")
                tracking.record_click(s, link, f"{n:032x}")
                tracking.add_offline_touch(s, customer, campaign, date(2025, 3, 1))
                campaigns.add_spend(s, campaign, date(2025, 3, 1), D("10.00"))
        build(session)
        session.commit()

    grow(2)
    app = logged_in(permissions=("core.dashboard.view", "marketing.campaign.view", "marketing.touchpoint.view",
                                 "marketing.report.view"))
    few = query_counts(app, mutuo_db.engine, BUDGETS, campaign=campaign_id)
    grow(12)
    many = query_counts(app, mutuo_db.engine, BUDGETS, campaign=campaign_id)
    assert_query_budgets(few, many, BUDGETS)
    assert mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(Link))) == 15
    assert lending  # lending's services build the customers (world)


def test_a_spanish_marketer_reads_the_pages_in_spanish(logged_in, spring):
    campaign_id, _code = spring
    app = logged_in(permissions=("core.dashboard.view", "marketing.campaign.view", "marketing.report.view"),
                    locale="es")
    page = app.get(f"/marketing/campaigns/{campaign_id}")
    assert page.html.html["lang"] == "es"
    text = page.text
    assert "Enlaces de seguimiento" in text and "Presupuesto" in text and "según posición" in text
    assert "Retorno por campaña" in app.get("/marketing/report").text


def test_refusals_are_translated_and_the_catalogue_is_complete():
    import plugins.marketing
    from core.errors import UserError
    from core.i18n import localizer_for, plugin_locale_dir, translate, translation_dirs
    from core.i18n_catalogs import catalogues, problems

    spanish = localizer_for("es", [*translation_dirs(), str(plugin_locale_dir(plugins.marketing))])
    with pytest.raises(UserError) as refused:
        tracking.check_target("ftp://x")
    assert translate(refused.value, spanish).startswith("Indique la dirección completa")
    assert problems(catalogues(["marketing"])[0], ["es"]) == []


def test_global_search_and_the_campaign_lookup_find_campaigns(login_as, spring):
    campaign_id, _code = spring
    app = login_as("marketing_specialist")
    assert f"/marketing/campaigns/{campaign_id}" in app.get("/search", {"q": "savers"}).text
    found = app.get("/lookup/marketing.campaign", {"q": "spring"}).json["results"]
    assert [r["id"] for r in found] == [campaign_id]
