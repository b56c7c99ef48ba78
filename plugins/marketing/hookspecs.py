"""Hooks the ``marketing`` plugin calls, for other departments to implement (docs/plugins/marketing.md).

Called with keyword arguments inside marketing's (and so the triggering
lending operation's) transaction.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from decimal import Decimal

    from plugins.lending.models import Loan
    from plugins.marketing.models import Conversion, Touchpoint


@hookspec
def marketing_touchpoint_recorded(touchpoint: Touchpoint) -> None:
    """React to a customer's new touchpoint (a click claimed at registration, a later click of an
    identified visitor, an offline touch typed or imported).

    Called once per touchpoint after it is flushed. CRM may log it on the account's timeline.
    Returns nothing.
    """


@hookspec
def marketing_conversion_attributed(conversion: Conversion) -> None:
    """React to a conversion (``kind``: verified, funded, first_investment) whose credits under every
    model are written (``marketing_credit`` rows).

    Called once per conversion, after its credits are flushed. Returns nothing.
    """


@hookspec
def marketing_expected_loss(loan: Loan) -> Decimal | None:
    """The expected loss rate (a fraction of the principal, e.g. ``Decimal("0.025")``) of a just
    disbursed loan, for the margin marketing's ROI uses; ``risk`` may answer it. The first non-None
    answer wins; with none, the setting ``marketing.expected_loss_rate`` (default 0.03) applies.

    Called when a borrower's first loan is disbursed (its conversion's value). Returns a Decimal or None.
    """
