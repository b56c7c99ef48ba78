"""The default chart of accounts of a P2P platform and the default posting rules (data, seeded by
migration finance_0001 and editable afterwards; see docs/plugins/finance.md).

Customers' money is the platform's liability (custodial accounts 2000/2010, one balance per
customer); the loans belong to the investors, so they are kept off the platform's balance sheet in
the memo pair 9000/9900, which always balance each other.
"""
from __future__ import annotations

#: (code, name, kind, custodial, description). Names are stored in English like every stored value.
DEFAULT_ACCOUNTS = (
    ("1000", "Operating bank account", "asset", False, "The platform's own money: fees earned, expenses paid."),
    ("1010", "Client money bank account", "asset", False, "Segregated account holding customers' funds."),
    ("1020", "Guarantee fund bank account", "asset", False, "Money set aside for the principal guarantee fund."),
    ("1100", "Receivables", "asset", False, "Amounts owed to the platform."),
    ("2000", "Investors' funds available", "liability", True, "Custodial: what each investor may invest or withdraw."),
    ("2010", "Investors' funds reserved", "liability", True, "Custodial: reserved for listed applications."),
    ("2100", "Borrowers' funds", "liability", True, "Custodial: money held for borrowers (overpayments)."),
    ("2200", "Payables", "liability", False, "Amounts the platform owes to suppliers."),
    ("2300", "Principal guarantee fund", "liability", False, "The fund that compensates investors for defaults."),
    ("3000", "Retained earnings", "equity", False, ""),
    ("4000", "Origination fee income", "income", False, "Kept from the payout at disbursement."),
    ("4010", "Service fee income", "income", False, "The investors' service fee on repayments."),
    ("4020", "Late fee income", "income", False, "Installment fees paid by borrowers."),
    ("4030", "Penalty income", "income", False, "Penalties kept by the platform (lending gives them to investors "
                                                "today, so nothing posts here by default)."),
    ("5000", "Bank charges", "expense", False, "Bank fees found on the statements."),
    ("5100", "Operating expenses", "expense", False, ""),
    ("5200", "Guarantee fund contributions", "expense", False, "The share of fees paid into the guarantee fund."),
    ("9000", "Loans receivable held for investors", "memo", False, "Memo: principal owed to investors, per loan."),
    ("9900", "Loans held for investors (contra)", "memo", False, "Memo: the other side of 9000."),
)

CUSTODIAL = ("2000", "2010", "2100")

#: event type -> [(account code, side, amount key, party)]. Parties: "" (no customer), "customer"
#: (the event's customer), "investors" (the amount key holds one amount per investor).
DEFAULT_RULES: dict[str, list[tuple[str, str, str, str]]] = {
    "lending_cash_deposited": [
        ("1010", "debit", "amount", ""), ("2000", "credit", "amount", "customer")],
    "lending_cash_withdrawn": [
        ("2000", "debit", "amount", "customer"), ("1010", "credit", "amount", "")],
    "lending_investment_reserved": [
        ("2000", "debit", "amount", "customer"), ("2010", "credit", "amount", "customer")],
    "lending_investments_released": [
        ("2010", "debit", "released", "investors"), ("2000", "credit", "released", "investors")],
    "lending_loan_disbursed": [
        ("2010", "debit", "spent", "investors"), ("1010", "credit", "principal", ""),
        ("1000", "debit", "origination_fee", ""), ("4000", "credit", "origination_fee", ""),
        ("5200", "debit", "guarantee_contribution", ""), ("2300", "credit", "guarantee_contribution", ""),
        ("1020", "debit", "guarantee_contribution", ""), ("1000", "credit", "guarantee_contribution", ""),
        ("9000", "debit", "principal", ""), ("9900", "credit", "principal", "")],
    "lending_repayment_posted": [
        ("1010", "debit", "amount", ""), ("2000", "credit", "distributed", "investors"),
        ("1000", "debit", "platform_share", ""), ("1010", "credit", "platform_share", ""),
        ("4010", "credit", "service_fee", ""), ("4020", "credit", "fee", ""),
        ("9900", "debit", "principal", ""), ("9000", "credit", "principal", "")],
    "lending_loan_written_off": [
        ("9900", "debit", "outstanding_principal", ""), ("9000", "credit", "outstanding_principal", "")],
    # finance's own events
    "finance_guarantee_payout": [
        ("2300", "debit", "amount", ""), ("1020", "credit", "amount", "")],
    "finance_guarantee_recovery": [
        ("1020", "debit", "amount", ""), ("2300", "credit", "amount", "")],
    "finance_bank_fee": [
        ("5000", "debit", "amount", ""), ("1010", "credit", "amount", "")],
}


def rule_rows() -> list[dict]:
    return [{"event_type": event, "position": n, "account_code": code, "side": side, "amount": key, "party": party}
            for event, lines in DEFAULT_RULES.items() for n, (code, side, key, party) in enumerate(lines, 1)]


def account_rows() -> list[dict]:
    return [{"code": c, "name": n, "kind": k, "custodial": cu, "active": True, "description": d}
            for c, n, k, cu, d in DEFAULT_ACCOUNTS]


#: The platform's bank accounts: (name, chart account, CSV mapping). The mapping names the CSV's columns.
DEFAULT_BANKS = (
    ("Client money account", "1010", "delimiter=,\ndate=Date\namount=Amount\nreference=Reference\n"
                                     "description=Description\ncounterparty=Counterparty\ndate_format=%Y-%m-%d\n"
                                     "decimal=."),
    ("Operating account", "1000", "delimiter=;\ndate=Fecha\namount=Importe\nreference=Referencia\n"
                                  "description=Concepto\ndate_format=%d/%m/%Y\ndecimal=,"),
)


def bank_rows() -> list[dict]:
    return [{"name": n, "iban": "", "account_code": c, "csv_mapping": m} for n, c, m in DEFAULT_BANKS]
