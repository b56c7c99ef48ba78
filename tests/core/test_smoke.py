from core.testing import login


def test_health_is_public_json(testapp):
    res = testapp.get("/health")
    assert res.json["status"] == "ok"
    assert res.json["database"] is True


def test_login_and_dashboard(testapp, make_user):
    username, password = make_user(permissions=("core.dashboard.view",))
    login(testapp, username, password)
    res = testapp.get("/")
    assert "Dashboard" in res.text
    assert res.headers["X-Frame-Options"] == "DENY"
