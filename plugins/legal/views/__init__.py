"""Legal's screens (routes live under /legal). Views parse input, call services, render."""

ROUTES = [
    ("legal.contracts", "/contracts"),
    ("legal.contract_new", "/contracts/new"),
    ("legal.contract", r"/contracts/{id:\d+}"),
    ("legal.contract_action", r"/contracts/{id:\d+}/{action:[a-z]+}"),
    ("legal.templates", "/templates"),
    ("legal.template_new", "/templates/new"),
    ("legal.template", r"/templates/{id:\d+}"),
    ("legal.template_version", r"/templates/{id:\d+}/versions"),
    ("legal.clauses", "/clauses"),
    ("legal.clause_new", "/clauses/new"),
    ("legal.matters", "/matters"),
    ("legal.matter_new", "/matters/new"),
    ("legal.matter", r"/matters/{id:\d+}"),
    ("legal.matter_action", r"/matters/{id:\d+}/{action:[a-z]+}"),
    ("legal.seals", "/seals"),
    ("legal.seal_new", "/seals/new"),
    ("legal.seal_request_new", "/seals/requests/new"),
    ("legal.seal_request", r"/seals/requests/{id:\d+}"),
    ("legal.seal_request_action", r"/seals/requests/{id:\d+}/{action:[a-z]+}"),
    ("legal.opinions", "/opinions"),
    ("legal.opinion_new", "/opinions/new"),
    ("legal.opinion", r"/opinions/{id:\d+}"),
    ("legal.opinion_action", r"/opinions/{id:\d+}/{action:[a-z]+}"),
    ("legal.limitation", "/limitation"),
    ("legal.reports", "/reports"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in ("contracts", "templates_", "matters", "seals", "opinions", "reports"):
        config.scan(f"plugins.legal.views.{module}")
