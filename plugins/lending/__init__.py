"""The ``lending`` plugin: the operations department of a P2P lender.

Customers (borrowers and investors) and investors' cash accounts, loan
applications with their review, investor funding, disbursement, repayments
distributed to investors pro rata, and the daily close of business
(days past due, delinquency buckets, late penalties). Other departments plug
into its events (``plugins/lending/hookspecs.py``). See docs/plugins/lending.md.
"""
from core import PluginInfo, hookimpl
from core.entities import Field
from plugins.lending.i18n import _

PLUGIN = PluginInfo(name="lending", title=_("Lending"), version="1.0.0", depends=("products",),
                    description=_("Customers, applications, investor funding, loans, repayments, close of business."))

ENTITIES = ("customer", "cash", "application", "investment", "loan", "repayment")


@hookimpl
def mutuo_addhooks(pluginmanager):
    from plugins.lending import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def mutuo_permissions():
    from core.security import Permission

    return [
        Permission("lending.customer.view", _("See customers"),
                   _("Borrowers and investors, their KYC and records.")),
        Permission("lending.customer.manage", _("Manage customers"),
                   _("Open and edit customers, record KYC decisions.")),
        Permission("lending.cash.view", _("See cash accounts"),
                   _("Investors' cash entries, balances and statements.")),
        Permission("lending.cash.manage", _("Record deposits and withdrawals"),
                   _("Move money in and out of investors' cash accounts.")),
        Permission("lending.application.view", _("See loan applications"), _("Applications and their status.")),
        Permission("lending.application.manage", _("Handle loan applications"),
                   _("Create, edit, submit, list for funding and cancel applications.")),
        Permission("lending.application.approve", _("Approve loan applications"),
                   _("Approve or reject submitted applications that no other department reviews.")),
        Permission("lending.investment.view", _("See investments"), _("The funding board and reservations.")),
        Permission("lending.investment.manage", _("Take investments"),
                   _("Reserve an investor's money for a listed application.")),
        Permission("lending.loan.view", _("See loans"), _("Loans, schedules, holdings, days past due.")),
        Permission("lending.loan.disburse", _("Disburse loans"), _("Turn a funded application into a loan.")),
        Permission("lending.loan.manage", _("Manage loans"), _("Write off loans.")),
        Permission("lending.repayment.view", _("See repayments"), _("Repayments and how they were distributed.")),
        Permission("lending.repayment.post", _("Post repayments"), _("Record money received from borrowers.")),
    ]


@hookimpl
def mutuo_roles():
    from core.security import RoleSpec

    views = tuple(f"lending.{e}.view" for e in ENTITIES)
    return [
        RoleSpec("loan_officer", _("Loan officer"),
                 ("core.dashboard.view", "lending.customer.view", "lending.customer.manage",
                  "lending.application.view", "lending.application.manage", "lending.investment.view",
                  "lending.loan.view", "lending.repayment.view"),
                 _("Takes borrowers' applications, checks their documents and lists approved loans for funding.")),
        RoleSpec("customer_service", _("Customer service"),
                 ("core.dashboard.view", "lending.customer.view", "lending.customer.manage", "lending.cash.view",
                  "lending.cash.manage", "lending.application.view", "lending.investment.view",
                  "lending.investment.manage", "lending.loan.view", "lending.repayment.view"),
                 _("Opens accounts, records investors' deposits and withdrawals and takes their investments.")),
        RoleSpec("operations_manager", _("Operations manager"),
                 ("core.dashboard.view", *views, "lending.customer.manage", "lending.cash.manage",
                  "lending.application.manage", "lending.application.approve", "lending.investment.manage",
                  "lending.loan.disburse", "lending.loan.manage", "lending.repayment.post"),
                 _("Approves applications, disburses loans, posts repayments and watches delinquency.")),
    ]


@hookimpl
def mutuo_entity_types():
    from core.entities import EntityType
    from plugins.lending.models import Application, Customer, Loan, Repayment

    return [
        EntityType(Customer, _("Customer"), "lending.customer.view", "lending.customer.manage", "lending.customer",
                   "{name}", fields=CUSTOMER_FIELDS),
        EntityType(Application, _("Loan application"), "lending.application.view", "lending.application.manage",
                   "lending.application", _("Application {id}"), fields=APPLICATION_FIELDS),
        EntityType(Loan, _("Loan"), "lending.loan.view", "lending.loan.manage", "lending.loan", _("Loan {id}"),
                   fields=LOAN_FIELDS),
        EntityType(Repayment, _("Repayment"), "lending.repayment.view", "lending.repayment.post", "lending.repayment",
                   "{reference}", fields=REPAYMENT_FIELDS),
    ]


#: What history calls the fields of lending's records (kinds come from the columns: Money, Rate, dates, references).
_TERMS = {"customer_id": _("Borrower"), "product_version_id": _("Product"), "amount": _("Amount"),
          "term_months": _("Term (months)"), "annual_rate": _("Annual rate"), "region": _("Region"),
          "industry": _("Industry"), "status": _("Status"), "created_at": _("Created")}
CUSTOMER_FIELDS = {
    "role": Field(_("Role"), "label"), "kind": _("Kind"), "name": _("Name"), "id_number": _("ID number"),
    "phone": _("Phone"), "email": _("E-mail"), "region": _("Region"), "industry": _("Industry"),
    "kyc_status": _("KYC status"), "kyc_note": _("KYC note"), "kyc_checked_at": _("KYC checked"),
    "created_at": _("Created"),
}
APPLICATION_FIELDS = _TERMS | {
    "purpose": _("Purpose"), "review_pending": Field(_("Review pending"), "bool"),
    "decision_reason": _("Decision reason"), "decided_by": _("Decided by"), "submitted_at": _("Submitted"),
    "decided_at": _("Decided"), "listed_on": _("Listed on"), "funding_deadline": _("Funding deadline"),
    "funded_at": _("Funded"), "closed_reason": Field(_("Closed because"), "label"),
}
LOAN_FIELDS = _TERMS | {
    "application_id": _("Application"), "principal": _("Principal"),
    "repayment_method": Field(_("Repayment method"), "label"), "disbursed_on": _("Disbursed"),
    "origination_fee": _("Origination fee"), "payout": _("Payout"), "service_fee_rate": _("Service fee"),
    "penalty_daily_rate": _("Daily penalty rate"), "grace_days": _("Grace days"),
    "allocation_order": _("Allocation order"), "days_past_due": _("Days past due"), "bucket": _("Bucket"),
    "oldest_unpaid_due": _("Oldest unpaid due date"), "penalty_accrued": Field(_("Penalty accrued"), "money"),
    "closed_on": _("Closed"),
}
#: The words of the close of business's audit event (``business_date_closed``), shown in the audit log.
EVENT_WORDS = (_("Loans changed"), _("Bucket changes"))
REPAYMENT_FIELDS = {
    "loan_id": _("Loan"), "amount": _("Amount"), "paid_on": _("Paid on"), "reference": _("Reference"),
    "principal": _("Principal"), "interest": _("Interest"), "fee": _("Fee"), "penalty": _("Penalty"),
    "prepaid_principal": _("Prepaid principal"), "service_fee": _("Service fee"),
    "distributed": _("Distributed to investors"), "posted_at": _("Posted"),
}


@hookimpl
def mutuo_lookups():
    from plugins.lending.lookups import lookups

    return lookups()


@hookimpl
def mutuo_configure(config):
    from plugins.lending.services.limits import max_amount
    from plugins.lending.views import includeme

    max_amount(config.get_settings())  # a wrong limit stops start-up, not a deposit at the counter
    includeme(config)


@hookimpl
def mutuo_menu(request):
    from core.web.menu import MenuEntry

    return [
        MenuEntry(_("Customers"), "lending.customers", "lending.customer.view", _("Lending"), 200),
        MenuEntry(_("Applications"), "lending.applications", "lending.application.view", _("Lending"), 210),
        MenuEntry(_("Funding board"), "lending.funding", "lending.investment.view", _("Lending"), 220),
        MenuEntry(_("Loans"), "lending.loans", "lending.loan.view", _("Lending"), 230),
        MenuEntry(_("Repayments"), "lending.repayments", "lending.repayment.view", _("Lending"), 240),
        MenuEntry(_("Post a repayment"), "lending.repayment_new", "lending.repayment.post", _("Lending"), 250),
    ]


@hookimpl
def mutuo_api():
    from plugins.lending.api import operations

    return operations()


@hookimpl
def mutuo_webhook_events():
    from plugins.lending.api import events

    return events()


@hookimpl
def mutuo_dashboard(request):
    from plugins.lending.views.dashboard import widgets

    return widgets(request)


@hookimpl
def mutuo_search(request, query):
    from plugins.lending.search import global_search

    return global_search(request, query)


@hookimpl
def mutuo_jobs():
    from core.jobs import JobSpec
    from plugins.lending import jobs

    return [
        JobSpec("lending.close_of_business", jobs.close_of_business, "30 0 * * *",
                _("Closes every business date not yet closed up to yesterday: days past due, delinquency "
                  "buckets, late penalties."), time_limit=3600,
                chunk=jobs.close_of_business_chunk, finish=jobs.close_of_business_finish),
        JobSpec("lending.expire_listings", jobs.expire_listings, "15 0 * * *",
                _("Expires listed applications whose funding window has passed and releases the reservations."),
                time_limit=600),
    ]


@hookimpl
def mutuo_demo_data(session, scale):
    from plugins.lending.demo import load

    return load(session, scale)
