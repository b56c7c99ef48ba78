"""Market development's screens (routes live under /crm). Views parse input, call services, render."""

ROUTES = [
    ("crm.accounts", "/accounts"),
    ("crm.account_new", "/accounts/new"),
    ("crm.account", r"/accounts/{id:\d+}"),
    ("crm.account_edit", r"/accounts/{id:\d+}/edit"),
    ("crm.account_contact", r"/accounts/{id:\d+}/contacts"),
    ("crm.account_tier", r"/accounts/{id:\d+}/tiers"),
    ("crm.account_link", r"/accounts/{id:\d+}/customer"),
    ("crm.opportunities", "/opportunities"),
    ("crm.opportunity_new", "/opportunities/new"),
    ("crm.opportunity", r"/opportunities/{id:\d+}"),
    ("crm.opportunity_move", r"/opportunities/{id:\d+}/move"),
    ("crm.opportunity_probability", r"/opportunities/{id:\d+}/probability"),
    ("crm.opportunity_lost", r"/opportunities/{id:\d+}/lost"),
    ("crm.opportunity_link", r"/opportunities/{id:\d+}/application"),
    ("crm.opportunity_shares", r"/opportunities/{id:\d+}/shares"),
    ("crm.board", "/board"),
    ("crm.activities", "/activities"),
    ("crm.activity_new", "/activities/new"),
    ("crm.activity", r"/activities/{id:\d+}"),
    ("crm.activity_done", r"/activities/{id:\d+}/done"),
    ("crm.activity_cancel", r"/activities/{id:\d+}/cancel"),
    ("crm.calendar", "/calendar"),
    ("crm.stages", "/stages"),
    ("crm.teams", "/teams"),
    ("crm.team", r"/teams/{id:\d+}"),
    ("crm.targets", "/targets"),
    ("crm.target", r"/targets/{id:\d+}"),
    ("crm.commissions", "/commissions"),
    ("crm.agreements", "/agreements"),
    ("crm.agreement_new", "/agreements/new"),
    ("crm.agreement", r"/agreements/{id:\d+}"),
    ("crm.reports", "/reports"),
    ("crm.report", "/reports/{name}"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in ("accounts", "opportunities", "activities", "stages", "targets", "commissions", "reports"):
        config.scan(f"plugins.crm.views.{module}")
