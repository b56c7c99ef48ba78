"""Finance's screens (routes live under /finance). Views parse input, call services, render."""

ROUTES = [
    ("finance.accounts", "/accounts"),
    ("finance.account_new", "/accounts/new"),
    ("finance.account", r"/accounts/{id:\d+}"),
    ("finance.rules", "/rules"),
    ("finance.rule", r"/rules/{id:\d+}"),
    ("finance.journal", "/journal"),
    ("finance.entry", r"/entries/{id:\d+}"),
    ("finance.entry_reverse", r"/entries/{id:\d+}/reverse"),
    ("finance.trial_balance", "/trial-balance"),
    ("finance.periods", "/periods"),
    ("finance.statements", "/statements"),
    ("finance.statement", r"/statements/{id:\d+}"),
    ("finance.statement_import", "/statements/import"),
    ("finance.bank_account", r"/banks/{id:\d+}"),
    ("finance.reconcile", "/reconcile"),
    ("finance.line", r"/lines/{id:\d+}"),
    ("finance.reports", "/reports"),
    ("finance.guarantee", "/guarantee"),
    ("finance.claim", r"/guarantee/claims/{id:\d+}"),
    ("finance.investor_statement", "/investor-statement"),
]
MODULES = ("books", "bank", "reports", "edit")


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    for module in MODULES:
        config.scan(f"plugins.finance.views.{module}")
