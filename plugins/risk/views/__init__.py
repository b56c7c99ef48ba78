"""Risk's screens (routes under /risk). Views parse input, call one service, render."""

ROUTES = [
    ("risk.reviews", "/reviews"),
    ("risk.review", r"/reviews/{id:\d+}"),
    ("risk.review_decide", r"/reviews/{id:\d+}/decide"),
    ("risk.review_profile", r"/reviews/{id:\d+}/profile"),
    ("risk.meetings", "/meetings"),
    ("risk.meeting_new", "/meetings/new"),
    ("risk.meeting", r"/meetings/{id:\d+}"),
    ("risk.meeting_attendance", r"/meetings/{id:\d+}/attendance"),
    ("risk.meeting_close", r"/meetings/{id:\d+}/close"),
    ("risk.item_vote", r"/items/{id:\d+}/vote"),
    ("risk.item_recuse", r"/items/{id:\d+}/recuse"),
    ("risk.entries", "/blacklist"),
    ("risk.entry_new", "/blacklist/new"),
    ("risk.entry", r"/blacklist/{id:\d+}"),
    ("risk.entry_remove", r"/blacklist/{id:\d+}/remove"),
    ("risk.hits", "/hits"),
    ("risk.hit_decide", r"/hits/{id:\d+}/decide"),
    ("risk.signals", "/signals"),
    ("risk.signal", r"/signals/{id:\d+}"),
    ("risk.scorecards", "/scorecards"),
    ("risk.scorecard", r"/scorecards/{id:\d+}"),
    ("risk.scorecard_edit", r"/scorecards/{id:\d+}/edit"),
    ("risk.scorecard_version", r"/scorecards/{id:\d+}/version"),
    ("risk.scorecard_activate", r"/scorecards/{id:\d+}/activate"),
    ("risk.rule", r"/rules/{id:\d+}"),
    ("risk.reports", "/reports"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in ("reviews", "committee", "blacklist", "monitoring", "scorecards", "reports"):
        config.scan(f"plugins.risk.views.{module}")
