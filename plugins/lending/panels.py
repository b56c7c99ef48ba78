"""What other departments show on a customer's page (a public module: import it).

Implement :func:`plugins.lending.hookspecs.lending_customer_panels` and return
:class:`CustomerPanel` objects; lending's customer page and the customer 360
page of ``service`` both draw them with :func:`visible_panels`, so no
department imports another.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CustomerPanel:
    title: str                 # translated
    permission: str            # a user without it does not see the panel
    rows: list = field(default_factory=list)  # [(label, value)] shown as a small table
    html: str | None = None    # safe markup the plugin rendered (a template, a chart)
    link: str | None = None    # "open" link to the department's own page for this customer
    empty: str | None = None   # what to say when there is nothing (translated)
    order: int = 100


def visible_panels(request, customer) -> list[CustomerPanel]:
    """Every enabled plugin's panels for ``customer`` that the user may see, in order."""
    pm = request.registry["mutuo.pm"]
    panels = [p for group in pm.call("lending_customer_panels", request=request, customer=customer)
              for p in (group or [])]
    return sorted((p for p in panels if request.has_permission(p.permission)), key=lambda p: (p.order, p.title))
