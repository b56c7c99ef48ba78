"""The lending services: plain functions over a session, used by views, the API, jobs and other plugins.

Every refusal is a :class:`core.errors.UserError` naming the field it belongs
to. Callers own the transaction (one per request or job run). Events are
fired through the plugin manager found by :mod:`core.context`.
"""
from plugins.lending.services.applications import (  # noqa: F401
    TRANSITIONS,
    allowed,
    approve,
    cancel,
    create_application,
    expire_listings,
    funded_amount,
    invest,
    list_for_funding,
    reject,
    remaining,
    review_decision,
    reviewers,
    submit,
    update_application,
)
from plugins.lending.services.cash import available, balance, deposit, reserved, statement, withdraw  # noqa: F401
from plugins.lending.services.cob import close_of_business, last_closed  # noqa: F401
from plugins.lending.services.customers import create_customer, document_count, set_kyc, update_customer  # noqa: F401
from plugins.lending.services.loans import (  # noqa: F401
    disburse,
    installment_state,
    outstanding_principal,
    payoff_amount,
    post_repayment,
    refresh_delinquency,
    write_off,
)
