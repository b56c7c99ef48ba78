"""Lending's screens and JSON API (routes live under /lending)."""

ROUTES = [
    ("lending.customers", "/customers"),
    ("lending.customer_new", "/customers/new"),
    ("lending.customer", r"/customers/{id:\d+}"),
    ("lending.customer_edit", r"/customers/{id:\d+}/edit"),
    ("lending.customer_kyc", r"/customers/{id:\d+}/kyc"),
    ("lending.customer_cash", r"/customers/{id:\d+}/cash/{kind:deposit|withdrawal}"),
    ("lending.customer_statement", r"/customers/{id:\d+}/statement"),
    ("lending.applications", "/applications"),
    ("lending.application_new", "/applications/new"),
    ("lending.application", r"/applications/{id:\d+}"),
    ("lending.application_edit", r"/applications/{id:\d+}/edit"),
    ("lending.application_invest", r"/applications/{id:\d+}/invest"),
    ("lending.application_action", r"/applications/{id:\d+}/{action:submit|approve|reject|list|cancel|disburse}"),
    ("lending.funding", "/funding"),
    ("lending.loans", "/loans"),
    ("lending.loan", r"/loans/{id:\d+}"),
    ("lending.loan_repay", r"/loans/{id:\d+}/repay"),
    ("lending.loan_write_off", r"/loans/{id:\d+}/write-off"),
    ("lending.repayments", "/repayments"),
    ("lending.repayment_new", "/repayments/new"),
    ("lending.repayment", r"/repayments/{id:\d+}"),
    ("lending.api_loans", "/api/loans"),
    ("lending.api_loan", r"/api/loans/{id:\d+}"),
    ("lending.api_loan_repayments", r"/api/loans/{id:\d+}/repayments"),
    ("lending.api_repayments", "/api/repayments"),
    ("lending.api_repayment", r"/api/repayments/{id:\d+}"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in ("customers", "applications", "loans"):
        config.scan(f"plugins.lending.views.{module}")
    from plugins.lending.views.applications import add_action_views

    add_action_views(config)
    from plugins.lending.views.api import add_redirects

    add_redirects(config)
