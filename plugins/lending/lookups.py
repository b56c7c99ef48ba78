"""Lending's record pickers (core.web.lookups): customers, borrowers, investors, loans, products.

Each matches with the list's own ``core.search.Search`` (normalised, indexed keys; ranked: exact
identifier, then prefix, then the rest), so a lookup finds what the list's search box finds.
"""
from __future__ import annotations

from core.web.lookups import MAX_RESULTS, Lookup
from plugins.lending.i18n import _, label


def _customer_detail(c) -> str:
    return " · ".join(part for part in (c.id_number, c.phone) if part)


def _loan_label(loan):
    return _("Loan ${id} · ${name}", mapping={"id": loan.id, "name": loan.customer.name})


def _loan_detail(loan) -> str:
    from core.formatting import current

    return f"{current().money(loan.principal)} · {label(loan.status)}"


def lookups() -> list[Lookup]:
    from sqlalchemy.orm import joinedload

    from plugins.lending.models import Customer, Loan
    from plugins.lending.search import CUSTOMER_PICKER, LOANS
    from plugins.products.models import LoanProduct, ProductVersion
    from plugins.products.services import PRODUCTS, current_version_ids

    def customers(*roles):
        def match(stmt, q):
            return CUSTOMER_PICKER.match(stmt.where(Customer.role.in_(roles)) if roles else stmt, q)
        return match

    def loans(stmt, q):
        # the loan's number, or its borrower's name, ID or phone; the newest first among equals; the
        # borrower read with the loans (the label names them); no name of its own to rank by: as many
        # candidates as results
        return LOANS.match(stmt, q, MAX_RESULTS).options(joinedload(Loan.customer)).order_by(Loan.id.desc())

    def products(stmt, q):
        # what a new application may choose: the current version of an active product
        stmt = stmt.join(LoanProduct).where(LoanProduct.status == "active",
                                            ProductVersion.id.in_(current_version_ids()))
        return PRODUCTS.match(stmt, q)

    def product_detail(v):
        from core.formatting import current

        fmt = current()
        return _("${min_amount}–${max_amount}, ${min_term}–${max_term} months",
                 mapping={"min_amount": fmt.money(v.min_amount, 0), "max_amount": fmt.money(v.max_amount, 0),
                          "min_term": fmt.number(v.min_term_months), "max_term": fmt.number(v.max_term_months)})

    view = "lending.customer.view"
    return [
        Lookup("lending.customer", Customer, view, customers(), lambda c: c.name, _customer_detail),
        Lookup("lending.borrower", Customer, view, customers("borrower", "both"), lambda c: c.name, _customer_detail),
        Lookup("lending.investor", Customer, view, customers("investor", "both"), lambda c: c.name, _customer_detail),
        Lookup("lending.loan", Loan, "lending.loan.view", loans, _loan_label, _loan_detail),
        Lookup("lending.product", ProductVersion, "lending.application.manage", products,
               lambda v: f"{v.product.code} {v.product.name} (v{v.number})", product_detail),
    ]
