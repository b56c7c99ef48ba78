"""Collections' screens (routes live under /collections). Views parse input, call services, render."""

ROUTES = [
    ("collections.queue", "/queue"),
    ("collections.cases", "/cases"),
    ("collections.case", r"/cases/{id:\d+}"),
    ("collections.case_contact", r"/cases/{id:\d+}/contact"),
    ("collections.case_assign", r"/cases/{id:\d+}/assign"),
    ("collections.case_escalate", r"/cases/{id:\d+}/escalate"),
    ("collections.case_risk", r"/cases/{id:\d+}/risk"),
    ("collections.item", r"/items/{id:\d+}"),
    ("collections.promises", "/promises"),
    ("collections.contacts", "/contacts"),
    ("collections.outbox", "/outbox"),
    ("collections.strategies", "/strategies"),
    ("collections.strategy_new", "/strategies/new"),
    ("collections.strategy", r"/strategies/{id:\d+}"),
    ("collections.strategy_delete", r"/strategies/{id:\d+}/delete"),
    ("collections.collectors", "/collectors"),
    ("collections.collector", r"/collectors/{id:\d+}"),
    ("collections.collector_release", r"/collectors/{id:\d+}/release"),
    ("collections.targets", "/targets"),
    ("collections.target", r"/targets/{id:\d+}"),
    ("collections.ranking", "/ranking"),
    ("collections.reports", "/reports"),
    ("collections.report", "/reports/{name}"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in ("cases", "lists", "strategies", "team", "reports"):
        config.scan(f"plugins.collections.views.{module}")
